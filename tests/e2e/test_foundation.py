"""A manager's first hour, in a real browser, through the real worker: log in, create a
project, add a member, upload batches, watch them become dataset versions, read the items.
"""

import json
import os
import re
import signal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from conftest import wait_for
from datasets.models import Batch, BatchStatus, DatasetVersion
from projects.models import Project
from quality.pipeline import services as quality_services
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HOSTILE = "<img src=x onerror=alert(1)>"
CSV_ROWS = 6000
CSV_UNIQUE = 5000  # every text past this repeats an earlier row of the same file


def _write_csv(path: Path) -> Path:
    lines = ["id,text,channel"]
    lines += [f"t{i},ticket {i % CSV_UNIQUE} about the printer,{'web' if i % 2 else 'app'}" for i in range(CSV_ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_jsonl(path: Path) -> Path:
    texts = [
        "ticket 1 about the printer",  # already in v1
        "ticket 2 about the printer",  # already in v1
        "ticket 3 about the printer",  # already in v1
        "the scanner jams",
        "the scanner jams",  # twice in this file
        HOSTILE,
        "the toner is empty",
        "the screen flickers",
    ]
    rows = [{"id": f"j{n}", "text": text, "channel": "<b>email</b>"} for n, text in enumerate(texts)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _batch_row(page: Page, name: str):
    return page.locator("#batches tbody tr", has=page.get_by_role("cell", name=name, exact=True))


def _upload(page: Page, path: Path) -> None:
    page.get_by_label(re.compile("Choose a file")).set_input_files(str(path))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_load_state()


def test_manager_creates_a_project_and_uploads_batches_that_become_versions(
    page, new_page, login, shot, manager, worker_factory, tmp_path
):
    browser_page, events = page
    p = browser_page
    annotator = UserFactory(username="annotator1")

    # -- log in; nothing yet --------------------------------------------------------
    login(p, "manager")
    expect(p.get_by_role("heading", name="Projects", level=1)).to_be_visible()
    expect(p.get_by_role("heading", name="No projects yet")).to_be_visible()
    shot(p, "01-projects-empty")

    # -- create a project with three labels added with the "Add label" button ----------
    p.get_by_role("link", name="New project").click()
    expect(p.get_by_role("heading", name="New project")).to_be_visible()
    p.get_by_label("Name", exact=True).fill("Support tickets")
    p.get_by_label("Task type").select_option("classification")
    p.get_by_label("Label scale").select_option("ordinal")
    p.get_by_label("Overlap").fill("2")
    labels = [("low", "l", "#2ca02c"), ("medium", "m", "#ff7f0e"), ("<i>urgent</i>", "u", "#d62728")]
    add_label = p.get_by_role("button", name="Add label")
    for position, (name, hotkey, color) in enumerate(labels, start=1):
        if position > 1:
            add_label.click()
            expect(p.get_by_label(f"Label {position} name")).to_be_focused()
        p.get_by_label(f"Label {position} name").fill(name)
        p.get_by_label(f"Label {position} hotkey").fill(hotkey)
        p.get_by_label(f"Label {position} colour").fill(color)
    p.get_by_label("Guidelines").fill("Pick **how urgent** the ticket is.\n\n<script>alert('guidelines')</script>")
    shot(p, "02-project-form")
    p.get_by_role("button", name="Create project").click()

    expect(p.get_by_role("heading", name="Support tickets", level=1)).to_be_visible()
    expect(p.get_by_role("status")).to_contain_text("Project “Support tickets” created.")
    project = Project.objects.get(name="Support tickets")
    assert project.labels == [{"name": n, "hotkey": k, "color": c} for n, k, c in labels]
    assert (project.task_type, project.label_scale, project.overlap) == ("classification", "ordinal", 2)
    chips = p.get_by_role("list", name="Labels").get_by_role("listitem")
    expect(chips).to_have_text(["low l", "medium m", "<i>urgent</i> u"])
    expect(p.locator(".guidelines strong")).to_have_text("how urgent")
    expect(p.get_by_text("No version yet.")).to_be_visible()
    expect(p.get_by_text("No batches yet.")).to_be_visible()

    # -- add a member with a role --------------------------------------------------------
    members = p.get_by_role("form", name="Add a member")
    members.get_by_label("Username").fill("annotator1")
    members.get_by_label("Role").select_option("annotator")
    members.get_by_role("button", name="Add member").click()
    expect(p.get_by_role("status")).to_contain_text("annotator1 is now annotator.")
    expect(p.locator(".members li", has_text="annotator1")).to_contain_text("annotator")
    shot(p, "03-project-empty")

    # -- a binary file named .csv is refused on the page, and no batch is created ----------
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)))
    _upload(p, broken)
    expect(p.get_by_role("status")).to_contain_text("broken.csv was not uploaded: this looks like a binary file")
    expect(p.get_by_text("No batches yet.")).to_be_visible()
    assert not Batch.objects.filter(project=project).exists()
    shot(p, "04-bad-file")

    # -- a CSV: queued while no worker runs ---------------------------------------------
    _upload(p, _write_csv(tmp_path / "tickets.csv"))
    expect(p.get_by_role("status")).to_contain_text("tickets.csv uploaded. It is queued for validation")
    row = _batch_row(p, "tickets.csv")
    expect(row.locator('[data-field="status"]')).to_have_text("queued")
    shot(p, "05-queued")
    p.evaluate("window.stayedOnPage = true")  # gone if anything reloads the page

    # -- a worker starts; frozen mid-import, the page shows validating with partial progress --
    worker = worker_factory(GROUNDWORK_IMPORT_CHUNK_ROWS="20", GROUNDWORK_BATCH_LEASE_SECONDS="300")
    batch = Batch.objects.get(project=project)
    frozen = False
    try:
        wait_for(
            lambda: Batch.objects.filter(pk=batch.pk, status=BatchStatus.VALIDATING, rows_total__gt=0).exists(),
            interval=0.005,
            what=f"the import to start; worker log:\n{worker.log()}",
        )
        os.killpg(worker.process.pid, signal.SIGSTOP)
        frozen = True
        batch.refresh_from_db()
        assert batch.status == BatchStatus.VALIDATING, "the import finished before the worker could be paused"
        expect(row.locator('[data-field="status"]')).to_contain_text("validating")
        expect(row.locator('[data-field="rows_total"]')).to_have_text(str(batch.rows_total))
        progress = float(row.locator('[data-field="progress"]').evaluate("bar => bar.value"))
        assert 0 < progress < 1
        # Rows done, not bytes read: validation reads the file for the first share of the bar
        # (its 90%), the import for the rest; the pause may land in either.
        share = 0.5 * 0.9 if batch.stage == "validating" else 0.98
        assert progress == pytest.approx(share * batch.rows_total / CSV_ROWS, abs=0.01), batch.stage
        expect(row.locator('[data-field="percent"]')).to_have_text(f"{round(100 * progress)}%")
        shot(p, "06-validating")
    finally:
        if frozen:
            os.killpg(worker.process.pid, signal.SIGCONT)

    # -- accepted: full bar, final counts, and the new version row, all without a reload ----
    expect(row.locator('[data-field="status"]')).to_have_text("accepted", timeout=60_000)
    expect(row.locator('[data-field="percent"]')).to_have_text("100%")
    assert row.locator('[data-field="progress"]').evaluate("bar => bar.value") == 1
    expect(row.locator('[data-field="rows_total"]')).to_have_text(str(CSV_ROWS))
    expect(row.locator('[data-field="rows_added"]')).to_have_text(str(CSV_UNIQUE))
    expect(row.locator('[data-field="rows_duplicate"]')).to_have_text(str(CSV_ROWS - CSV_UNIQUE))
    expect(row.locator('[data-field="version"]')).to_have_text("v1")
    v1 = p.locator('#versions-table tr[data-version="1"]')
    expect(v1.locator('[data-field="item_count"]')).to_have_text(str(CSV_UNIQUE))
    expect(v1.locator('[data-field="diff"]')).to_have_text(f"+{CSV_UNIQUE} added · 1000 duplicates skipped")
    expect(v1.locator('[data-field="parent"]')).to_have_text("none (first)")
    expect(p.locator("#versions svg[role=img] title").first).to_contain_text(f"v1 {CSV_UNIQUE}")
    assert p.evaluate("window.stayedOnPage === true"), "the page reloaded"
    shot(p, "07-accepted")

    # -- a JSONL with texts already in v1 and a repeat of its own becomes v2 -------------
    _upload(p, _write_jsonl(tmp_path / "more.jsonl"))
    row = _batch_row(p, "more.jsonl")
    expect(row.locator('[data-field="status"]')).to_have_text("accepted", timeout=60_000)
    expect(row.locator('[data-field="rows_added"]')).to_have_text("4")
    expect(row.locator('[data-field="rows_duplicate"]')).to_have_text("4")
    v2 = p.locator('#versions-table tr[data-version="2"]')
    expect(v2.locator('[data-field="item_count"]')).to_have_text(str(CSV_UNIQUE + 4))
    expect(v2.locator('[data-field="diff"]')).to_have_text("+4 added · 4 duplicates skipped")
    expect(v2.locator('[data-field="parent"]')).to_have_text("v1")
    version = DatasetVersion.objects.get(project=project, number=2)
    assert (version.item_count, version.added_count, version.duplicate_count, version.parent.number) == (
        CSV_UNIQUE + 4,
        4,
        4,
        1,
    )
    shot(p, "08-two-versions")

    # -- the version page shows the items; what was uploaded is shown, never run ----------
    v2.get_by_role("link", name="v2").click()
    expect(p.get_by_role("heading", name="Support tickets · version 2")).to_be_visible()
    expect(p.get_by_role("link", name=f"All items ({CSV_UNIQUE + 4})")).to_be_visible()
    expect(p.locator("#items tbody tr")).to_have_count(50)
    # Pages by cursor (the same cost at any depth): a count from the version, and links onward.
    expect(p.locator("nav.pager")).to_contain_text(f"{CSV_UNIQUE + 4} items, 50 shown")
    expect(p.get_by_role("link", name="last »")).to_be_visible()
    p.get_by_role("link", name="Added in v2 (4)").click()
    items = p.locator("#items tbody tr")
    expect(items).to_have_count(4)
    expect(items.locator("td.content")).to_have_text(
        ["the scanner jams", HOSTILE, "the toner is empty", "the screen flickers"]
    )
    expect(items.nth(1).locator("td.meta")).to_have_text("channel <b>email</b>")
    assert p.locator("#items img, #items b").count() == 0
    shot(p, "09-version-items")
    assert events.dialogs == [] and events.errors == []

    # -- an annotator sees the project and its versions, but cannot upload ---------------
    other, other_events = new_page()
    login(other, annotator.username)
    other.get_by_role("link", name="Support tickets").click()
    expect(other.get_by_role("heading", name="Support tickets", level=1)).to_be_visible()
    expect(other.get_by_text("you are annotator")).to_be_visible()
    expect(other.locator('#versions-table tr[data-version="2"]')).to_be_visible()
    expect(other.get_by_role("heading", name="Upload a batch")).to_have_count(0)
    expect(other.locator("input[type=file]")).to_have_count(0)
    expect(other.get_by_role("form", name="Add a member")).to_have_count(0)
    shot(other, "10-annotator")
    assert other_events.dialogs == [] and other_events.errors == []


def test_pages_fit_a_narrow_window(new_page, login, shot, project, manager):
    """On a phone-sized window nothing overflows sideways except the tables, which scroll."""
    rows = "id,text,channel\n" + "".join(f"r{n},review number {n} of a long-winded product,web\n" for n in range(30))
    batch = quality_services.batch_upload(
        project=project,
        user=manager,
        uploaded=SimpleUploadedFile("reviews-with-a-long-name.csv", rows.encode()),
        enqueue=False,
    )
    quality_services.batch_import(batch_id=str(batch.pk))
    p, events = new_page(width=375, height=740)
    login(p, "manager")
    p.get_by_role("link", name=project.name).click()
    expect(p.get_by_role("heading", name="Upload a batch")).to_be_visible()
    expect(p.locator('#versions-table tr[data-version="1"] [data-field="item_count"]')).to_have_text("30")
    overflow = p.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    shot(p, "11-narrow-project")
    p.goto("/projects/new/")
    overflow = p.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    shot(p, "12-narrow-form")
    p.goto(f"/projects/{project.pk}/versions/1/")
    expect(p.locator("#items tbody tr")).to_have_count(30)
    overflow = p.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    shot(p, "13-narrow-version")
    assert events.errors == []
