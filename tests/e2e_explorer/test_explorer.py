"""A manager explores a version's items, filters them, opens one and settles its label."""

import pytest
from playwright.sync_api import expect

from tests.explorer.conftest import build_explored
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def explored(transactional_db, manager):
    return build_explored(manager)


@pytest.fixture
def outsider_user(transactional_db):
    return UserFactory(username="stranger")


def test_explore_filter_open_and_adjudicate(open_tab, manager, explored):
    tab = open_tab(manager)
    page = tab.page
    project = explored.project
    page.goto(f"/projects/{project.pk}/versions/2/")
    page.locator("#explore").click()
    rows = page.locator("#explorer-items tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator(f'tr[data-item="{explored.items["e2"].pk}"] [data-field="final"]')).to_contain_text(
        "positive (adjudication)"
    )
    expect(page.locator(f'tr[data-item="{explored.items["e1"].pk}"] [data-field="agreement"]')).to_have_text("1.00")

    page.fill("#id_metadata", "channel=chat")
    page.fill("#id_q", "parcel")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#explorer-count")).to_contain_text("not counted")

    page.fill("#id_metadata", "channel")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-error="metadata"]')).to_contain_text("key=value")

    page.goto(f"/projects/{project.pk}/versions/2/items/?label=negative&final=negative")
    expect(rows).to_have_count(2)
    page.locator(f'tr[data-item="{explored.items["c2"].pk}"] a').first.click()
    expect(page.locator("h1")).to_have_text("Item c2")
    expect(page.locator('[data-field="text"]')).to_have_text("The parcel arrived broken")
    expect(page.locator('#item-annotations tr[data-annotator="ann1"] [data-field="revisions"]')).to_contain_text("#1")
    expect(page.locator('[data-field="batch"]')).to_contain_text("rows.jsonl")

    page.locator("#adjudicate-form").get_by_label("neutral").check()
    page.locator("#adjudicate-form textarea").fill("mixed feelings")
    page.locator("#adjudicate-form").get_by_role("button", name="Save final label").click()
    expect(page.locator(".messages")).to_contain_text("Final label saved")
    expect(page.locator('[data-field="final"]')).to_contain_text("neutral (adjudication)")
    expect(page.locator('#item-adjudications li[data-action="label"]')).to_contain_text("mixed feelings")

    page.locator("#send-back-form").get_by_role("button", name="Send back").click()
    expect(page.locator(".messages")).to_contain_text("Sent back for 1 more label")
    assert tab.events.errors == []


def test_the_item_page_is_for_members_only(open_tab, explored, outsider_user):
    page = open_tab(outsider_user).page
    response = page.goto(f"/items/{explored.items['e1'].pk}/")
    assert response is not None and response.status == 404
    annotator = explored.project.memberships.get(user__username="ann1").user
    response = open_tab(annotator).page.goto(f"/items/{explored.items['e1'].pk}/")
    assert response is not None and response.status == 403
