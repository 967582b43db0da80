"""Nothing lost: drafts survive a reload, a double Enter stores one, a lost answer is retried
with the same uuid (after a reload too, from the outbox), and a skipped item comes back last."""

import json

import pytest
from playwright.sync_api import expect

from conftest import wait_for
from labeling.models import Annotation, AnnotationRevision, Assignment
from tests.e2e_labeling.conftest import texts
from tests.e2e_labeling.helpers import label_button, open_labeling, wait_for_another_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SENTIMENT = [{"name": "positive", "hotkey": "1"}, {"name": "negative", "hotkey": "2"}]
TOPICS = [{"name": "billing", "hotkey": "b"}, {"name": "bug", "hotkey": "g"}, {"name": "praise", "hotkey": "p"}]


def test_a_reload_mid_item_keeps_the_draft(page, make_project, annotator_user, shot):
    project = make_project("multilabel", TOPICS, texts("The invoice is wrong", "The app crashes"))
    item = open_labeling(page, project)
    page.keyboard.press("b")
    page.keyboard.press("p")
    expect(label_button(page, "praise")).to_have_attribute("aria-pressed", "true")

    page.reload()
    page.wait_for_selector("#lp-content:not([data-item=''])")
    assert page.locator("#lp-content").get_attribute("data-item") == str(item.pk)  # the held item again
    expect(page.locator("#lp-status")).to_contain_text("Restored your unsaved work")
    for name, pressed in (("billing", "true"), ("bug", "false"), ("praise", "true")):
        expect(label_button(page, name)).to_have_attribute("aria-pressed", pressed)
    shot(page, "draft-01-restored")
    key = f"gw:draft:{project.pk}:{annotator_user.pk}:{item.pk}"
    draft = json.loads(page.evaluate("key => localStorage.getItem(key)", key))
    assert draft["value"] == ["billing", "praise"]
    assert not Annotation.objects.exists()  # a draft lives in the browser only

    page.keyboard.press("Backspace")  # undo works across the reload too
    expect(label_button(page, "praise")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Enter")
    wait_for_another_item(page, item)
    assert Annotation.objects.get(item=item).value == ["billing"]
    assert page.evaluate("key => localStorage.getItem(key)", key) is None  # confirmed, so dropped


def test_a_double_enter_or_double_click_stores_one_annotation(page, make_project):
    project = make_project("classification", SENTIMENT, texts("one", "two", "three"))
    first = open_labeling(page, project)
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    second = wait_for_another_item(page, first)
    page.keyboard.press("2")
    page.get_by_role("button", name="Submit").dblclick()
    third = wait_for_another_item(page, second)
    page.wait_for_timeout(600)  # room for a second submit to arrive, if the page sent one
    assert Annotation.objects.filter(item=first).count() == 1
    assert Annotation.objects.filter(item=second).count() == 1
    assert not Annotation.objects.filter(item=third).exists()
    assert AnnotationRevision.objects.count() == 2
    expect(page.locator("[data-progress=done_total]")).to_have_text("2")


def test_a_submit_whose_answer_is_lost_is_retried_and_stored_once(page, make_project):
    project = make_project("classification", SENTIMENT, texts("one", "two"))
    item = open_labeling(page, project)
    sent = []

    def flaky_network(route) -> None:
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.fetch()  # the server gets it and stores it...
            route.abort("connectionreset")  # ...but its answer never arrives
        elif len(sent) == 2:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/items/*/annotations/", flaky_network)
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    status = page.locator("#lp-status")
    expect(status).to_contain_text("not confirmed yet")
    assert "Saved" not in status.text_content()
    assert Annotation.objects.filter(item=item).count() == 1  # stored by the first try
    following = wait_for_another_item(page, item)
    expect(status).to_contain_text("Saved")
    assert len(sent) == 3
    assert len({body["uuid"] for body in sent}) == 1  # every try with the same uuid
    assert Annotation.objects.filter(item=item).count() == 1
    assert str(Annotation.objects.get(item=item).uuid) == sent[0]["uuid"]
    assert AnnotationRevision.objects.count() == 1
    assert following is not None and not Annotation.objects.filter(item=following).exists()


def test_a_skipped_item_comes_back_last(page, make_project, annotator_user, shot):
    project = make_project("classification", SENTIMENT, texts("one", "two", "three"))
    skipped = open_labeling(page, project)

    page.keyboard.press("s")  # Esc cancels: the same item stays
    expect(page.get_by_role("dialog", name="Skip this item?")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Skip this item?")).to_be_hidden()
    assert page.locator("#lp-content").get_attribute("data-item") == str(skipped.pk)
    # A key that comes while the closed dialog's field still holds focus is a command all the same.
    page.evaluate(
        "() => document.getElementById('lp-skip-reason')"
        ".dispatchEvent(new KeyboardEvent('keydown', {key: 's', bubbles: true}))"
    )
    expect(page.get_by_role("dialog", name="Skip this item?")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Skip this item?")).to_be_hidden()

    page.keyboard.press("s")
    page.get_by_label("Reason").fill("not sure about sarcasm")
    shot(page, "skip-01-dialog")
    page.keyboard.press("Enter")
    item = wait_for_another_item(page, skipped)
    expect(page.locator("[data-progress=skipped]")).to_have_text("1")
    expect(page.locator("#lp-status")).to_contain_text("comes back at the end")
    assignment = Assignment.objects.get(item=skipped, annotator=annotator_user)
    assert (assignment.status, assignment.skip_reason) == ("skipped", "not sure about sarcasm")

    seen = []
    while item is not None and item != skipped:
        seen.append(item)
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        item = wait_for_another_item(page, item)
    assert len(seen) == 2 and item == skipped  # back, after the other two
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    assert wait_for_another_item(page, skipped) is None
    assert Annotation.objects.get(item=skipped).value == "negative"
    expect(page.locator("#lp-empty")).to_be_visible()


def test_a_submit_a_reload_interrupted_is_sent_again_from_the_outbox(page, make_project, annotator_user):
    project = make_project("classification", SENTIMENT, texts("one", "two", "three"))
    item = open_labeling(page, project)
    sent = []

    def offline(route) -> None:
        sent.append(route.request.post_data_json)
        route.abort("internetdisconnected")

    page.route("**/api/items/*/annotations/", offline)
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(page.locator("#lp-status")).to_contain_text("not confirmed yet")
    expect(page.locator("#lp-content")).not_to_have_attribute("data-item", str(item.pk))  # the next item is shown
    assert not Annotation.objects.filter(item=item).exists()
    outbox = f"gw:outbox:{project.pk}:{annotator_user.pk}:{item.pk}"
    assert json.loads(page.evaluate("key => localStorage.getItem(key)", outbox))["uuid"] == sent[0]["uuid"]

    page.unroute("**/api/items/*/annotations/")
    page.reload()  # the network is back; the page sends what it could not
    page.wait_for_selector("#lp-content:not([data-item=''])")
    wait_for(lambda: Annotation.objects.filter(item=item).exists(), what="the interrupted submit to arrive")
    expect(page.locator("#lp-status")).to_contain_text("Saved")
    stored = Annotation.objects.get(item=item)
    assert (str(stored.uuid), stored.value) == (sent[0]["uuid"], "negative")
    expect(page.locator("#lp-content")).not_to_have_attribute("data-item", str(item.pk))
    page.wait_for_function("() => window.gwLabeling.pending() === 0")
    assert page.evaluate("key => localStorage.getItem(key)", outbox) is None
    assert Annotation.objects.filter(project=project).count() == 1
