"""The review in a real browser: rank, open an item, adjudicate, see the export's final label change."""

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from labeling.models import Adjudication
from tests.conftest import open_recorded_page
from tests.factories import UserFactory, add_member
from tests.review.conftest import bulk_annotate, items_of, submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-review")
HOSTILE = '<img src=x onerror="alert(1)"> & <b>bold</b>'


@pytest.fixture
def review_tab(browser, live_server, reviewer):
    client = Client()
    client.force_login(reviewer)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    context, page, events = open_recorded_page(
        browser, live_server.url, width=1280, height=900, timeout_ms=20_000, cookies=[cookie]
    )
    yield page
    context.close()
    assert events.errors == [] and events.dialogs == [], (events.errors, events.dialogs)


def export_finals(page, project) -> dict[str, tuple]:
    response = page.request.get(f"/api/projects/{project.pk}/versions/1/export/?format=jsonl")
    assert response.status == 200
    records = [json.loads(line) for line in response.text().splitlines()]
    return {r["external_id"]: (r["final"], r["final_source"]) for r in records}


def test_rank_open_adjudicate_and_the_export_changes(review_tab, make_project, manager):
    page = review_tab
    rows = [
        {"id": "agreed", "text": "Great battery life", "channel": "web"},
        {"id": "split", "text": HOSTILE, "channel": "email"},
        {"id": "mostly", "text": "It was fine, I guess", "channel": "web"},
    ]
    project = make_project("classification", ["positive", "negative", "neutral"], rows)
    users = [UserFactory(username=f"e2e{n}") for n in range(4)]
    for user in users:
        add_member(project, user, "annotator")
    agreed, split, mostly = items_of(project)
    for user in users:
        submit(agreed, user, "positive")
    for user, value in zip(users, ["positive", "negative", "positive", "negative"], strict=True):
        submit(split, user, value)
    for user, value in zip(users, ["neutral", "neutral", "neutral", "negative"], strict=True):
        submit(mostly, user, value)
    assert export_finals(page, project)["split"] == (None, None)

    page.goto(f"/projects/{project.pk}/")
    page.click("#review-link")
    expect(page.locator(".rv-item")).to_have_count(2)  # disagreements only: everyone agreed on "agreed"
    page.click("#rv-all-link")
    expect(page.locator(".rv-item")).to_have_count(3)
    order = [int(x) for x in page.locator(".rv-item").evaluate_all("els => els.map(e => e.dataset.item)")]
    assert order == [split.pk, mostly.pk, agreed.pk]  # least agreement first
    card = page.locator(f"#rv-item-{split.pk}")
    expect(card.locator(".rv-text")).to_have_text(HOSTILE)  # shown as text, never run
    expect(card.locator("[data-field=consensus]")).to_contain_text("tie")
    expect(card.locator(".rv-annotations tbody tr")).to_have_count(4)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "review-ranked.png"), full_page=True)

    page.fill("#rv-metadata", "channel=email")
    page.click(".rv-filters button")
    expect(page.locator(".rv-item")).to_have_count(1)
    card = page.locator(f"#rv-item-{split.pk}")
    card.locator("input[name=label][value=negative]").check()
    card.locator(f"#rv-note-{split.pk}").fill("the guideline: complaints are negative")
    card.locator("[data-action=adjudicate]").click()
    expect(page.locator(".messages")).to_contain_text("Final label of split saved")
    expect(page.locator(f"#rv-item-{split.pk} [data-field=final]")).to_contain_text("negative")
    assert "metadata=channel%3Demail" in page.url  # back to the same filtered queue

    finals = export_finals(page, project)
    assert finals["split"] == ("negative", "adjudication")
    assert finals["mostly"] == ("neutral", "consensus")
    assert finals["agreed"] == ("positive", "consensus")

    page.goto(f"/projects/{project.pk}/agreement/")
    expect(page.locator("[data-figure=krippendorff_alpha] .ag-value")).to_have_text(re.compile(r"^-?\d\.\d{3}$"))
    expect(page.locator("svg.heatmap rect[data-a]")).to_have_count(12)  # 4 x 4 minus the diagonal
    expect(page.locator("#ag-annotators tbody tr")).to_have_count(4)
    matrices = page.locator("#ag-confusion svg.confusion[role=img]")
    expect(matrices).to_have_count(4)  # one Dawid-Skene confusion matrix per annotator
    expect(matrices.first.locator("text.cell")).to_have_count(9)  # 3 true x 3 given labels, each printed
    expect(matrices.first.locator("text.cell").first).to_have_text(re.compile(r"^\d\.\d\d$"))
    page.screenshot(path=str(SHOTS / "agreement.png"), full_page=True)


