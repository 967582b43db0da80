"""Span labeling (keys and mouse) and image classification."""

import base64
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from labeling.models import Annotation
from quality.pipeline import services as quality_services
from tests.e2e_labeling.conftest import texts
from tests.e2e_labeling.helpers import double_click_word, drag_over, open_labeling, wait_for_another_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ENTITIES = [{"name": "PER", "hotkey": "1"}, {"name": "LOC", "hotkey": "2"}, {"name": "DATE", "hotkey": "3"}]
SENTENCE = "Alice flew from New York to Paris on Monday."
# An SVG drawing inline, so the test needs no file server (the server never fetches images).
DRAWING = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200">'
    '<rect width="320" height="200" fill="rgb(222,235,247)"/>'
    '<circle cx="160" cy="110" r="60" fill="rgb(253,174,107)"/>'
    '<polygon points="112,78 122,20 150,58" fill="rgb(253,174,107)"/>'
    '<polygon points="208,78 198,20 170,58" fill="rgb(253,174,107)"/>'
    '<circle cx="138" cy="100" r="7"/><circle cx="182" cy="100" r="7"/></svg>'
)
PICTURE = "data:image/svg+xml;base64," + base64.b64encode(DRAWING.encode()).decode()


def spans_of(page):
    """The spans the page draws: each marked text with the label named in its tag."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#lp-span-text .lp-tag')].map(
             t => t.querySelector('.lp-tag-name').textContent)"""
    )


def test_spans_with_keys_and_mouse_then_remove_and_undo(page, make_project, shot):
    project = make_project("spans", ENTITIES, texts(SENTENCE, "Bob stayed home."))
    item = open_labeling(page, project)
    if item.data["text"] != SENTENCE:  # the queue's order is a stable shuffle
        page.keyboard.press("Enter")
        item = wait_for_another_item(page, item)
    expect(page.locator("#lp-span-text")).to_have_text(SENTENCE)

    page.keyboard.press("Shift+ArrowRight")  # "Alice"
    page.keyboard.press("1")
    for _ in range(3):  # flew, from, New
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Control+Shift+ArrowRight")  # New York
    page.keyboard.press("Control+Shift+ArrowRight")  # New York to
    page.keyboard.press("Control+Shift+ArrowLeft")  # New York
    page.keyboard.press("2")
    drag_over(page, "Paris", "Paris")
    page.keyboard.press("2")
    double_click_word(page, "Monday")
    page.keyboard.press("3")
    expect(page.locator("#lp-span-text mark")).to_have_count(4)
    assert spans_of(page) == ["PER", "LOC", "LOC", "DATE"]
    expect(page.locator("mark", has_text="New York")).to_be_visible()
    shot(page, "spans-01-labeled")

    # a wrong span, removed with its button, then the removal and the span undone
    drag_over(page, "flew", "from")
    page.keyboard.press("3")
    assert spans_of(page) == ["PER", "DATE", "LOC", "LOC", "DATE"]
    page.get_by_role("button", name="Remove span “flew from” labeled DATE").click()
    assert spans_of(page) == ["PER", "LOC", "LOC", "DATE"]
    page.keyboard.press("Backspace")  # the removal is undone
    assert spans_of(page) == ["PER", "DATE", "LOC", "LOC", "DATE"]
    page.keyboard.press("Control+z")  # and the wrong span itself
    assert spans_of(page) == ["PER", "LOC", "LOC", "DATE"]

    # Delete removes what lies under the selection; undo brings it back
    double_click_word(page, "Monday")
    page.keyboard.press("Delete")
    assert spans_of(page) == ["PER", "LOC", "LOC"]
    page.keyboard.press("Backspace")
    assert spans_of(page) == ["PER", "LOC", "LOC", "DATE"]

    # a label key with nothing selected explains itself and changes nothing
    page.keyboard.press("Escape")
    page.keyboard.press("1")
    expect(page.locator("#lp-status")).to_contain_text("Select some text first")
    assert spans_of(page) == ["PER", "LOC", "LOC", "DATE"]

    page.keyboard.press("Enter")
    wait_for_another_item(page, item)
    assert Annotation.objects.get(item=item).value == [
        {"start": 0, "end": 5, "label": "PER"},
        {"start": 16, "end": 24, "label": "LOC"},
        {"start": 28, "end": 33, "label": "LOC"},
        {"start": 37, "end": 43, "label": "DATE"},
    ]


