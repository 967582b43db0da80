// A selection job's page: follow the job until it is done, showing its progress and what it did.
(function () {
  "use strict";
  function follow(card) {
    const field = (name) => card.querySelector('[data-field="' + name + '"]');
    window.Groundwork.poll(async () => {
      const response = await fetch("/api/selections/" + encodeURIComponent(card.dataset.job) + "/", {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return false;
      const job = await response.json();
      field("status").textContent = job.status;
      field("progress").value = job.progress;
      if (job.status === "done") {
        field("progress").hidden = true;
        field("outcome").textContent = job.outcome;
        return false;
      }
      if (job.status === "failed") {
        field("progress").hidden = true;
        field("error").textContent = job.error;
        field("error").hidden = false;
        return false;
      }
      if (job.touched) field("outcome").textContent = "So far: " + job.outcome;
      return true;
    });
  }
  function start() {
    const card = document.querySelector("#selection-job[data-active='1']");
    if (card) follow(card);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
