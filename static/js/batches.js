// Follows every batch that is still moving and shows its status and progress live.
// When one finishes, the page reloads once to show the new dataset version.
(function () {
  "use strict";
  const ACTIVE = new Set(["queued", "validating"]);
  const rows = Array.from(document.querySelectorAll("tr[data-batch]")).filter((row) => ACTIVE.has(row.dataset.status));
  if (!rows.length) return;

  function show(row, batch) {
    row.dataset.status = batch.status;
    const status = row.querySelector('[data-field="status"]');
    status.textContent = batch.status + (batch.stage ? " · " + batch.stage : "");
    status.className = "status status-" + batch.status;
    row.querySelector('[data-field="progress"]').value = batch.progress;
    row.querySelector('[data-field="error"]').textContent = batch.error || "";
    for (const field of ["rows_total", "rows_added", "rows_duplicate"]) {
      row.querySelector('[data-field="' + field + '"]').textContent = batch[field];
    }
    row.querySelector('[data-field="version"]').textContent = batch.version ? "v" + batch.version : "";
  }

  async function poll() {
    let finished = false;
    for (const row of rows) {
      if (!ACTIVE.has(row.dataset.status)) continue;
      try {
        const response = await fetch("/api/batches/" + row.dataset.batch + "/", { headers: { Accept: "application/json" } });
        if (!response.ok) continue;
        const batch = await response.json();
        show(row, batch);
        if (!ACTIVE.has(batch.status)) finished = true;
      } catch (error) {
        // The network hiccupped; the next poll tries again.
      }
    }
    if (finished) {
      window.setTimeout(() => window.location.reload(), 600);
    } else if (rows.some((row) => ACTIVE.has(row.dataset.status))) {
      window.setTimeout(poll, 700);
    }
  }
  window.setTimeout(poll, 300);
})();
