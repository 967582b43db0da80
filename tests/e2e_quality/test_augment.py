"""The version page's Augment form in a real browser: preview a few pairs, generate through a real worker,
follow the job, and open the new version with the copies in it."""

import pytest
from playwright.sync_api import expect

from datasets.models import Augmentation
from quality.augment import services as augment_services
from tests.projects.helpers import import_file

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TEXTS = ["a fine day by the sea", "a rainy day in <b>town</b>", "the best of times and the worst"]


def test_preview_then_generate_from_the_version_page(page_as, shot, project, manager, worker_factory):
    content = "text\n" + "\n".join(TEXTS) + "\n"
    assert import_file(project, manager, "v1.csv", content.encode()).status == "accepted"
    worker_factory()
    page, events = page_as(manager)
    page.goto(f"/projects/{project.pk}/versions/1/")
    form = page.locator("#augment-form")
    form.get_by_label("Method").select_option("word_swap")
    swaps = form.get_by_label("swaps")
    expect(swaps).to_have_value("1")  # the method's default
    expect(form.locator("[name=keyboard_typos__rate]")).to_be_hidden()  # other methods' parameters are not shown
    swaps.fill("2")
    form.get_by_label("Seed").fill("7")
    form.get_by_label("inherit", exact=False).check()
    form.get_by_role("button", name="Preview").click()

    preview = page.locator("#augment-preview tbody tr")
    expect(preview).to_have_count(3)
    expected = augment_services.augmentation_preview(
        project=project, version=1, method="word_swap", params={"swaps": 2}, copies_per_item=1, seed=7, item_filter={}
    )
    assert page.locator("#augment-preview td.augmented").all_inner_texts() == [p.augmented for p in expected]
    expect(page.locator("#augment-preview")).to_contain_text("<b>town</b>")  # shown as typed, not as markup
    expect(form.get_by_label("swaps")).to_have_value("2")  # the form keeps what was asked
    shot(page, "augment-01-preview")

    form.get_by_role("button", name="Generate").click()
    job_row = page.locator("#augment-jobs tr.augment-job").first
    expect(job_row).to_contain_text("word_swap")
    new_version = job_row.locator("a.new-version")
    expect(new_version).to_have_text("v2", timeout=120_000)  # the page followed the job and its batch
    shot(page, "augment-02-done")
    new_version.click()
    expect(page.locator("h1")).to_contain_text("version 2")
    for pair in expected:
        expect(page.locator("#items")).to_contain_text(pair.augmented)
    made = Augmentation.objects.filter(item__project=project)
    assert made.count() == 3 and {a.label_policy for a in made} == {"inherit"}
    assert sorted(a.item.data["text"] for a in made) == sorted(p.augmented for p in expected)
    assert events.errors == []