def test_image_classification_with_the_keyboard(page, make_project, shot):
    labels = [{"name": "cat", "hotkey": "c"}, {"name": "dog", "hotkey": "d"}]
    rows = [
        {"id": "drawing", "image": PICTURE},
        {"id": "missing", "image": "http://127.0.0.1:9/missing.png"},
        {"id": "script", "image": "javascript:alert(1)"},
    ]
    project = make_project("image", labels, rows)
    item = open_labeling(page, project)
    answers = {"drawing": "c", "missing": "d", "script": "c"}
    stored = {"c": "cat", "d": "dog"}
    while item is not None:
        if item.external_id == "drawing":
            image = page.get_by_role("img", name="Image of drawing")
            expect(image).to_be_visible()
            page.wait_for_function("() => document.querySelector('.lp-image').naturalWidth === 320")
            shot(page, "image-01-shown")
        elif item.external_id == "missing":
            expect(page.locator(".lp-broken")).to_have_text(re.compile("could not be loaded"))
            expect(page.locator(".lp-caption")).to_have_text("http://127.0.0.1:9/missing.png")
        else:
            expect(page.locator(".lp-broken")).to_have_text(re.compile("cannot be shown"))
            expect(page.locator("#lp-content img")).to_have_count(0)
        page.keyboard.press("Enter")  # no label yet: refused, explained
        expect(page.locator("#lp-status")).to_contain_text("Choose a label first")
        page.keyboard.press(answers[item.external_id])
        page.keyboard.press("Enter")
        following = wait_for_another_item(page, item)
        assert Annotation.objects.get(item=item).value == stored[answers[item.external_id]]
        item = following
    assert Annotation.objects.filter(project=project).count() == 3


def test_span_offsets_count_characters_as_the_server_does(page, make_project):
    text = "We ate 🍕 and 🍝 in Napoli 🇮🇹 today"  # emoji are one character here, two or more in JavaScript
    project = make_project("spans", ENTITIES, texts(text))
    item = open_labeling(page, project)
    double_click_word(page, "Napoli")
    page.keyboard.press("2")
    drag_over(page, "today", "today")
    page.keyboard.press("3")
    expect(page.locator("mark", has_text="Napoli")).to_be_visible()
    page.keyboard.press("Enter")
    wait_for_another_item(page, item)
    start = text.index("Napoli")
    assert Annotation.objects.get(item=item).value == [
        {"start": start, "end": start + 6, "label": "LOC"},
        {"start": text.index("today"), "end": len(text), "label": "DATE"},
    ]

    page.goto(f"/projects/{project.pk}/label/?edit={Annotation.objects.get(item=item).uuid}")
    expect(page.locator("mark").first).to_have_text("Napoli")  # drawn where the server says
    expect(page.locator("mark").nth(1)).to_have_text("today")


def test_an_uploaded_image_is_shown_to_the_annotator(page, manager, annotator_user, make_project):
    """Images dropped on the project page become items whose picture the server serves to members."""
    project = make_project("image", [{"name": "cat", "hotkey": "c"}, {"name": "dog", "hotkey": "d"}], [])
    buffer = io.BytesIO()
    Image.new("RGB", (48, 30), "orange").save(buffer, format="PNG")
    batch = quality_services.images_batch_upload(
        project=project, user=manager, files=[SimpleUploadedFile("tabby.png", buffer.getvalue())]
    )
    assert quality_services.batch_import(batch_id=str(batch.pk)).status == "accepted"
    item = open_labeling(page, project)
    assert item.external_id == "tabby.png"
    expect(page.get_by_role("img", name="Image of tabby.png")).to_be_visible()
    page.wait_for_function("() => document.querySelector('.lp-image').naturalWidth === 48")
    page.keyboard.press("c")
    page.keyboard.press("Enter")
    expect(page.locator("#lp-status")).to_contain_text(re.compile("saved|nothing left", re.I))
    assert Annotation.objects.get(item=item).value == "cat"