def test_the_queue_offers_its_slices_and_says_when_nothing_matches(review_tab, make_project):
    page = review_tab
    rows = [
        {"id": "a1", "text": "Arrived broken", "channel": "email survey"},
        {"id": "a2", "text": "Love it", "channel": "app store"},
        {"id": "a3", "text": "Fine", "channel": "app store"},
    ]
    project = make_project("classification", ["positive", "negative", "neutral"], rows)
    users = [UserFactory(username=f"sl{n}") for n in range(2)]
    for user in users:
        add_member(project, user, "annotator")
    broken, love, fine = items_of(project)
    for user, value in zip(users, ["negative", "neutral"], strict=True):
        submit(broken, user, value)
    for user in users:
        submit(love, user, "positive")
    for user, value in zip(users, ["neutral", "positive"], strict=True):
        submit(fine, user, value)

    page.goto(f"/projects/{project.pk}/review/")
    expect(page.locator(".rv-item")).to_have_count(2)  # "love" is agreed on: hidden by default
    expect(page.locator("#rv-count")).to_contain_text("2 items where annotators disagree")
    offered = page.locator("#rv-slices option").evaluate_all("els => els.map(e => e.value)")
    assert sorted(offered) == ["channel=app store", "channel=email survey"]
    expect(page.locator("#rv-metadata")).to_have_attribute("placeholder", "channel=app store")

    page.click("#rv-slice-picks [data-slice='channel=email survey']")
    expect(page.locator(".rv-item")).to_have_count(1)
    expect(page.locator(f"#rv-item-{broken.pk}")).to_be_visible()
    expect(page.locator("#rv-metadata")).to_have_value("channel=email survey")

    page.fill("#rv-metadata", "channel=email")  # the old placeholder's example: no such value
    page.click(".rv-filters button")
    expect(page.locator("#rv-empty")).to_contain_text("No item matches")
    expect(page.locator("#rv-empty")).not_to_contain_text("Items appear here once")

    page.fill("#rv-metadata", "channel=app store")
    page.check("#rv-all")
    page.click(".rv-filters button")
    expect(page.locator(".rv-item")).to_have_count(2)  # with "all", the agreed item of the slice too
    expect(page.locator(f"#rv-item-{love.pk} [data-field=agreement]")).to_contain_text("1.00")
    page.click("#rv-all-link")
    expect(page.locator(".rv-item")).to_have_count(1)
    assert "metadata=channel" in page.url and "all=" not in page.url
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "review-slices.png"), full_page=True)


def page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def current_item(page) -> int:
    return int(page.locator(".rv-item[aria-current=true]").get_attribute("data-item"))


