"""What a new user tripped on in the pipeline's pages, in a real browser: a batch followed while it runs,
drift results, the chart text, and image items.
"""

import io
import os
import re
import signal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from config import charts
from conftest import wait_for
from datasets.models import Batch, BatchStatus, Item
from quality.pipeline import services as pipeline_services
from tests.factories import ProjectFactory
from tests.projects.helpers import import_file

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every text the running batch's row shows, as it changes: what a person watching the page saw.
RECORDER = """
window.__seen = { status: [], stage: [], rows_total: [] };
document.addEventListener("DOMContentLoaded", () => {
  const running = document.querySelector('tr[data-status="queued"], tr[data-status="validating"]');
  if (!running) return;
  const record = () => {
    for (const name of Object.keys(window.__seen)) {
      const text = running.querySelector('[data-field="' + name + '"]').textContent.trim();
      const list = window.__seen[name];
      if (list[list.length - 1] !== text) list.push(text);
    }
  };
  record();
  const table = document.getElementById("batches");
  if (table) new MutationObserver(record).observe(table, { subtree: true, childList: true, characterData: true });
});
"""


def reviews_csv(rows: int, channels: list[str]) -> bytes:
    lines = ["id,text,channel"] + [f"r{n},review number {n} of many,{channels[n % len(channels)]}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.worker
def test_a_batch_says_its_stage_once_counts_up_and_its_upload_message_clears(
    page_as, shot, project, manager, worker_factory, tmp_path: Path
):
    assert import_file(project, manager, "v1.csv", reviews_csv(50, ["app", "web"])).status == "accepted"
    worker = worker_factory(GROUNDWORK_IMPORT_CHUNK_ROWS="10", GROUNDWORK_BATCH_LEASE_SECONDS="300")
    page, events = page_as(manager)
    page.add_init_script(RECORDER)
    page.goto(f"/projects/{project.pk}/")
    path = tmp_path / "v2.csv"
    path.write_bytes(reviews_csv(3000, ["app", "web"]))
    page.get_by_label(re.compile("Choose a file")).set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("v2.csv uploaded")
    row = page.locator("tr[data-batch]", has_text="v2.csv")
    # The worker is held while it imports, so the page's polls see that stage however fast the machine.
    wait_for(
        lambda: Batch.objects.filter(project=project, stage="importing").exists(),
        interval=0.005,
        what=f"the import to start; worker log:\n{worker.log()}",
    )
    os.killpg(worker.process.pid, signal.SIGSTOP)
    try:
        expect(row.locator('[data-field="stage"]')).to_have_text("importing")
    finally:
        os.killpg(worker.process.pid, signal.SIGCONT)
    expect(row.locator('[data-field="status"]')).to_have_text("accepted", timeout=120_000)
    expect(page.get_by_role("status")).to_have_count(0)  # the upload's message went with the run
    shot(page, "pages-01-accepted")
    seen = page.evaluate("window.__seen")
    assert "validating" in seen["status"], seen  # the page saw the run, not only its end
    assert all("·" not in text and "validating validating" not in text for text in seen["status"]), seen
    assert "validating" not in seen["stage"] and "importing" in seen["stage"], seen  # said once, where the bar is
    counts = [int(text) for text in seen["rows_total"]]
    assert counts == sorted(counts) and counts[-1] == 3000, counts
    assert events.errors == []


def test_drift_results_name_a_new_category_and_fill_their_card(page_as, shot, project, manager):
    assert import_file(project, manager, "v1.csv", reviews_csv(60, ["app", "web"])).status == "accepted"
    batch = import_file(project, manager, "v2.csv", reviews_csv(60, ["app", "web", "web", "WEB"]))
    drift = next(r for r in batch.results if r["check"] == "drift" and r["column"] == "channel")
    assert drift["success"] is False and drift["details"]["statistic"] is None  # chi-square's infinity
    page, events = page_as(manager)
    page.goto(f"/projects/{project.pk}/batches/{batch.pk}/")

    failed = page.locator('#failed-card article[data-check="drift"]')
    expect(failed.locator("pre.observed")).to_contain_text("new category WEB")
    expect(failed.locator("pre.observed")).not_to_have_text("observed: 0")
    figure = page.locator('#drift-card figure[data-column="channel"]')
    expect(figure.locator("figcaption")).to_contain_text("chisquare \u221e: new category WEB, p = 0.0000")
    expect(figure.locator("figcaption .figures")).to_have_text(failed.locator("pre.observed").inner_text()[10:])
    expect(figure.locator("svg text", has_text="WEB (new)")).to_have_count(1)

    for chart in page.locator("#drift-card figure > svg").all():
        card = page.locator("#drift-card").evaluate(
            "c => c.clientWidth - 2 * parseFloat(getComputedStyle(c).paddingLeft)"
        )
        assert chart.bounding_box()["width"] >= 0.95 * card  # the whole card, not its left half
        bars = chart.evaluate(
            "s => Math.max(...[...s.querySelectorAll('rect')].map(r => r.getBoundingClientRect().right))"
        )
        assert bars - chart.bounding_box()["x"] >= 0.9 * card
        label = chart.locator("text").first.evaluate("t => t.getBoundingClientRect().height")
        assert label >= 11
    shot(page, "pages-02-drift")
    assert events.errors == []


def test_the_per_label_chart_text_is_as_large_as_the_pages_text(page_as, live_server, manager):
    page, _ = page_as(manager)
    page.goto("/healthz")
    svg = charts.bar_chart(
        rows=[("positive", 0.65, "(165 uses)"), ("negative", 0.68, "(127 uses)"), ("a-long-label-name", None, "")],
        label="Per label",
    )
    page.set_content(
        f'<link rel="stylesheet" href="{live_server.url}/static/css/app.css">'
        f'<link rel="stylesheet" href="{live_server.url}/static/labeling/review.css">'
        f'<section class="card" style="width: 440px">{svg}</section>'
    )
    page.wait_for_load_state("load")
    sizes = page.locator("svg text").evaluate_all("ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize))")
    heights = page.locator("svg text").evaluate_all("ts => ts.map(t => t.getBoundingClientRect().height)")
    assert min(sizes) >= 12 and min(heights) >= 12, (sizes, heights)  # not scaled down to fit the card
    box = page.locator("svg").bounding_box()
    texts = page.locator("svg text").evaluate_all("ts => ts.map(t => t.getBoundingClientRect().right)")
    assert max(texts) <= box["x"] + box["width"] + 1  # and still inside it


def test_an_image_item_shows_its_image_not_its_address(page_as, manager):
    project = ProjectFactory(user=manager, task_type="image", labels=["cat", "dog"], overlap=1)
    buffer = io.BytesIO()
    Image.new("RGB", (48, 30), "orange").save(buffer, format="PNG")
    batch = pipeline_services.images_batch_upload(
        project=project, user=manager, files=[SimpleUploadedFile("tabby.png", buffer.getvalue())]
    )
    assert pipeline_services.batch_import(batch_id=str(batch.pk)).status == BatchStatus.ACCEPTED
    address = Item.objects.get(batch_id=batch.pk).data["image"]
    page, events = page_as(manager)

    page.goto(f"/projects/{project.pk}/versions/1/")
    image = page.get_by_role("img", name="Image of tabby.png")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('img.thumb').naturalWidth === 48")
    expect(page.locator("#items")).not_to_contain_text(address)

    page.goto(f"/projects/{project.pk}/label/")
    page.wait_for_function(
        "() => document.querySelector('.lp-image') && document.querySelector('.lp-image').naturalWidth === 48"
    )
    expect(page.locator("#lp-content")).not_to_contain_text(address)
    expect(page.locator(".lp-caption")).to_have_count(0)
    assert events.errors == []
