"""Classification and multi-label classification, labeled with the keyboard only."""

import statistics

import pytest
from playwright.sync_api import expect

from labeling.models import Annotation
from tests.e2e_labeling.conftest import texts
from tests.e2e_labeling.helpers import label_button, open_labeling, wait_for_another_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SENTIMENT = [
    {"name": "positive", "hotkey": "1"},
    {"name": "negative", "hotkey": "2"},
    {"name": "neutral", "hotkey": "3"},
]
EXPECTED = {
    "I love this printer": ("1", "positive"),
    "The screen broke after a day": ("2", "negative"),
    "It arrived on Tuesday": ("3", "neutral"),
    "Best purchase this year": ("1", "positive"),
    "Support never answered": ("2", "negative"),
}


def test_classification_with_the_keyboard_and_the_time_to_the_next_item(page, make_project, annotator_user, shot):
    project = make_project("classification", SENTIMENT, texts(*EXPECTED), guidelines="Label the **sentiment**.")
    item = open_labeling(page, project)
    expect(page.locator("[data-progress=left]")).to_have_text("5")  # the shown and the prefetched item count
    shot(page, "classification-01-first")

    for position in range(len(EXPECTED)):
        key, label = EXPECTED[item.data["text"]]
        expect(page.locator(".lp-text")).to_have_text(item.data["text"])
        page.keyboard.press(key)
        expect(label_button(page, label)).to_have_attribute("aria-pressed", "true")
        others = [entry["name"] for entry in SENTIMENT if entry["name"] != label]
        for other in others:
            expect(label_button(page, other)).to_have_attribute("aria-pressed", "false")
        if position == 1:
            shot(page, "classification-02-chosen")
            page.set_viewport_size({"width": 420, "height": 860})
            shot(page, "classification-02-chosen-narrow")
            page.set_viewport_size({"width": 1280, "height": 860})
        page.keyboard.press("Enter")
        following = wait_for_another_item(page, item)
        stored = Annotation.objects.get(item=item)
        assert (stored.annotator, stored.value, stored.revision) == (annotator_user, label, 1)
        if following is None:
            break
        item = following

    expect(page.locator("#lp-empty")).to_be_visible()
    expect(page.locator("[data-progress=done_total]")).to_have_text("5")
    expect(page.locator("[data-progress=done_today]")).to_have_text("5")
    expect(page.locator("[data-progress=left]")).to_have_text("0")
    expect(page.locator("#lp-status")).to_contain_text("Saved")
    assert Annotation.objects.filter(project=project).count() == 5
    shot(page, "classification-03-done")

    timings = page.evaluate("window.gwLabeling.submitToNextMs")
    confirm = page.evaluate("window.gwLabeling.confirmMs")
    assert len(timings) == 5
    print(
        f"\nsubmit -> next item shown: median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms"
        f" (server confirmed the submit after a median {statistics.median(confirm):.1f} ms), over {len(timings)} items"
    )


def test_multilabel_toggles_labels_with_their_keys(page, make_project):
    labels = [{"name": "billing", "hotkey": "b"}, {"name": "bug", "hotkey": "g"}, {"name": "praise", "hotkey": "p"}]
    project = make_project("multilabel", labels, texts("The invoice is wrong and the app crashes", "Thanks!"))
    first = open_labeling(page, project)

    page.keyboard.press("b")
    page.keyboard.press("p")
    page.keyboard.press("g")
    page.keyboard.press("p")  # off again
    for name, pressed in (("billing", "true"), ("bug", "true"), ("praise", "false")):
        expect(label_button(page, name)).to_have_attribute("aria-pressed", pressed)
    page.keyboard.press("Enter")
    second = wait_for_another_item(page, first)
    assert Annotation.objects.get(item=first).value == ["billing", "bug"]  # in the schema's order

    for name in ("billing", "bug", "praise"):  # a new item starts empty
        expect(label_button(page, name)).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(400)  # an Enter right after the last one counts as a double press
    page.keyboard.press("Enter")  # no label at all is an answer too
    wait_for_another_item(page, second)
    assert Annotation.objects.get(item=second).value == []
    expect(page.locator("#lp-empty")).to_be_visible()
