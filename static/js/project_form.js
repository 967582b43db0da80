// Adds and removes label rows on the new-project form.
(function () {
  "use strict";
  const container = document.getElementById("label-rows");
  const add = document.getElementById("add-label");
  if (!container || !add) return;
  add.addEventListener("click", () => {
    const template = container.querySelector(".label-row");
    const row = template.cloneNode(true);
    row.querySelectorAll("input").forEach((input) => {
      input.value = input.type === "color" ? "#7f7f7f" : "";
    });
    container.appendChild(row);
    row.querySelector('input[name="label_name"]').focus();
  });
  container.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-label");
    if (button && container.querySelectorAll(".label-row").length > 1) button.closest(".label-row").remove();
  });
})();
