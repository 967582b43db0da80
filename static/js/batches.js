// Follows every batch that is still moving: status, progress and counts change in place.
// When one finishes, the dataset versions section is fetched again and swapped in, so the
// new version shows up without reloading the page (and without losing the reader's place),
// and the upload message about it, now out of date, goes away.
(function () {
  "use strict";
  const { poll, fetchBatch, stageText } = window.Groundwork;
  const ACTIVE = new Set(["queued", "validating"]);
  const rows = Array.from(document.querySelectorAll("tr[data-batch]"));

  function field(row, name) {
    return row.querySelector('[data-field="' + name + '"]');
  }

  function show(row, batch) {
    row.dataset.status = batch.status;
    const status = field(row, "status");
    status.textContent = batch.status;
    status.className = "status status-" + batch.status;
    field(row, "stage").textContent = stageText(batch);
    field(row, "progress").value = batch.progress;
    field(row, "percent").textContent = Math.round(batch.progress * 100) + "%";
    field(row, "error").textContent = batch.error || "";
    for (const name of ["rows_total", "rows_added", "rows_duplicate"]) {
      field(row, name).textContent = batch[name];
    }
    const version = field(row, "version");
    version.textContent = "";
    if (batch.version) {
      const link = document.createElement("a");
      link.href = window.location.pathname.replace(/\/?$/, "/") + "versions/" + encodeURIComponent(batch.version) + "/";
      link.textContent = "v" + batch.version;
      version.appendChild(link);
    }
  }

  // The message the upload left ("… uploaded. It is queued …") is about a batch that has now finished.
  function clearUploadMessage(row) {
    const name = row.querySelector(".file a").textContent;
    for (const message of document.querySelectorAll(".messages li")) {
      if (message.textContent.includes(name)) message.remove();
    }
    const list = document.querySelector(".messages");
    if (list && !list.children.length) list.remove();
  }

  // The server renders the section (and escapes what it shows); this only moves its nodes in.
  async function refreshVersions() {
    const response = await fetch(window.location.pathname, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("versions");
    const current = document.getElementById("versions");
    if (fresh && current) current.replaceWith(document.importNode(fresh, true));
  }

  async function round() {
    let finished = false;
    for (const row of rows) {
      if (!ACTIVE.has(row.dataset.status)) continue;
      try {
        const batch = await fetchBatch(row.dataset.batch);
        if (!batch) continue;
        show(row, batch);
        if (!ACTIVE.has(batch.status)) {
          finished = true;
          clearUploadMessage(row);
        }
      } catch (error) {
        // A network hiccup: the next round tries again.
      }
    }
    if (finished) {
      try {
        await refreshVersions();
      } catch (error) {
        // The versions stay as they were until the next visit.
      }
    }
    return rows.some((row) => ACTIVE.has(row.dataset.status));
  }

  if (rows.some((row) => ACTIVE.has(row.dataset.status))) poll(round);
})();
