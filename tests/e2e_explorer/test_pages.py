"""A manager's pages around the explorer in a real Chromium: settings, team, selections."""

import pytest
from playwright.sync_api import expect

from labeling.models import Adjudication, ItemState
from projects.models import Project
from tests.explorer.conftest import build_explored

pytestmark = pytest.mark.e2e


@pytest.fixture
def explored(transactional_db, manager):
    return build_explored(manager)


def test_settings_reorder_save_and_refuse_a_label_in_use(open_tab, manager, explored):
    tab = open_tab(manager)
    page = tab.page
    project = explored.project
    page.goto(f"/projects/{project.pk}/")
    page.locator("#settings-link").click()
    expect(page.locator("h1")).to_have_text("Settings")
    rows = page.locator("#label-rows .label-row")
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="Move label 3 up").click()  # neutral before negative
    page.get_by_label("Label 2 hotkey").fill("n")
    page.get_by_label("Overlap").fill("2")
    page.locator("#id_guidelines").fill("## Sentiment\nPick **one** label.")
    page.locator("#save-settings").click()
    expect(page.locator(".messages")).to_contain_text("Settings saved")
    expect(page.locator("#guidelines-card h2 + div h2")).to_have_text("Sentiment")
    stored = Project.objects.get(pk=project.pk)
    assert stored.label_names == ["positive", "neutral", "negative"] and stored.overlap == 2
    assert stored.labels[1]["hotkey"] == "n"

    page.get_by_role("button", name="Remove label 3").click()  # negative: annotations hold it
    page.locator("#save-settings").click()
    expect(page.locator("#settings-error")).to_contain_text("Labels in use cannot be removed: 'negative' (3)")
    expect(rows).to_have_count(2)  # the form comes back as posted, nothing stored
    assert Project.objects.get(pk=project.pk).label_names == ["positive", "neutral", "negative"]
    assert tab.events.errors == []


def test_team_page(open_tab, manager, explored):
    tab = open_tab(manager)
    page = tab.page
    page.goto(f"/projects/{explored.project.pk}/")
    page.locator("#team-link").click()
    expect(page.locator("h1")).to_contain_text("Team")
    ann1 = page.locator('#team-table tr[data-annotator="ann1"]')
    expect(ann1.locator('[data-field="done"]')).to_have_text("3")
    expect(ann1.locator('[data-field="done_today"]')).to_have_text("3")
    # ann1 and ann2 share e1 (both negative) and e2 (positive against neutral): they agree on half.
    expect(ann1.locator('[data-field="agreement"]')).to_have_text("0.50")
    expect(page.locator('#team-table tr[data-annotator="ann2"] [data-field="done"]')).to_have_text("2")
    expect(page.locator("#team-agreement svg")).to_be_visible()
    expect(page.locator("#team-labels svg")).to_be_visible()
    assert tab.events.errors == []


def test_select_count_send_back_and_raise_priority(open_tab, manager, explored):
    tab = open_tab(manager)
    page = tab.page
    project = explored.project
    page.goto(f"/projects/{project.pk}/versions/2/items/")
    page.fill("#id_metadata", "channel=chat")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Act on these items…").click()
    expect(page.locator("#selection-count")).to_contain_text("touches 2 items")
    expect(page.locator('#selection-export a[data-format="jsonl"]')).to_have_attribute(
        "href", f"/api/projects/{project.pk}/versions/2/export/?format=jsonl&metadata=channel%3Dchat"
    )
    page.locator("#send-back-form textarea").fill("needs a second look")
    page.get_by_role("button", name="Send 2 items back").click()
    expect(page.locator(".messages")).to_contain_text("Sent 2 items back for 1 more label(s) each")
    expect(page.locator("#id_metadata")).to_have_value("channel=chat")  # back on the same selection
    chat = [explored.items["c1"].pk, explored.items["c2"].pk]
    assert sorted(ItemState.objects.filter(extra=1).values_list("item_id", flat=True)) == sorted(chat)
    assert Adjudication.objects.filter(action="send_back", note="needs a second look").count() == 2

    page.get_by_role("link", name="Act on these items…").click()
    page.locator("#id_priority").fill("7")
    page.get_by_role("button", name="Raise the priority of 2 items").click()
    expect(page.locator(".messages")).to_contain_text("2 items now have priority 7 or more")
    assert sorted(ItemState.objects.filter(priority=7).values_list("item_id", flat=True)) == sorted(chat)
    assert tab.events.errors == []


def test_a_large_selection_runs_as_a_job_with_its_progress_on_the_page(
    open_tab, manager, explored, settings, celery_worker_process
):
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 0  # every selection is too large for the request
    tab = open_tab(manager)
    page = tab.page
    project = explored.project
    page.goto(f"/projects/{project.pk}/versions/2/items/?metadata=channel%3Dchat")
    page.get_by_role("link", name="Act on these items…").click()
    page.locator("#send-back-form textarea").fill("a job's second look")
    page.get_by_role("button", name="Send 2 items back").click()
    expect(page.locator("h1")).to_have_text("Sending the selected items back")
    expect(page.locator('#selection-job [data-field="status"]')).to_have_text("done", timeout=120_000)
    expect(page.locator("#selection-job-outcome")).to_have_text("Sent 2 items back for 1 more label(s) each.")
    expect(page.locator('#selection-job [data-field="progress"]')).to_be_hidden()
    chat = [explored.items["c1"].pk, explored.items["c2"].pk]
    assert sorted(ItemState.objects.filter(extra=1).values_list("item_id", flat=True)) == sorted(chat)
    assert Adjudication.objects.filter(action="send_back", note="a job's second look").count() == 2

    page.get_by_role("link", name="Back to the items").click()
    expect(page.locator("#id_metadata")).to_have_value("channel=chat")
    page.get_by_role("link", name="Act on these items…").click()
    expect(page.locator("#selection-jobs")).to_contain_text("done")
    page.locator("#id_priority").fill("7")
    page.get_by_role("button", name="Raise the priority of 2 items").click()
    expect(page.locator("#selection-job-outcome")).to_have_text("2 items now have priority 7 or more.",
                                                                timeout=120_000)  # fmt: skip
    assert sorted(ItemState.objects.filter(priority=7).values_list("item_id", flat=True)) == sorted(chat)
    assert tab.events.errors == []
