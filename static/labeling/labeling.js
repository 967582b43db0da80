// The labeling widget. Keyboard first; nothing lost (drafts in localStorage, submits kept
// in an outbox and retried with the same uuid until the server answers, even after a
// reload); the next item is prefetched, so a submit never waits for the server; everything
// the data holds is put on the page with textContent, never parsed as HTML.

const config = JSON.parse(document.getElementById("lp-config").textContent);
const TASK = config.task;
const LABELS = config.labels;
const byHotkey = new Map(LABELS.filter((l) => l.hotkey).map((l) => [l.hotkey.toLowerCase(), l]));
const colorOf = new Map(LABELS.map((l) => [l.name, l.color]));
const RETRY_MS = [500, 1000, 2000, 4000, 8000, 15000];
const DRAFT_PREFIX = `gw:draft:${config.project}:${config.user}:`;
const OUTBOX_PREFIX = `gw:outbox:${config.project}:${config.user}:`;
const DRAFT_MAX_AGE_MS = 14 * 24 * 3600 * 1000;
const BOUNCE_MS = 300; // an Enter this soon after the last submit is a double press
const TOKEN = /[\p{L}\p{N}\p{M}_]+(?:['’.-][\p{L}\p{N}\p{M}_]+)*|\S/gu;

const $ = (id) => document.getElementById(id);
const el = {
  item: $("lp-item"), name: $("lp-item-name"), meta: $("lp-meta"), content: $("lp-content"), empty: $("lp-empty"),
  labels: $("lp-labels"), status: $("lp-status"), announce: $("lp-announce"), alert: $("lp-alert"),
  alertText: $("lp-alert-text"), reloadEntry: $("lp-reload-entry"), mode: $("lp-mode"), keys: $("lp-keys"),
  guidelines: $("lp-guidelines"), skip: $("lp-skip"), skipReason: $("lp-skip-reason"),
  suggestion: $("lp-suggestion"),
};
const labelButtons = [...el.labels.querySelectorAll(".lp-label")];

const state = {
  view: null, // {kind: "queue", item} or {kind: "edit", entry}
  queueItem: null,
  queueDone: false,
  prefetched: undefined, // the item after this one: undefined = not known yet, null = none left
  prefetching: null,
  pending: new Map(), // item id -> submit on its way: {item, uuid, value}
  value: null,
  uuid: "",
  base: null, // the revision an edit is made from
  undo: [],
  busy: false,
  lastSubmitAt: -1e9,
  histIndex: -1, // -1: the queue's item; 0: the newest annotation, 1: the one before...
  hist: [],
  histEnd: null, // how many history entries exist, once known
  tokens: [],
  units: [0], // UTF-16 offset of each character of the item's text
  cursor: null, // keyboard selection over tokens: {a, b, hidden}
};

// What the browser test reads: milliseconds from Enter to the next item on screen, and since
// the last submit (an Enter sooner than BOUNCE_MS is taken for a double press).
const metrics = {
  submitToNextMs: [], confirmMs: [], pending: () => state.pending.size,
  sinceSubmitMs: () => performance.now() - state.lastSubmitAt,
};
window.gwLabeling = metrics;

// -- small helpers ----------------------------------------------------------------------

function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

const itemOf = (view) => (view.kind === "queue" ? view.item : view.entry.item);
const itemName = (item) => item.external_id || `item ${item.id}`;
const itemText = () => {
  const text = state.view && itemOf(state.view).data.text;
  return typeof text === "string" ? text : "";
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const copy = (v) => JSON.parse(JSON.stringify(v));
const url = (template, id) => template.replace(/\/0\/|\/0{8}-0{4}-0{4}-0{4}-0{12}\//, `/${id}/`);

function sleep(ms) {
  // Wakes early when the browser comes back online.
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      removeEventListener("online", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    addEventListener("online", done);
  });
}

function setStatus(text, tone = "") {
  el.status.textContent = text;
  el.status.dataset.tone = tone;
}

function showAlert(text, { reload = false } = {}) {
  el.alertText.textContent = text;
  el.reloadEntry.hidden = !reload;
  el.alert.hidden = false;
}

function clearAlert() {
  if (el.alert.contains(document.activeElement)) document.activeElement.blur(); // keys go to the page again
  el.alert.hidden = true;
  el.alertText.textContent = "";
}

const announce = (text) => {
  el.announce.textContent = text;
};

// -- the server ---------------------------------------------------------------------------

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRFToken"] = csrfToken();
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init); // throws when the network fails
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  return { status: response.status, data };
}

const transient = (status) => status >= 500 || status === 429 || status === 408;

function errorText(result) {
  const data = result.data;
  if (!data) return `the server answered ${result.status}`;
  if (typeof data.detail === "string") return data.detail;
  return Object.entries(data)
    .map(([field, problem]) => `${field}: ${[].concat(problem).join(" ")}`)
    .join("; ");
}

async function persist(method, path, body, what) {
  // Send the same request (same uuid) until the server gives a definite answer.
  for (let attempt = 0; ; attempt++) {
    let result = null;
    try {
      result = await api(method, path, body);
    } catch {
      result = null;
    }
    if (result && !transient(result.status)) return result;
    const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
    const why = result ? `the server answered ${result.status}` : "the network failed";
    setStatus(`⚠ ${what}: not confirmed yet (${why}). Trying again in ${Math.ceil(wait / 1000)} s; your work is kept.`, "warn");
    await sleep(wait);
  }
}

// -- drafts -------------------------------------------------------------------------------

function storage(action) {
  try {
    return action(window.localStorage);
  } catch {
    return null; // storage full or switched off: labeling still works, without reload safety
  }
}

function saveDraft() {
  if (!state.view) return;
  const draft = { uuid: state.uuid, value: state.value, base: state.base, undo: state.undo.slice(-50), at: Date.now() };
  storage((s) => s.setItem(DRAFT_PREFIX + itemOf(state.view).id, JSON.stringify(draft)));
}

const loadDraft = (itemId) => storage((s) => JSON.parse(s.getItem(DRAFT_PREFIX + itemId)));
const dropDraft = (itemId) => storage((s) => s.removeItem(DRAFT_PREFIX + itemId));
const outboxPut = (entry) => storage((s) => s.setItem(OUTBOX_PREFIX + entry.item.id, JSON.stringify(entry)));
const outboxDrop = (itemId) => storage((s) => s.removeItem(OUTBOX_PREFIX + itemId));

function outboxEntries() {
  return (
    storage((s) => {
      const entries = [];
      for (let i = 0; i < s.length; i++) {
        const key = s.key(i);
        if (!key || !key.startsWith(OUTBOX_PREFIX)) continue;
        try {
          entries.push(JSON.parse(s.getItem(key)));
        } catch {
          s.removeItem(key);
        }
      }
      return entries;
    }) || []
  );
}

function pruneDrafts() {
  storage((s) => {
    const old = Date.now() - DRAFT_MAX_AGE_MS;
    for (let i = s.length - 1; i >= 0; i--) {
      const key = s.key(i);
      if (!key || !key.startsWith("gw:draft:")) continue;
      let at = 0;
      try {
        at = JSON.parse(s.getItem(key)).at || 0;
      } catch {
        at = 0;
      }
      if (at < old) s.removeItem(key);
    }
  });
}

// -- showing an item ----------------------------------------------------------------------

function emptyValue() {
  return TASK === "multilabel" || TASK === "spans" ? [] : null;
}

function show(view) {
  state.view = view;
  const item = itemOf(view);
  if (state.prefetched && state.prefetched.id === item.id) state.prefetched = undefined;
  const draft = loadDraft(item.id);
  const editing = view.kind === "edit";
  const usable = draft && (editing ? draft.base != null : draft.base == null);
  clearAlert();
  if (usable) {
    state.value = draft.value;
    state.uuid = draft.uuid;
    state.base = draft.base;
    state.undo = draft.undo || [];
  } else {
    if (draft) dropDraft(item.id);
    const preselected = !editing && item.suggestion && item.suggestion.mode === "preselect";
    state.value = editing ? copy(view.entry.value) : preselected ? copy(item.suggestion.value) : emptyValue();
    state.uuid = uuid4();
    state.base = editing ? view.entry.revision : null;
    state.undo = [];
  }
  state.cursor = null;
  el.empty.hidden = true;
  el.content.hidden = false;
  el.item.setAttribute("aria-busy", "false");
  el.name.textContent = `${editing ? "Changing" : "Item"} ${itemName(item)}`;
  el.content.dataset.item = String(item.id);
  el.content.dataset.mode = view.kind;
  renderMeta(item.metadata, item.augmentation);
  renderContent(item);
  renderMode();
  renderSuggestion(editing ? null : item.suggestion);
  renderValue();
  if (usable) setStatus("↺ Restored your unsaved work on this item.", "info");
}

function renderMeta(metadata, augmentation) {
  const entries = metadata && typeof metadata === "object" ? Object.entries(metadata) : [];
  const items = entries.map(([key, value]) => {
    const li = node("li", "kv");
    li.append(node("span", "k", `${key}: `), node("span", "v", typeof value === "string" ? value : JSON.stringify(value)));
    return li;
  });
  // An augmented copy says so, and how it was made: text nodes only, whatever the method's name holds.
  if (augmentation && augmentation.method) {
    const badge = node("li", "badge augmented", `augmented · ${augmentation.method}`);
    badge.title = "An augmented copy of another item";
    items.unshift(badge);
  }
  el.meta.replaceChildren(...items);
}

function safeImageUrl(raw) {
  if (typeof raw !== "string" || !raw.trim()) return null;
  const text = raw.trim();
  try {
    const parsed = new URL(text, `${location.origin}/`);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") return parsed.href;
    if (parsed.protocol === "data:" && /^data:image\//i.test(text)) return text;
  } catch {
    return null;
  }
  return null;
}

function renderContent(item) {
  const data = item.data || {};
  if (TASK === "image") {
    const figure = node("figure", "lp-figure");
    const source = safeImageUrl(data.image);
    const address = String(data.image ?? "");
    const caption = node("figcaption", "lp-caption muted small", address.startsWith("data:") ? "embedded image" : address);
    if (source) {
      const img = node("img", "lp-image");
      img.alt = `Image of ${itemName(item)}`;
      img.decoding = "async";
      // The address is for finding a broken image; under one that loads it is noise.
      img.addEventListener("error", () => {
        figure.prepend(node("p", "lp-broken", "⚠ This image could not be loaded. Its address:"));
        img.remove();
        figure.append(caption);
      });
      img.src = source;
      figure.append(img);
    } else {
      figure.append(node("p", "lp-broken", "⚠ This item's image address cannot be shown:"), caption);
    }
    el.content.replaceChildren(figure);
    return;
  }
  if (TASK === "spans") {
    measure(itemText());
    state.tokens = [...itemText().matchAll(TOKEN)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
    return; // drawn with its spans by renderValue
  }
  el.content.replaceChildren(node("div", "lp-text", itemText()));
}

function renderMode() {
  const view = state.view;
  if (view.kind !== "edit") {
    el.mode.hidden = true;
    el.mode.textContent = "";
    return;
  }
  const when = new Date(view.entry.updated_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  el.mode.textContent =
    `You are changing your label of “${itemName(view.entry.item)}” (revision ${view.entry.revision}, ` +
    `${when}). Enter saves the change; Esc goes back to your current item.`;
  el.mode.hidden = false;
}

// The model's suggestion: a note above the item and a marker on each suggested label. Preselected,
// it is the value already (Enter accepts it); as a hint, nothing is chosen.
function renderSuggestion(suggestion) {
  for (const mark of el.labels.querySelectorAll(".lp-suggested-mark")) mark.remove();
  for (const button of labelButtons) button.classList.remove("lp-suggested");
  if (!suggestion) {
    el.suggestion.hidden = true;
    el.suggestion.textContent = "";
    return;
  }
  const value = suggestion.value;
  const names = TASK === "spans" ? [...new Set(value.map((s) => s.label))] : TASK === "multilabel" ? value : [value];
  for (const button of labelButtons) {
    if (!names.includes(button.dataset.label)) continue;
    button.classList.add("lp-suggested");
    button.append(node("span", "lp-suggested-mark", "model"));
  }
  let what = names.length ? names.join(", ") : "no label";
  if (TASK === "spans") what = value.length ? value.map((s) => `${s.label} “${[...itemText()].slice(s.start, s.end).join("")}”`).join(", ") : "no spans";
  const sure = suggestion.confidence == null ? "" : ` (${Math.round(suggestion.confidence * 100)}%)`;
  const how = suggestion.mode === "preselect" ? "preselected: Enter accepts it, or choose another" : "a hint: choose as you see it";
  el.suggestion.textContent = `Model ${suggestion.model} suggests ${what}${sure}, ${how}.`;
  el.suggestion.dataset.mode = suggestion.mode;
  el.suggestion.hidden = false;
}

function renderValue() {
  if (TASK === "spans") {
    renderSpans();
    return;
  }
  const chosen = TASK === "multilabel" ? new Set(state.value || []) : new Set(state.value ? [state.value] : []);
  for (const button of labelButtons) {
    const on = chosen.has(button.dataset.label);
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }
}

// The server counts characters (code points), the DOM counts UTF-16 units: an emoji is one of
// the first and two of the second. Spans stay in characters, as stored; these convert at the DOM.
function measure(text) {
  const units = [0];
  for (const character of text) units.push(units[units.length - 1] + character.length);
  state.units = units;
}

const toUnits = (chars) => state.units[Math.min(chars, state.units.length - 1)];

function toChars(units) {
  let [low, high] = [0, state.units.length - 1];
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (state.units[middle] <= units) low = middle;
    else high = middle - 1;
  }
  return low;
}

function selectedChars() {
  const selected = selectionOffsets();
  return selected && { start: toChars(selected.start), end: toChars(selected.end) };
}

const spanText = (span) => itemText().slice(toUnits(span.start), toUnits(span.end));

function sortSpans(spans) {
  return spans.sort((x, y) => x.start - y.start || x.end - y.end || x.label.localeCompare(y.label));
}

function renderSpans() {
  const text = itemText();
  const spans = (state.value || []).map((s) => ({ span: s, start: toUnits(s.start), end: toUnits(s.end) }));
  const cuts = new Set([0, text.length]);
  for (const s of spans) cuts.add(s.start).add(s.end);
  const points = [...cuts].sort((x, y) => x - y);
  const box = node("div", "lp-text lp-spans");
  box.id = "lp-span-text";
  for (let i = 0; i < points.length - 1; i++) {
    const [a, b] = [points[i], points[i + 1]];
    if (a === b) continue;
    const covering = spans.filter((s) => s.start <= a && s.end >= b);
    const seg = node(covering.length ? "mark" : "span", "lp-seg", text.slice(a, b));
    seg.dataset.start = String(a);
    if (covering.length) {
      const inner = covering.reduce((x, y) => (y.end - y.start < x.end - x.start ? y : x));
      seg.style.setProperty("--c", colorOf.get(inner.span.label) || "#7f7f7f");
      if (covering.length > 1) seg.classList.add("lp-overlap");
    }
    box.append(seg);
    for (const s of spans) if (s.end === b) box.append(spanTag(s.span));
  }
  el.content.replaceChildren(box);
}

function spanTag(span) {
  const button = node("button", "lp-tag");
  button.type = "button";
  button.style.setProperty("--c", colorOf.get(span.label) || "#7f7f7f");
  button.setAttribute("aria-label", `Remove span “${spanText(span)}” labeled ${span.label}`);
  button.title = "Remove this span";
  button.addEventListener("mousedown", (event) => event.preventDefault());
  button.append(node("span", "lp-tag-name", span.label), node("span", "lp-tag-x", "×"));
  button.addEventListener("click", () => {
    if (state.busy) return;
    change((state.value || []).filter((s) => !same(s, span)));
    announce(`Removed ${span.label} span`);
  });
  return button;
}

function showEmpty() {
  state.view = null;
  el.name.textContent = "All done";
  el.meta.replaceChildren();
  el.content.replaceChildren();
  el.content.hidden = true;
  el.content.dataset.item = "";
  el.empty.hidden = false;
  el.item.setAttribute("aria-busy", "false");
  el.mode.hidden = true;
  renderSuggestion(null);
  for (const button of labelButtons) if (button.hasAttribute("aria-pressed")) button.setAttribute("aria-pressed", "false");
}

// -- changing the value -------------------------------------------------------------------

function change(value) {
  state.undo.push(JSON.stringify(state.value));
  state.value = value;
  saveDraft();
  renderValue();
}

function undo() {
  if (!state.view || state.busy) return;
  if (!state.undo.length) {
    setStatus("Nothing to undo.", "info");
    return;
  }
  state.value = JSON.parse(state.undo.pop());
  saveDraft();
  renderValue();
  announce("Undone");
}

function applyLabel(label) {
  if (!state.view || state.busy) return;
  if (TASK === "spans") {
    labelSelection(label);
  } else if (TASK === "multilabel") {
    const now = new Set(state.value || []);
    const on = !now.has(label.name);
    change(LABELS.map((l) => l.name).filter((n) => (n === label.name ? on : now.has(n))));
    announce(`${label.name} ${on ? "on" : "off"}`);
  } else if (state.value !== label.name) {
    change(label.name);
    announce(`${label.name} chosen`);
  }
}

// -- span selection (mouse or keys) -------------------------------------------------------

function segments() {
  return [...el.content.querySelectorAll("[data-start]")];
}

function selectionOffsets() {
  const selection = getSelection();
  if (!selection.rangeCount || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  let start = null;
  let end = null;
  for (const seg of segments()) {
    const textNode = seg.firstChild;
    if (!textNode || !range.intersectsNode(textNode)) continue;
    const base = Number(seg.dataset.start);
    const s = base + (range.startContainer === textNode ? range.startOffset : 0);
    const e = base + (range.endContainer === textNode ? range.endOffset : textNode.length);
    if (e <= s) continue;
    if (start === null) start = s;
    end = e;
  }
  if (start === null) return null;
  const text = itemText();
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return start < end ? { start, end } : null;
}

function pointAt(position, atEnd) {
  for (const seg of segments()) {
    const a = Number(seg.dataset.start);
    const textNode = seg.firstChild;
    const b = a + textNode.length;
    if ((position >= a && position < b) || (atEnd && position === b)) return [textNode, position - a];
  }
  return null;
}

function selectChars(start, end) {
  const from = pointAt(start, false);
  const to = pointAt(end, true);
  if (!from || !to) return;
  const range = document.createRange();
  range.setStart(...from);
  range.setEnd(...to);
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const text = itemText().slice(start, end);
  announce(`Selected “${text}”`);
}

function moveCursor(step, widen) {
  const count = state.tokens.length;
  if (!count) return;
  let cursor = state.cursor;
  if (!cursor) {
    const selected = selectionOffsets();
    const at = selected ? state.tokens.findIndex((t) => t.end >= selected.end) : -1;
    cursor = at >= 0 ? { a: at, b: at } : { a: step > 0 ? -1 : count, b: step > 0 ? -1 : count, hidden: true };
  }
  if (widen && !cursor.hidden) {
    cursor = { a: cursor.a, b: Math.min(count - 1, Math.max(cursor.a, cursor.b + step)) };
  } else {
    const at = Math.min(count - 1, Math.max(0, cursor.b + step));
    cursor = { a: at, b: at };
  }
  state.cursor = cursor;
  const first = state.tokens[Math.min(cursor.a, cursor.b)];
  const last = state.tokens[Math.max(cursor.a, cursor.b)];
  selectChars(first.start, last.end);
}

function labelSelection(label) {
  const selected = selectedChars();
  if (!selected) {
    setStatus("Select some text first: drag over it, or press Shift+→, then the label's key.", "warn");
    return;
  }
  const span = { start: selected.start, end: selected.end, label: label.name };
  const spans = state.value || [];
  if (spans.some((s) => same(s, span))) {
    setStatus(`That text is already labeled ${label.name}.`, "info");
    return;
  }
  change(sortSpans([...spans, span]));
  getSelection().removeAllRanges();
  if (state.cursor) state.cursor.hidden = true;
  announce(`“${spanText(span)}” labeled ${label.name}`);
}

function removeUnderSelection() {
  if (!state.view || state.busy) return;
  const selected = selectedChars();
  if (!selected) {
    setStatus("Select the text of the span to remove (or use its × button).", "info");
    return;
  }
  const spans = state.value || [];
  const keep = spans.filter((s) => s.end <= selected.start || s.start >= selected.end);
  if (keep.length === spans.length) {
    setStatus("No span under the selection.", "info");
    return;
  }
  change(keep);
  announce(`Removed ${spans.length - keep.length} span${spans.length - keep.length > 1 ? "s" : ""}`);
}

// -- submit, skip, next -------------------------------------------------------------------

function setBusy(busy) {
  state.busy = busy;
  el.item.setAttribute("aria-busy", busy ? "true" : "false");
  document.body.classList.toggle("lp-busy", busy);
}

function bumpProgress(field, delta) {
  const cell = document.querySelector(`[data-progress="${field}"]`);
  const now = Number(cell && cell.textContent);
  if (cell && Number.isFinite(now)) cell.textContent = String(Math.max(0, now + delta));
}

async function refreshProgress() {
  try {
    const result = await api("GET", config.urls.progress);
    if (result.status !== 200) return;
    for (const [field, value] of Object.entries(result.data)) {
      const cell = document.querySelector(`[data-progress="${field}"]`);
      if (cell) cell.textContent = String(value);
    }
  } catch {
    // the next successful call fills them in
  }
}

function forgetHistory() {
  state.hist = [];
  state.histEnd = null;
}

async function submit() {
  if (state.busy || !state.view) return;
  if ((TASK === "classification" || TASK === "image") && !state.value) {
    setStatus("Choose a label first: press its key, or click it.", "warn");
    return;
  }
  // A second press of a double Enter lands on the next item: ignore it unless the item was touched.
  if (!state.undo.length && performance.now() - state.lastSubmitAt < BOUNCE_MS) return;
  const view = state.view;
  const started = performance.now();
  state.lastSubmitAt = started;
  if (view.kind === "queue") {
    await submitQueued(view.item, started);
    return;
  }
  if (same(state.value, view.entry.value) && state.base === view.entry.revision) {
    setStatus("Nothing changed: this is the label already saved.", "info");
    return;
  }
  const item = itemOf(view);
  setBusy(true);
  clearAlert();
  saveDraft();
  setStatus("Saving…", "busy");
  const body = { value: state.value, revision: state.base, uuid: state.uuid };
  const result = await persist("PUT", url(config.urls.annotation, view.entry.uuid), body, "Saving");
  if (result.status >= 400) {
    setBusy(false);
    setStatus("", "");
    if (result.status === 409) {
      showAlert("Not saved: this label was changed elsewhere (another tab or device) after you opened it.", {
        reload: true,
      });
    } else if (result.status === 401 || result.status === 403) {
      showAlert(`Not saved: ${errorText(result)}. Your work is kept on this device: sign in again, then press Enter.`);
    } else {
      showAlert(`Not saved: ${errorText(result)}`);
    }
    return;
  }
  metrics.confirmMs.push(performance.now() - started);
  dropDraft(item.id);
  forgetHistory();
  setStatus(`✓ Saved your change to ${itemName(item)} (revision ${result.data.revision}).`, "ok");
  state.histIndex = -1;
  await showQueue();
  setBusy(false);
  refreshProgress();
}

// A queued item's label goes to the outbox and is sent in the background while the next
// item, prefetched, is already on screen; "saved" is said only once the server confirmed.
async function submitQueued(item, started) {
  clearAlert();
  saveDraft();
  const entry = { item, uuid: state.uuid, value: copy(state.value) };
  outboxPut(entry);
  send(entry, started);
  state.queueItem = null;
  if (state.prefetched) {
    state.queueItem = state.prefetched;
    state.queueDone = false;
    show({ kind: "queue", item: state.queueItem });
    requestAnimationFrame(() => metrics.submitToNextMs.push(performance.now() - started));
    prefetch();
    return;
  }
  setBusy(true);
  await loadNext(started);
  setBusy(false);
}

async function send(entry, started) {
  const item = entry.item;
  state.pending.set(item.id, entry);
  setStatus(`Saving ${itemName(item)}…`, "busy");
  const body = { uuid: entry.uuid, value: entry.value };
  const result = await persist("POST", url(config.urls.annotate, item.id), body, `Saving ${itemName(item)}`);
  state.pending.delete(item.id);
  if (result.status === 401 || result.status === 403) {
    showAlert(
      `${itemName(item)} is not saved yet: ${errorText(result)}. It is kept on this device: sign in again, then reload this page and it is sent again.`,
    );
    return;
  }
  outboxDrop(item.id);
  if (result.status >= 400) {
    showAlert(`${itemName(item)} was not saved: ${errorText(result)}`);
    return;
  }
  if (started !== undefined) metrics.confirmMs.push(performance.now() - started);
  dropDraft(item.id);
  forgetHistory();
  if (result.status === 201) {
    bumpProgress("done_today", 1);
    bumpProgress("done_total", 1);
  }
  if (!state.pending.size) {
    setStatus(`✓ Saved ${itemName(item)}.`, "ok");
    refreshProgress();
  }
}

// The suggestion travels with its item (prefetched, on screen, in the outbox); the server
// records what it served, so nothing of it is sent back with the label.
function withSuggestion(data) {
  return { ...data.item, suggestion: data.suggestion || null };
}

async function prefetch() {
  if (state.prefetching || !state.queueItem) return;
  const exclude = [state.queueItem.id, ...state.pending.keys()];
  state.prefetching = api("GET", `${config.urls.next}?exclude=${exclude.join(",")}`)
    .then((result) => {
      const item = result.status === 200 ? withSuggestion(result.data) : null;
      const onScreen = (id) => id === (state.queueItem && state.queueItem.id) || state.pending.has(id);
      if (item && !exclude.includes(item.id) && !onScreen(item.id)) state.prefetched = item;
      else if (result.status === 204) state.prefetched = null;
    })
    .catch(() => {
      state.prefetched = undefined; // asked again at the next submit
    })
    .finally(() => {
      state.prefetching = null;
    });
}

async function loadNext(started) {
  el.item.setAttribute("aria-busy", "true");
  let result = null;
  for (let attempt = 0; ; attempt++) {
    try {
      const pending = [...state.pending.keys()];
      result = await api("GET", pending.length ? `${config.urls.next}?exclude=${pending.join(",")}` : config.urls.next);
    } catch {
      result = null;
    }
    if (result && !transient(result.status)) break;
    const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
    // 503 from a queue still taking in a large version says so; anything else is a failure.
    const filling = result && result.status === 503 && result.data?.detail;
    const why = filling ? String(result.data.detail).replace(/\.$/, "") : "Could not load the next item";
    setStatus(`⚠ ${why}; trying again in ${Math.ceil(wait / 1000)} s.`, "warn");
    await sleep(wait);
  }
  if (result.status === 204) {
    state.queueItem = null;
    state.queueDone = true;
    if (state.histIndex < 0) showEmpty();
  } else if (result.status === 200) {
    state.queueItem = withSuggestion(result.data);
    state.queueDone = false;
    if (state.histIndex < 0) show({ kind: "queue", item: state.queueItem });
    prefetch();
  } else {
    showAlert(`Could not load the next item: ${errorText(result)}`);
  }
  if (started !== undefined) {
    requestAnimationFrame(() => metrics.submitToNextMs.push(performance.now() - started));
  }
}

function openSkip() {
  if (state.busy || !state.view) return;
  if (state.view.kind !== "queue") {
    setStatus("Only the item you are labeling can be skipped; press Esc to go back to it.", "info");
    return;
  }
  el.skipReason.value = "";
  el.skip.returnValue = "";
  el.skip.showModal();
  el.skipReason.focus();
}

async function skip(reason) {
  const view = state.view;
  if (!view || view.kind !== "queue" || state.busy) return;
  const item = view.item;
  setBusy(true);
  setStatus("Skipping…", "busy");
  const result = await persist("POST", url(config.urls.skip, item.id), { reason }, "Skipping");
  if (result.status >= 400) {
    setBusy(false);
    setStatus("", "");
    showAlert(`Not skipped: ${errorText(result)}`);
    return;
  }
  dropDraft(item.id);
  setStatus(`Skipped ${itemName(item)}; it comes back at the end of your queue.`, "ok");
  state.queueItem = null;
  await loadNext();
  setBusy(false);
  refreshProgress();
}

// -- history ------------------------------------------------------------------------------

async function historyEntry(index) {
  if (index < 0) return null;
  if (state.hist[index]) return state.hist[index];
  if (state.histEnd !== null && index >= state.histEnd) return null;
  const offset = Math.floor(index / config.page_size) * config.page_size;
  const result = await api("GET", `${config.urls.history}?offset=${offset}`);
  if (result.status !== 200) throw new Error(errorText(result));
  result.data.entries.forEach((entry, k) => {
    state.hist[offset + k] = entry;
  });
  if (!result.data.has_more) state.histEnd = offset + result.data.entries.length;
  return state.hist[index] || null;
}

async function stepHistory(step) {
  if (state.busy) return;
  const target = state.histIndex + step;
  if (target < 0) {
    if (state.histIndex >= 0) await showQueue();
    else setStatus("This is your current item; ← goes back to what you labeled.", "info");
    return;
  }
  let entry = null;
  try {
    entry = await historyEntry(target);
  } catch (error) {
    showAlert(`Could not load your history: ${error.message}`);
    return;
  }
  if (!entry) {
    setStatus(target === 0 ? "You have not labeled anything here yet." : "This is the first item you labeled here.", "info");
    return;
  }
  state.histIndex = target;
  show({ kind: "edit", entry });
  const where = target === 0 ? "your most recent label" : `${target + 1} labels back`;
  setStatus(`History: ${where}. → goes forward, Esc back to your current item.`, "info");
}

async function showQueue() {
  state.histIndex = -1;
  if (state.queueItem) show({ kind: "queue", item: state.queueItem });
  else if (state.queueDone) showEmpty();
  else await loadNext();
}

async function reloadEntry() {
  const view = state.view;
  if (!view || view.kind !== "edit") return;
  const result = await api("GET", url(config.urls.annotation, view.entry.uuid)).catch(() => null);
  if (!result || result.status !== 200) {
    showAlert("Could not load the current version; try again.", { reload: true });
    return;
  }
  const entry = { ...view.entry, value: result.data.value, revision: result.data.revision };
  entry.updated_at = result.data.updated_at;
  dropDraft(entry.item.id);
  state.hist[state.histIndex] = entry;
  show({ kind: "edit", entry });
  setStatus(`Loaded revision ${entry.revision}, the one saved now. Make your change again and press Enter.`, "info");
}

// -- keys and clicks ----------------------------------------------------------------------

function onKey(event) {
  const open = document.querySelector("dialog[open]");
  if (open) {
    if (open === el.keys && event.key === "?") {
      event.preventDefault();
      el.keys.close();
    }
    return; // a dialog handles its own keys; Esc closes it
  }
  const target = event.target;
  // Typing in a field is not a command; a field of a just-closed dialog may still hold focus, though.
  const typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
  if (typing && !target.closest("dialog:not([open])")) return;
  const key = event.key;
  const ctrl = event.ctrlKey || event.metaKey;
  if (ctrl && !event.altKey && !event.shiftKey && key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
    return;
  }
  if (TASK === "spans" && event.shiftKey && !event.altKey && (key === "ArrowRight" || key === "ArrowLeft")) {
    event.preventDefault();
    if (state.view && !state.busy) moveCursor(key === "ArrowRight" ? 1 : -1, ctrl);
    return;
  }
  if (ctrl || event.altKey) return; // the browser's own shortcuts
  const onControl =
    target !== document.body &&
    target.closest("a, button") &&
    !target.closest(".lp-label, dialog:not([open])"); // a just-closed dialog may still hold focus
  switch (key) {
    case "Enter":
      if (onControl) return; // a focused button or link does its own thing
      event.preventDefault();
      if (!event.repeat) submit();
      return;
    case "Backspace":
      event.preventDefault();
      undo();
      return;
    case "Delete":
      if (TASK === "spans") {
        event.preventDefault();
        removeUnderSelection();
      }
      return;
    case "ArrowLeft":
    case "ArrowRight":
      event.preventDefault();
      stepHistory(key === "ArrowLeft" ? 1 : -1);
      return;
    case "Escape":
      if (state.histIndex >= 0) showQueue();
      else getSelection().removeAllRanges();
      return;
    case "?":
      event.preventDefault();
      el.keys.showModal();
      return;
    default:
  }
  if (key.toLowerCase() === "s" && !byHotkey.has("s")) {
    event.preventDefault();
    openSkip();
    return;
  }
  const label = byHotkey.get(key.toLowerCase());
  if (label) {
    event.preventDefault();
    if (!event.repeat) applyLabel(label);
  }
}

document.addEventListener("keydown", onKey);
for (const button of labelButtons) {
  const label = LABELS.find((l) => l.name === button.dataset.label);
  button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the text selection
  button.addEventListener("click", () => applyLabel(label));
}
el.content.addEventListener("mouseup", () => {
  if (TASK === "spans") state.cursor = null;
});
for (const button of document.querySelectorAll(".lp-tools button, .lp-actions button, .lp-nav button")) {
  // A click does not leave focus on the button, so Enter keeps submitting afterwards.
  button.addEventListener("mousedown", (event) => event.preventDefault());
}
$("lp-submit").addEventListener("click", submit);
$("lp-skip-open").addEventListener("click", openSkip);
$("lp-undo").addEventListener("click", undo);
$("lp-older").addEventListener("click", () => stepHistory(1));
$("lp-newer").addEventListener("click", () => stepHistory(-1));
$("lp-keys-open").addEventListener("click", () => el.keys.showModal());
$("lp-guidelines-open").addEventListener("click", () => el.guidelines.showModal());
el.reloadEntry.addEventListener("click", reloadEntry);
el.skip.addEventListener("close", () => {
  if (el.skip.returnValue === "skip") skip(el.skipReason.value.trim());
});
for (const dialog of [el.keys, el.guidelines, el.skip]) {
  // A click on the backdrop closes a dialog, like Esc.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener("close", () => {
    // Focus left on a button of the closed dialog would swallow the next Enter.
    if (dialog.contains(document.activeElement)) document.activeElement.blur();
  });
}

// -- start --------------------------------------------------------------------------------

pruneDrafts();
for (const entry of outboxEntries()) send(entry); // submits a reload interrupted go out again, same uuid
if (config.edit) {
  state.histIndex = config.edit.position;
  state.hist[config.edit.position] = config.edit.entry;
  show({ kind: "edit", entry: config.edit.entry });
  refreshProgress();
} else {
  loadNext().then(refreshProgress); // the queue takes in new versions on /next/, so count after it
}
