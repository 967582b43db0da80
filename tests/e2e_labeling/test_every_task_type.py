"""The same session for each task type: label with the keys, reload mid-item and find the draft,
press Enter twice and store one annotation, skip an item and meet it again at the end."""

import base64

import pytest
from playwright.sync_api import Page, expect

from labeling.models import Annotation, AnnotationRevision, Assignment
from tests.e2e_labeling.helpers import open_labeling, wait_for_another_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def picture(colour: str) -> str:
    drawing = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">'
        f'<rect width="120" height="80" fill="{colour}"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(drawing.encode()).decode()


def shown_as_chosen(page: Page, names: list[str]) -> None:
    for button in page.locator(".lp-label").all():
        expect(button).to_have_attribute(
            "aria-pressed", "true" if button.get_attribute("data-label") in names else "false"
        )


# task type: (labels, rows, the keys of one answer, what the page shows of it, the stored value)
CASES = {
    "classification": (
        [{"name": "positive", "hotkey": "1"}, {"name": "negative", "hotkey": "2"}],
        [
            {"id": f"t{n}", "text": text}
            for n, text in enumerate(["Great value", "Broke in a day", "Fine", "Meh", "Late"])
        ],
        ["2"],
        ["negative"],
        "negative",
    ),
    "multilabel": (
        [{"name": "billing", "hotkey": "b"}, {"name": "bug", "hotkey": "g"}, {"name": "praise", "hotkey": "p"}],
        [
            {"id": f"t{n}", "text": text}
            for n, text in enumerate(["Charged twice", "Crashes", "Love it", "Refund?", "Slow"])
        ],
        ["b", "g"],
        ["billing", "bug"],
        ["billing", "bug"],
    ),
    "spans": (
        [{"name": "PER", "hotkey": "1"}, {"name": "LOC", "hotkey": "2"}],
        [
            {"id": f"t{n}", "text": text}
            for n, text in enumerate(
                ["Alice flew home.", "Alice met Bob.", "Alice slept.", "Alice won.", "Alice left."]
            )
        ],
        ["Shift+ArrowRight", "1"],  # the first word, "Alice", as PER
        [("Alice", "PER")],
        [{"start": 0, "end": 5, "label": "PER"}],
    ),
    "image": (
        [{"name": "cat", "hotkey": "c"}, {"name": "dog", "hotkey": "d"}],
        [
            {"id": f"p{n}", "image": picture(colour)}
            for n, colour in enumerate(["#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#d9d9d9"])
        ],
        ["d"],
        ["dog"],
        "dog",
    ),
}


def shows(page: Page, task_type: str, expected: list) -> None:
    if task_type == "spans":  # each span has a button that removes it, named after it
        expect(page.locator("#lp-span-text mark")).to_have_count(len(expected))
        tags = page.locator("#lp-span-text .lp-tag")
        assert [tag.get_attribute("aria-label") for tag in tags.all()] == [
            f"Remove span \u201c{text}\u201d labeled {label}" for text, label in expected
        ]
    else:
        shown_as_chosen(page, expected)


@pytest.mark.parametrize("task_type", list(CASES))
def test_keys_draft_double_submit_and_skip(page, make_project, annotator_user, task_type):
    labels, rows, keys, drawn, stored = CASES[task_type]
    project = make_project(task_type, labels, rows)
    first = open_labeling(page, project)
    for key in keys:
        page.keyboard.press(key)
    shows(page, task_type, drawn)

    page.reload()  # mid-item: the same item, the draft in place
    page.wait_for_selector("#lp-content:not([data-item=''])")
    assert page.locator("#lp-content").get_attribute("data-item") == str(first.pk)
    expect(page.locator("#lp-status")).to_contain_text("Restored your unsaved work")
    shows(page, task_type, drawn)
    assert not Annotation.objects.exists()

    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # a double press stores one annotation, and nothing for the next item
    skipped = wait_for_another_item(page, first)
    page.wait_for_timeout(300)  # room for a second submit to arrive, if the page sent one
    assert Annotation.objects.get(item=first).value == stored
    assert not Annotation.objects.filter(item=skipped).exists()
    assert AnnotationRevision.objects.count() == 1
    shows(page, task_type, [])  # the next item starts empty

    page.keyboard.press("s")
    expect(page.get_by_role("dialog", name="Skip this item?")).to_be_visible()
    page.keyboard.press("Enter")
    item = wait_for_another_item(page, skipped)
    expect(page.locator("[data-progress=skipped]")).to_have_text("1")
    assert Assignment.objects.get(item=skipped, annotator=annotator_user).status == "skipped"
    seen = []
    while item is not None and item != skipped:
        seen.append(item)
        for key in keys:
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        item = wait_for_another_item(page, item)
    assert len(seen) == 3 and item == skipped  # back, after the other three
    for key in keys:
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    assert wait_for_another_item(page, skipped) is None
    expect(page.locator("#lp-empty")).to_be_visible()
    assert Annotation.objects.filter(project=project).count() == 5
    assert all(value == stored for value in Annotation.objects.values_list("value", flat=True))