def test_the_queue_is_reviewed_with_the_keyboard_one_item_at_a_time(
    review_tab, browser, live_server, reviewer, make_project
):
    page = review_tab
    rows = [{"id": f"k{n:02}", "text": f"Review number {n}: " + "the parcel came late " * 12} for n in range(20)]
    project = make_project("classification", ["positive", "negative", "neutral"], rows, overlap=2)
    users = [UserFactory(username=f"kb{n}") for n in range(3)]
    for user in users:
        add_member(project, user, "annotator")
    items = items_of(project)
    bulk_annotate(
        project,
        [
            (item, user, value)
            for item in items
            for user, value in zip(users[:2], ["positive", "negative"], strict=True)
        ],
    )
    hotkeys = {label["name"]: label["hotkey"] for label in project.labels}
    SHOTS.mkdir(exist_ok=True)

    # Without the script every item is a full form, as before: the page still works, and is long.
    client = Client()
    client.force_login(reviewer)
    plain = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    plain.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    static_page = plain.new_page()
    static_page.goto(f"/projects/{project.pk}/review/")
    expect(static_page.locator(".rv-adjudicate")).to_have_count(20)
    expect(static_page.locator(".rv-adjudicate").last).to_be_visible()
    full_height = page_height(static_page)
    plain.close()

    page.goto(f"/projects/{project.pk}/review/")
    expect(page.locator(".rv-item")).to_have_count(20)
    expect(page.locator(".rv-item.rv-collapsed")).to_have_count(19)  # one item open, the others a compact row
    expect(page.locator(".rv-item:visible .rv-adjudicate:visible")).to_have_count(1)
    collapsed = page.locator(".rv-item.rv-collapsed").first
    expect(collapsed.locator(".rv-excerpt")).to_contain_text("Review number")
    expect(collapsed.locator("[data-field=agreement]")).to_be_visible()
    expect(collapsed.locator("[data-field=consensus]")).to_contain_text("tie")
    height = page_height(page)
    page.screenshot(path=str(SHOTS / "review-keyboard.png"), full_page=True)
    assert height < 3_000 < 10_000 < full_height, (height, full_height)

    order = [int(x) for x in page.locator(".rv-item").evaluate_all("els => els.map(e => e.dataset.item)")]
    assert current_item(page) == order[0]
    page.keyboard.press("j")
    assert current_item(page) == order[1]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("k")
    assert current_item(page) == order[1]
    page.keyboard.press("ArrowUp")
    assert current_item(page) == order[0]
    page.locator(f"#rv-item-{order[3]} .rv-excerpt").click()  # a click on a row opens it
    assert current_item(page) == order[3]
    page.keyboard.press("?")
    expect(page.locator("#rv-keys")).to_be_visible()
    expect(page.locator("#rv-keys")).to_contain_text("“negative” as the final label")
    page.keyboard.press("?")
    expect(page.locator("#rv-keys")).to_be_hidden()
    page.keyboard.press("k")
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert current_item(page) == order[0]

    page.keyboard.press("Enter")  # a tie: nothing is chosen yet, so nothing is posted
    expect(page.locator("#rv-status")).to_contain_text("Choose the final label first")
    page.keyboard.press(hotkeys["negative"])
    expect(page.locator(f"#rv-item-{order[0]} input[value=negative]")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Final label of k")
    expect(page.locator(f"#rv-item-{order[0]} [data-field=final]")).to_contain_text("negative")
    assert current_item(page) == order[1]  # the queue comes back at the next item

    page.keyboard.press(hotkeys["neutral"])
    page.keyboard.press("Enter")
    expect(page.locator(f"#rv-item-{order[1]} [data-field=final]")).to_contain_text("neutral")
    assert current_item(page) == order[2]

    page.keyboard.press("s")
    expect(page.locator(".messages")).to_contain_text("back for 1 more label(s)")
    assert current_item(page) == order[3]
    page.fill(f"#rv-count-{order[3]}", "5")  # more than the project has annotators left for it
    page.keyboard.press("Escape")  # out of the field: the keys work again
    page.keyboard.press("s")
    expect(page.locator(".messages")).to_contain_text("ask for at most 1 more")
    assert current_item(page) == order[3]  # refused: the item stays open to be corrected
    assert page_height(page) < 3_000
    page.screenshot(path=str(SHOTS / "review-keyboard-after.png"), full_page=True)

    decisions = list(Adjudication.objects.order_by("id").values_list("item_id", "action", "value"))
    assert decisions == [
        (order[0], "label", "negative"),
        (order[1], "label", "neutral"),
        (order[2], "send_back", None),
    ]
