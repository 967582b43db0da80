// The upload area: shows the chosen file's name, takes a file dropped anywhere on it,
// and says "Uploading…" while a large file travels.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("id_file");
  if (!form || !zone || !input) return;
  const title = zone.querySelector(".dropzone-title");
  const original = title.innerHTML;

  function showChosen() {
    if (input.files.length) {
      const count = input.files.length;
      title.textContent = count > 1 ? `Selected: ${count} files` : "Selected: " + input.files[0].name;
      zone.classList.add("chosen");
    } else {
      title.innerHTML = original;
      zone.classList.remove("chosen");
    }
  }

  input.addEventListener("change", showChosen);
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      showChosen();
    }
  });
  const button = document.getElementById("upload-button");
  form.addEventListener("submit", () => {
    button.disabled = true;
    button.textContent = "Uploading…";
  });
  // Coming back with the browser's Back button shows the page as it was left.
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = "Upload";
  });
})();
