"""The version report in a real browser: the page, the compare page, and the downloaded file opened offline."""

import pytest
from playwright.sync_api import expect

from datasets.models import DatasetVersion
from quality.reports import services
from tests.projects.helpers import csv_bytes, import_file

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_report_page_compare_and_offline_file(page_as, browser, project, manager, reviewer, tmp_path, shot):
    import_file(project, manager, "first.csv", csv_bytes(*[f"first review {n}" for n in range(30)]))
    import_file(project, manager, "second.csv", csv_bytes(*[f"second review {n}" for n in range(10)]))
    for version in DatasetVersion.objects.filter(project=project).order_by("number"):
        services.report_compute(version=version)
    page, events = page_as(reviewer)

    page.goto(f"/projects/{project.pk}/versions/2/")
    page.get_by_role("link", name="Quality report").click()
    expect(page.get_by_role("heading", name="Quality report · version 2")).to_be_visible()
    for section in ("1. Summary and changes since v1", "4. Labels", "9. Slices", "11. Reproducibility"):
        expect(page.get_by_role("heading", name=section)).to_be_visible()
    expect(page.locator("#summary .rp-facts")).to_contain_text("40")
    shot(page, "report-page")

    page.get_by_role("link", name="Compare with v1").click()
    expect(page.locator("#compare-table")).to_contain_text("Items")
    expect(page.locator("#compare-table tr", has_text="Items").first).to_contain_text("30")

    page.goto(f"/projects/{project.pk}/versions/2/report/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as one HTML file").click()
    path = tmp_path / "report.html"
    download.value.save_as(path)
    assert not events.errors

    # Offline: every request other than the file itself is refused, and none is made.
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.route("http*://**/*", lambda route: route.abort())
    offline = context.new_page()
    context.set_offline(True)
    offline.goto(path.as_uri())
    expect(offline.get_by_role("heading", name="2. Validation")).to_be_visible()
    assert offline.evaluate("getComputedStyle(document.querySelector('.rp-card')).borderTopStyle") == "solid"
    assert [url for url in requests if not url.startswith("file:")] == []
    context.close()
