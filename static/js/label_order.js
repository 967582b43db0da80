// Moves label rows up and down on the settings form without a round trip.
// Without JavaScript the arrows submit the form and the server moves the row.
(function () {
  "use strict";
  const container = document.getElementById("label-rows");
  if (!container) return;

  function renumber() {
    container.querySelectorAll(".label-row").forEach((row, index) => {
      const n = index + 1;
      row.querySelector('[name="label_name"]').setAttribute("aria-label", "Label " + n + " name");
      row.querySelector('[name="label_hotkey"]').setAttribute("aria-label", "Label " + n + " hotkey");
      row.querySelector('[name="label_color"]').setAttribute("aria-label", "Label " + n + " colour");
      row.querySelector(".remove-label").setAttribute("aria-label", "Remove label " + n);
      const [up, down] = row.querySelectorAll(".move-label");
      up.setAttribute("aria-label", "Move label " + n + " up");
      down.setAttribute("aria-label", "Move label " + n + " down");
    });
  }

  container.addEventListener("click", (event) => {
    const button = event.target.closest(".move-label");
    if (!button) return;
    event.preventDefault();
    const row = button.closest(".label-row");
    if (button.value.startsWith("up:") && row.previousElementSibling) {
      container.insertBefore(row, row.previousElementSibling);
    } else if (button.value.startsWith("down:") && row.nextElementSibling) {
      container.insertBefore(row.nextElementSibling, row);
    }
    renumber();
    button.focus();
  });
})();
