// While a batch is being validated, its results page follows its progress; it reloads once
// the batch has finished, to show the results.
(function () {
  "use strict";
  const { poll, fetchBatch, stageText } = window.Groundwork;
  const card = document.getElementById("batch-status");
  const ACTIVE = new Set(["queued", "validating"]);
  if (!card || !ACTIVE.has(card.dataset.status)) return;

  poll(async () => {
    const batch = await fetchBatch(card.dataset.batch);
    if (!batch) return true;
    if (!ACTIVE.has(batch.status)) {
      window.location.reload();
      return false;
    }
    document.getElementById("status-text").textContent = batch.status;
    document.getElementById("batch-stage").textContent = stageText(batch);
    const bar = document.getElementById("batch-progress");
    if (bar) bar.value = batch.progress;
    const percent = document.getElementById("batch-percent");
    if (percent) percent.textContent = Math.round(batch.progress * 100) + "%";
    return true;
  });
})();
