"""The model evaluation page in a real browser, computed by a real worker: the page says it is
computing, reloads by itself when the worker is done, then shows the figures and charts."""

import re

import pytest
from playwright.sync_api import expect

from tests.models_eval.helpers import labeled_with_model, upload_model

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_evaluation_page_computed_by_a_worker(
    settings, celery_worker_process, page_as, make_project, manager, reviewer, shot
):
    settings.GROUNDWORK_REVIEW_INLINE_MAX = 0  # every project counts as large: a worker evaluates it
    project = labeled_with_model(make_project, manager, reviewer)
    upload_model(project, manager, name="m2", seed=9)
    page, events = page_as(reviewer)
    page.goto(f"/projects/{project.pk}/")
    page.locator("#models-link").click()
    expect(page.locator("#model-versions tbody tr")).to_have_count(2)
    page.locator("#model-versions tr", has_text="m1").get_by_role("link", name="Evaluation").click()
    expect(page.locator("#me-computing")).to_contain_text("A worker is evaluating")
    expect(page.locator("#me-figures")).to_be_visible(timeout=90_000)  # reloaded by the page itself
    expect(page.locator("#me-figures tr[data-figure=accuracy] [data-field=human]")).not_to_have_text("")
    expect(page.locator("svg.coverage")).to_be_visible()
    expect(page.locator("svg.confusion")).to_be_visible()
    expect(page.locator("#me-coverage tbody tr")).to_have_count(21)

    page.select_option("#me-compare", "m2")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#me-figures thead")).to_contain_text("m2", timeout=90_000)
    expect(page.locator("#me-figures [data-field=other]").first).to_be_visible()
    shot(page, "model-evaluation")
    first = page.locator("#me-disagreements a").first
    item = first.text_content()
    first.click()
    expect(page).to_have_url(re.compile(f"/items/{item.split()[-1]}/$"))
    assert not events.errors
