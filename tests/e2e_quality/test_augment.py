"""The version page's Augment form in a real browser: preview a few pairs, generate through a real worker,
follow the job, and open the new version with the copies in it; the labeling page marks an augmented item."""

import uuid

import pytest
from playwright.sync_api import expect

from datasets.models import Augmentation, Item
from labeling import services as labeling
from quality.augment import services as augment_services
from tests.projects.helpers import import_file

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXTS = ["a fine day by the sea", "a rainy day in <b>town</b>", "the best of times and the worst"]


@pytest.mark.worker
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


def test_the_labeling_page_marks_an_augmented_item_with_its_method(page_as, shot, project, manager, annotator):
    project.overlap = 1  # the source, labeled once, is done: the augmented copy is all that is left
    project.save(update_fields=["overlap"])
    assert import_file(project, manager, "v1.csv", b"text\na fine day\n").status == "accepted"
    source = Item.objects.get(project=project)
    labeling.annotation_submit(item=source, user=manager, request_uuid=uuid.uuid4(), value="positive")
    content = f"text,source_item,augmentation_method\na fine dya,{source.pk},<b>typo</b>\n".encode()
    assert import_file(project, manager, "aug.csv", content).status == "accepted"
    page, events = page_as(annotator)
    page.goto(f"/projects/{project.pk}/label/")
    expect(page.locator("#lp-content")).to_contain_text("a fine dya")
    badge = page.locator("#lp-meta .badge.augmented")
    expect(badge).to_have_text("augmented · <b>typo</b>")  # the method's name as text, never as markup
    expect(page.locator("#lp-meta b")).to_have_count(0)
    shot(page, "augment-03-label")
    assert events.errors == []
