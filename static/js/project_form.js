// Adds and removes label rows on the new-project form without a round trip.
// Without JavaScript the "Add label" button submits the form and the server adds the row.
(function () {
  "use strict";
  const container = document.getElementById("label-rows");
  const add = document.getElementById("add-label");
  if (!container || !add) return;
  const palette = (container.dataset.palette || "#1f77b4").split(" ");

  function renumber() {
    container.querySelectorAll(".label-row").forEach((row, index) => {
      const n = index + 1;
      row.querySelector('[name="label_name"]').setAttribute("aria-label", "Label " + n + " name");
      row.querySelector('[name="label_hotkey"]').setAttribute("aria-label", "Label " + n + " hotkey");
      row.querySelector('[name="label_color"]').setAttribute("aria-label", "Label " + n + " colour");
      row.querySelector(".remove-label").setAttribute("aria-label", "Remove label " + n);
    });
  }

  add.addEventListener("click", (event) => {
    event.preventDefault();
    const rows = container.querySelectorAll(".label-row");
    const row = rows[0].cloneNode(true);
    row.querySelectorAll("input").forEach((input) => {
      input.value = input.type === "color" ? palette[rows.length % palette.length] : "";
    });
    container.appendChild(row);
    renumber();
    row.querySelector('input[name="label_name"]').focus();
  });

  container.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-label");
    if (!button) return;
    const rows = container.querySelectorAll(".label-row");
    const row = button.closest(".label-row");
    if (rows.length > 1) {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      next.querySelector('input[name="label_name"]').focus();
    } else {
      row.querySelectorAll('input:not([type="color"])').forEach((input) => (input.value = ""));
    }
  });
})();
