// The export page: follow each running export job until its file is written, then link to it.
(function () {
  "use strict";
  const sizeText = (bytes) => {
    const units = ["bytes", "KB", "MB", "GB"];
    let size = bytes;
    let unit = 0;
    while (size >= 1024 && unit < units.length - 1) {
      size /= 1024;
      unit += 1;
    }
    return (unit ? size.toFixed(1) : String(size)) + "\u00a0" + units[unit];
  };

  function follow(row) {
    const id = row.dataset.job;
    const field = (name) => row.querySelector('[data-field="' + name + '"]');
    window.Groundwork.poll(async () => {
      const response = await fetch("/api/exports/" + encodeURIComponent(id) + "/", {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return false;
      const job = await response.json();
      field("status").textContent = job.status;
      field("items").textContent = String(job.items_written);
      const bar = field("progress");
      bar.value = job.progress;
      if (job.status === "done" && job.download_url) {
        bar.hidden = true;
        const link = document.createElement("a");
        link.href = job.download_url;
        link.className = "button";
        link.setAttribute("download", "");
        link.textContent = "Download (" + sizeText(job.size) + ")";
        field("file").replaceChildren(link);
        return false;
      }
      if (job.status === "failed") {
        bar.hidden = true;
        field("status").textContent = "failed: " + job.error;
        return false;
      }
      return true;
    });
  }

  function start() {
    document.querySelectorAll("tr[data-job][data-active='1']").forEach(follow);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
