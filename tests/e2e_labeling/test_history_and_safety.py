"""History (arrow keys and the history page, edits with stale-write detection), escaping,
the keys overlay, the guidelines and keyboard-only use."""

import re

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
HOSTILE = "<img src=x onerror=alert(1)>"


def test_arrow_keys_walk_back_through_history_and_a_change_is_a_new_revision(page, make_project, shot):
    project = make_project("classification", SENTIMENT, texts("one", "two", "three"))
    first = open_labeling(page, project)
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    second = wait_for_another_item(page, first)
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    current = wait_for_another_item(page, second)

    page.keyboard.press("ArrowLeft")
    expect(page.locator("#lp-content")).to_have_attribute("data-item", str(second.pk))
    expect(page.locator("#lp-mode")).to_be_visible()
    expect(label_button(page, "negative")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#lp-content")).to_have_attribute("data-item", str(first.pk))
    expect(label_button(page, "positive")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#lp-status")).to_contain_text("first item you labeled")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#lp-content")).to_have_attribute("data-item", str(second.pk))

    page.keyboard.press("3")
    shot(page, "history-01-editing")
    page.keyboard.press("Enter")
    expect(page.locator("#lp-content")).to_have_attribute("data-item", str(current.pk))  # back to work
    expect(page.locator("#lp-mode")).to_be_hidden()
    expect(page.locator("#lp-status")).to_contain_text("revision 2")
    changed = Annotation.objects.get(item=second)
    assert (changed.value, changed.revision) == ("neutral", 2)
    assert [r.value for r in changed.revisions.order_by("number")] == ["negative", "neutral"]
    assert Annotation.objects.get(item=first).revision == 1
    assert not Annotation.objects.filter(item=current).exists()


def test_history_page_edit_link_and_a_stale_change_is_refused_clearly(
    page, open_tab, make_project, annotator_user, shot
):
    project = make_project("classification", SENTIMENT, texts("one", "two"))
    item = open_labeling(page, project)
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    wait_for_another_item(page, item)
    annotation = Annotation.objects.get(item=item)

    page.get_by_role("link", name="My history").click()
    expect(page.get_by_role("heading", name="What you labeled")).to_be_visible()
    row = page.locator(f"tr[data-annotation='{annotation.uuid}']")
    expect(row).to_contain_text("positive")
    shot(page, "history-02-page")
    row.get_by_role("link", name=re.compile("Edit your label of")).click()
    expect(page.locator("#lp-content")).to_have_attribute("data-item", str(item.pk))
    expect(label_button(page, "positive")).to_have_attribute("aria-pressed", "true")

    other = open_tab(annotator_user).page  # the same person in another tab changes it first
    other.goto(f"/projects/{project.pk}/label/?edit={annotation.uuid}")
    expect(other.locator("#lp-content")).to_have_attribute("data-item", str(item.pk))
    other.keyboard.press("3")
    other.keyboard.press("Enter")
    expect(other.locator("#lp-status")).to_contain_text("revision 2")

    page.keyboard.press("2")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("changed elsewhere")
    shot(page, "history-03-conflict")
    annotation.refresh_from_db()
    assert (annotation.value, annotation.revision) == ("neutral", 2)  # the other tab's change stands

    page.get_by_role("button", name="Load the current version").click()
    expect(label_button(page, "neutral")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(page.locator("#lp-status")).to_contain_text("revision 3")
    annotation.refresh_from_db()
    assert (annotation.value, annotation.revision) == ("negative", 3)


def test_hostile_text_labels_and_metadata_are_shown_as_characters(page, make_project, shot):
    labels = [{"name": HOSTILE, "hotkey": "1"}, {"name": "<b>plain</b>", "hotkey": "2"}]
    rows = [{"id": "x1", "text": f"{HOSTILE} is not a tag", "channel": "<script>alert(2)</script>"}]
    project = make_project("spans", labels, rows, guidelines=f"Mark {HOSTILE}\n\n<script>alert(3)</script> **bold**")
    item = open_labeling(page, project)
    expect(page.locator("#lp-span-text")).to_have_text(f"{HOSTILE} is not a tag")
    expect(page.locator("#lp-meta")).to_contain_text("<script>alert(2)</script>")
    expect(label_button(page, HOSTILE)).to_contain_text(HOSTILE)
    for _ in range(2):
        page.keyboard.press("Shift+ArrowRight")  # "<", then "img"
    page.keyboard.press("Control+Shift+ArrowRight")  # "img src"
    page.keyboard.press("1")
    expect(page.locator(".lp-tag-name")).to_have_text(HOSTILE)
    assert page.locator("#lp-item img, #lp-item script, #lp-item b, #lp-labels b").count() == 0
    page.get_by_role("button", name="Guidelines").click()
    guidelines = page.get_by_role("dialog", name="Guidelines")
    expect(guidelines.locator("strong")).to_have_text("bold")
    assert guidelines.locator("script, [onerror]").count() == 0  # sanitised: an <img> may stay, its handler not
    shot(page, "safety-01-hostile")
    page.keyboard.press("Escape")
    expect(guidelines).to_be_hidden()
    page.keyboard.press("Enter")
    assert wait_for_another_item(page, item) is None
    annotation = Annotation.objects.get(item=item)
    assert annotation.value == [{"start": 1, "end": 8, "label": HOSTILE}]

    page.goto(f"/projects/{project.pk}/label/history/")
    expect(page.locator("#lp-history")).to_contain_text(f"{HOSTILE} is not a tag")
    expect(page.locator("#lp-history")).to_contain_text("“img src”")
    assert page.locator("#lp-history img").count() == 0
    page.goto(f"/projects/{project.pk}/label/?edit={annotation.uuid}")
    expect(page.locator(".lp-tag-name")).to_have_text(HOSTILE)
    expect(page.locator("#lp-mode")).to_contain_text("“x1”")
    assert page.locator("#lp-item img").count() == 0
    # the page fixture fails the test if any alert() ran or a script error happened


def test_keys_overlay_guidelines_and_keyboard_only_use(page, make_project, shot):
    project = make_project("classification", SENTIMENT, texts("one", "two"), guidelines="Use **neutral** if unsure.")
    item = open_labeling(page, project)

    page.keyboard.press("?")
    keys = page.get_by_role("dialog", name="Keyboard")
    expect(keys).to_be_visible()
    expect(keys).to_contain_text("undo the last change")
    expect(keys).to_contain_text("choose “neutral”")
    shot(page, "keys-01-overlay")
    page.keyboard.press("?")
    expect(keys).to_be_hidden()

    # Tab to a label, Space chooses it; the focus ring is visible; Enter there submits
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.label === 'neutral'"):
            break
    else:
        pytest.fail("Tab never reached the 'neutral' label")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Space")
    expect(label_button(page, "neutral")).to_have_attribute("aria-pressed", "true")
    shot(page, "keys-02-focus")

    # the guidelines, one press away for a keyboard user too
    page.get_by_role("button", name="Guidelines").focus()
    page.keyboard.press("Enter")
    guidelines = page.get_by_role("dialog", name="Guidelines")
    expect(guidelines.locator("strong")).to_have_text("neutral")
    page.keyboard.press("Escape")
    expect(guidelines).to_be_hidden()

    page.locator("body").focus()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Enter")
    wait_for_another_item(page, item)
    assert Annotation.objects.get(item=item).value == "neutral"
