"""A manager exports a selection of a version as a flat CSV prepared in the background by a worker."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.explorer.conftest import build_explored

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_a_flat_csv_of_a_selection_prepared_in_the_background(open_tab, manager, celery_worker_process):
    explored = build_explored(manager)
    project = explored.project
    tab = open_tab(manager)
    page = tab.page
    page.goto(f"/projects/{project.pk}/versions/2/")
    page.locator("#export-page").click()
    expect(page.locator("h1")).to_have_text("Export version 2")
    expect(page.locator("#selection")).to_contain_text("Every item of the version (5)")

    page.goto(f"/projects/{project.pk}/versions/2/export/?metadata=channel%3Dchat&label=")
    expect(page.locator("#export-filters")).to_have_text("metadata=channel=chat")
    now = page.locator('#download-now a[data-format="csv-flat"]')
    expect(now).to_have_attribute(
        "href", f"/api/projects/{project.pk}/versions/2/export/?metadata=channel%3Dchat&format=csv&layout=flat"
    )

    page.get_by_label("Format").select_option("csv")
    page.get_by_label("Layout").select_option("flat")
    page.locator("#export-job-start").click()
    row = page.locator("#export-jobs tbody tr").first
    expect(row).to_contain_text("csv (flat)")
    link = row.locator('[data-field="file"] a')
    expect(link).to_be_visible(timeout=120_000)  # the page follows the job until the worker is done
    expect(row.locator('[data-field="status"]')).to_have_text("done")
    expect(row.locator('[data-field="items"]')).to_have_text("2")

    with page.expect_download() as download:
        link.click()
    body = Path(download.value.path()).read_text()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["id", "external_id", "text", "channel", "ann1", "ann2", "final"]
    assert [(r[1], r[4], r[6]) for r in rows[1:]] == [("c1", "", ""), ("c2", "negative", "negative")]

    page.goto(f"/projects/{project.pk}/versions/2/export/?colour=red")
    expect(page.locator("#export-error")).to_contain_text("unknown parameter colour")
    assert tab.events.errors == [], tab.events.errors
