"""A data owner, in a real browser, through the real worker: build a suite in the form, upload a batch that
breaks it, see it quarantined with the offending rows, accept it anyway with a reason, and find the new version.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from datasets.models import Batch
from quality.models import ValidationSuite
from tests.projects.helpers import import_file

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HOSTILE = "<img src=x onerror=alert(1)>"


def v1_csv() -> bytes:
    lines = ["id,text,rating"] + [f"a{n},first review {n},{1 + n % 5}" for n in range(60)]
    return ("\n".join(lines) + "\n").encode()


def bad_csv(path: Path) -> Path:
    rows = [f"b{n},second review {n},{1 + n % 5}" for n in range(12)]
    rows[3] = f'b3,"{HOSTILE}",9'  # file row 4: out of range, and hostile text
    rows[8] = "b8,second review 8,-2"  # file row 9
    path.write_text("id,text,rating\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_edit_suite_quarantine_and_accept_anyway(page_as, shot, project, manager, worker_factory, tmp_path):
    assert import_file(project, manager, "v1.csv", v1_csv()).status == "accepted"
    worker = worker_factory()
    page, events = page_as(manager)

    # -- the suite, built in the form ------------------------------------------------------
    page.goto(f"/projects/{project.pk}/")
    page.get_by_role("link", name="Validation suite").click()
    expect(page.get_by_role("heading", name="Validation suite", level=1)).to_be_visible()
    expect(page.locator("#no-expectations")).to_be_visible()
    page.get_by_label("Add an expectation").select_option(label="Values are between")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_label("column of expectation 1").fill("rating")
    page.get_by_label("min_value of expectation 1").fill("1")
    page.get_by_label("max_value of expectation 1").fill("5")
    page.get_by_label("Add an expectation").select_option(label="Column exists")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_label("column of expectation 2").fill("rating")
    page.get_by_label("severity of expectation 2").select_option("warning")
    expect(page.get_by_label("column of expectation 1")).to_have_value("rating")  # kept across the round trip
    shot(page, "01-suite-form")
    page.get_by_role("button", name="Save suite").click()
    expect(page.get_by_text("Suite saved.")).to_be_visible()
    suite = ValidationSuite.objects.get(project=project).suite
    assert [(e["type"], e["severity"]) for e in suite["expectations"]] == [
        ("expect_column_values_to_be_between", "critical"),
        ("expect_column_to_exist", "warning"),
    ]
    assert suite["expectations"][0]["kwargs"] == {"column": "rating", "min_value": 1.0, "max_value": 5.0}
    expect(page.locator("#suite_json")).to_contain_text('"expect_column_values_to_be_between"')

    # -- a batch that breaks it ---------------------------------------------------------------
    page.goto(f"/projects/{project.pk}/")
    page.get_by_label(re.compile("Choose a file")).set_input_files(str(bad_csv(tmp_path / "bad.csv")))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_load_state()
    row = page.locator("#batches tbody tr", has=page.get_by_role("cell", name="bad.csv", exact=True))
    expect(row.locator('[data-field="status"]')).to_have_text("quarantined", timeout=120_000)
    batch = Batch.objects.get(original_name="bad.csv")
    assert batch.status == "quarantined" and not batch.items.exists(), worker.log()[-3000:]
    shot(page, "02-project-quarantined")

    # -- the results, with the rows to look at -------------------------------------------------
    row.get_by_role("link", name="bad.csv").click()
    expect(page.get_by_role("heading", name="bad.csv", level=1)).to_be_visible()
    expect(page.locator("#status-text")).to_have_text("quarantined")
    failed = page.locator("#failed-card article", has_text="expect_column_values_to_be_between")
    expect(failed).to_contain_text("2 unexpected")
    samples = failed.locator("table.samples tbody tr")
    expect(samples).to_have_count(2)
    expect(samples.nth(0)).to_contain_text("4")
    expect(samples.nth(0)).to_contain_text("9")
    expect(samples.nth(1)).to_contain_text("9")
    expect(samples.nth(1)).to_contain_text("-2")
    expect(page.locator("#summary")).to_contain_text("12")
    shot(page, "03-results")

    # -- accept anyway, with a reason ------------------------------------------------------------
    page.get_by_role("button", name="Accept anyway").click()  # the reason is required: nothing happens
    assert Batch.objects.get(pk=batch.pk).status == "quarantined"
    page.get_by_label(re.compile("Reason for accepting anyway")).fill("ratings 9 and -2 are a legacy scale")
    page.get_by_role("button", name="Accept anyway").click()
    expect(page.get_by_text("Accepted anyway: the batch is being imported")).to_be_visible()
    expect(page.locator("#version-link")).to_have_text("version 2", timeout=120_000)
    expect(page.locator("#status-text")).to_have_text("accepted")
    expect(page.locator("#decision")).to_contain_text("Accepted anyway by manager")
    expect(page.locator("#decision-reason")).to_have_text("ratings 9 and -2 are a legacy scale")
    expect(page.locator("#failed-card")).to_contain_text("expect_column_values_to_be_between")  # still shown
    shot(page, "04-accepted")

    page.locator("#version-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2")
    batch.refresh_from_db()
    assert (batch.status, batch.version.number, batch.rows_added, batch.decided_by) == ("accepted", 2, 12, manager)
    assert events.dialogs == [] and events.errors == []
