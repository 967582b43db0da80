"""The evaluation page of a multi-label project in a real browser: its figures, the per-label
table, coverage against accuracy, two versions side by side, and a disagreement to review."""

import re

import pytest
from playwright.sync_api import expect

from tests.models_eval.helpers import TOPICS, multilabel_with_model

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_multilabel_evaluation_page(page_as, make_project, manager, reviewer, shot):
    project = multilabel_with_model(make_project, manager, reviewer)
    page, events = page_as(reviewer)
    page.goto(f"/projects/{project.pk}/models/")
    page.locator("#model-versions tr", has_text="m1").get_by_role("link", name="Evaluation").click()
    figures = page.locator("#me-figures")
    expect(figures).to_be_visible()
    for key in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss", "mean_kappa"):
        expect(figures.locator(f"tr[data-figure={key}] [data-field=model]")).to_have_text(re.compile(r"\d\.\d{3}"))
        expect(figures.locator(f"tr[data-figure={key}] [data-field=human]")).to_have_text(re.compile(r"\d\.\d{3}"))
    expect(page.locator("#me-labels tbody tr")).to_have_count(len(TOPICS))
    expect(page.locator("#me-labels tr[data-label=science] [data-field=f1]")).to_have_text(re.compile(r"\d\.\d{3}"))
    expect(page.locator("svg.coverage")).to_be_visible()
    expect(page.locator("#me-coverage tbody tr")).to_have_count(21)
    expect(page.locator("#me-annotators tbody tr")).to_have_count(4)
    expect(page.locator("#me-slices tbody tr")).to_have_count(2)
    shot(page, "model-evaluation-multilabel")
    first = page.locator("#me-disagreements a").first
    item = first.text_content()
    first.click()
    expect(page).to_have_url(re.compile(f"/items/{item.split()[-1]}/$"))
    assert not events.errors
