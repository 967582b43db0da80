// The review pages: poll while a worker computes, and copy an annotator's spans into the final-label editor.
(function () {
  "use strict";
  // Each result a worker is computing (the report, Dawid-Skene) polls its API; the first one done reloads the page.
  document.querySelectorAll("[data-poll]").forEach((pending) => {
    const url = pending.dataset.poll;
    const poll = () => fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => { if (response.status === 202) { setTimeout(poll, 2000); } else { window.location.reload(); } })
      .catch(() => setTimeout(poll, 5000));
    setTimeout(poll, 2000);
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".rv-use-spans");
    if (!button) return;
    const area = button.closest("form").querySelector(".rv-spans-json");
    area.value = button.dataset.spans;
    area.focus();
  });
})();
