// The review pages: poll while a worker computes, and copy an annotator's spans into the final-label editor.
(function () {
  "use strict";
  // Each result a worker is computing (the report, Dawid-Skene) polls its API; the first one done reloads the page.
  document.querySelectorAll("[data-poll]").forEach((pending) => {
    const url = pending.dataset.poll;
    window.Groundwork.poll(async () => {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.status === 202) return true;
      window.location.reload();
      return false;
    }, { first: 2000, every: 2000, retry: 5000 });
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".rv-use-spans");
    if (!button) return;
    const area = button.closest("form").querySelector(".rv-spans-json");
    area.value = button.dataset.spans;
    area.focus();
  });
})();
