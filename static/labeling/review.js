// The review pages: poll while a worker computes, copy an annotator's spans into the final-label editor,
// and the queue's keyboard flow: one item in focus, the others a compact row (the page works without it).
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

  const queue = document.getElementById("rv-queue");
  const items = queue ? Array.from(queue.querySelectorAll(".rv-item")) : [];
  if (!items.length) return;
  const keysDialog = document.getElementById("rv-keys");
  const status = document.getElementById("rv-status");
  const nextPage = document.querySelector(".pager a[rel=next]");
  let current = null;
  let sending = false;

  function say(text) {
    status.textContent = text;
  }

  function setCurrent(item, { focus = true } = {}) {
    if (item === current) return;
    if (current) {
      current.classList.add("rv-collapsed");
      current.removeAttribute("aria-current");
      current.tabIndex = 0;
    }
    current = item;
    item.classList.remove("rv-collapsed");
    item.setAttribute("aria-current", "true");
    item.tabIndex = -1;
    history.replaceState(null, "", `#${item.id}`); // a reload, or the page after a save, comes back here
    if (focus) item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
    say("");
  }

  function step(offset) {
    const index = items.indexOf(current) + offset;
    if (index >= 0 && index < items.length) setCurrent(items[index]);
    else if (offset > 0 && nextPage) window.location.assign(nextPage.href);
    else say(offset > 0 ? "This is the last item." : "This is the first item.");
  }

  // After a save the queue reloads as it was; the fragment (kept through the redirect) names the item to show next.
  function following(item) {
    return items[items.indexOf(item) + 1] || item;
  }

  queue.classList.add("rv-keyed");
  document.getElementById("rv-keybar").hidden = false;
  items.forEach((item) => {
    item.classList.add("rv-collapsed");
    item.tabIndex = 0;
    item.querySelectorAll("form").forEach((form) => {
      const action = form.getAttribute("action");
      form.addEventListener("submit", (event) => {
        if (sending) {
          event.preventDefault();
          return;
        }
        sending = true;
        form.setAttribute("action", `${action}#${following(item).id}`);
        sessionStorage.setItem("rv-posted", item.id);
      });
    });
  });
  window.addEventListener("pageshow", () => {
    sending = false; // back from the next page: the forms post again
  });
  // A refused decision keeps its item open, to be corrected; otherwise the queue goes on where the fragment says.
  const posted = document.getElementById(sessionStorage.getItem("rv-posted") || "");
  sessionStorage.removeItem("rv-posted");
  const refused = document.querySelector(".messages .msg-error") && posted;
  const named = refused || (location.hash && document.getElementById(location.hash.slice(1)));
  setCurrent(items.includes(named) ? named : items[0]);

  queue.addEventListener("click", (event) => {
    const item = event.target.closest(".rv-item.rv-collapsed");
    if (item && !event.target.closest("a")) setCurrent(item);
  });
  queue.addEventListener("focusin", (event) => {
    const item = event.target.closest(".rv-item");
    if (item && item !== current) setCurrent(item, { focus: false });
  });
  document.getElementById("rv-keys-open").addEventListener("click", () => keysDialog.showModal());

  function chooseLabel(key) {
    const input = Array.from(current.querySelectorAll(".rv-adjudicate input[data-hotkey]")).find(
      (candidate) => candidate.dataset.hotkey.toLowerCase() === key,
    );
    if (!input) return false;
    input.checked = input.type === "checkbox" ? !input.checked : true;
    say(`${input.value} ${input.checked ? "chosen" : "removed"}; Enter saves.`);
    return true;
  }

  function save() {
    const form = current.querySelector(".rv-adjudicate");
    if (!form.querySelector(".rv-spans-json") && form.querySelector("input[name=label]") && !form.querySelector("input:checked")) {
      say("Choose the final label first: press its key.");
      return;
    }
    form.requestSubmit();
  }

  document.addEventListener("keydown", (event) => {
    const open = document.querySelector("dialog[open]");
    if (open) {
      if (open === keysDialog && event.key === "?") {
        event.preventDefault();
        keysDialog.close();
      }
      return; // a dialog handles its own keys; Esc closes it
    }
    const target = event.target;
    if (target.closest("input:not([type=radio]):not([type=checkbox]), textarea, select, [contenteditable]")) {
      if (event.key === "Escape") current.focus({ preventScroll: true }); // leave the field; the keys work again
      return; // typing is not a command (Enter in a field posts its own form)
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return; // the browser's own shortcuts
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const onControl = target.closest("a, button");
    if (key === "?") {
      event.preventDefault();
      keysDialog.showModal();
    } else if (key === "ArrowDown" || key === "ArrowRight" || (key === "j" && !chooseable(key))) {
      event.preventDefault();
      step(1);
    } else if (key === "ArrowUp" || key === "ArrowLeft" || (key === "k" && !chooseable(key))) {
      event.preventDefault();
      step(-1);
    } else if (key === "Enter") {
      if (onControl) return; // a focused button or link does its own thing
      event.preventDefault();
      if (!event.repeat) save();
    } else if (key === "s" && !chooseable(key)) {
      event.preventDefault();
      if (!event.repeat) current.querySelector(".rv-sendback").requestSubmit();
    } else if (key.length === 1 && chooseLabel(key)) {
      event.preventDefault();
    }
  });

  // A label's own hotkey wins over J, K and S, as on the labeling page.
  function chooseable(key) {
    return Array.from(current.querySelectorAll(".rv-adjudicate input[data-hotkey]")).some(
      (input) => input.dataset.hotkey.toLowerCase() === key,
    );
  }
})();
