// The Augment form shows the parameters of the chosen method only; the jobs table follows
// each unfinished job (then its batch) and reloads once they are done, to show the new version.
(function () {
  "use strict";
  const { poll } = window.Groundwork;
  const form = document.getElementById("augment-form");
  if (form) {
    const select = form.querySelector("select[name=method]");
    const show = () => {
      form.querySelectorAll(".augment-params").forEach((fieldset) => {
        const chosen = fieldset.dataset.method === select.value;
        fieldset.hidden = !chosen;
        fieldset.disabled = !chosen;
      });
    };
    select.addEventListener("change", show);
    show();
  }

  const RUNNING = new Set(["queued", "generating"]);
  const BATCH_ACTIVE = new Set(["queued", "validating"]);
  const unfinished = (job, batch) => RUNNING.has(job) || (job === "batched" && BATCH_ACTIVE.has(batch || "queued"));
  const rows = Array.from(document.querySelectorAll("tr.augment-job")).filter((row) =>
    unfinished(row.dataset.status, row.dataset.batchStatus),
  );
  if (!rows.length) return;
  poll(
    async () => {
      for (const row of rows) {
        const response = await fetch("/api/augmentation-jobs/" + encodeURIComponent(row.dataset.job) + "/", {
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return true;
        const job = await response.json();
        row.querySelector(".job-status").textContent = job.status;
        const bar = row.querySelector("progress");
        if (bar) bar.value = job.progress;
        if (!unfinished(job.status, job.batch && job.batch.status)) {
          window.location.reload();
          return false;
        }
      }
      return true;
    },
    { every: 1000 },
  );
})();
