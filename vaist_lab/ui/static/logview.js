// LogView: a streaming build log. Lines arrive in batches from vaist_lab/ui/components/logview.py, are
// deduplicated by id, kept up to `max_lines`, and drawn once per animation frame with one DocumentFragment.

const LEVELS = ["debug", "info", "warning", "error"];
const LEVEL_CHOICES = [["debug", "Everything"], ["info", "Info and up"], ["warning", "Warnings and errors"], ["error", "Errors only"]];
const SOURCE_COLOURS = {
  cmake: "#8b5cf6", compiler: "#3b82f6", linker: "#06b6d4", system: "#78818c", verify: "#10b981", github: "#f97316",
};
const BOTTOM_SLACK_PX = 8; // this close to the end counts as "at the bottom": follow the tail

function element(tag, className, testid, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  if (text !== undefined) node.textContent = text;
  return node;
}

const two = (number) => String(number).padStart(2, "0");

function clockTime(time) {
  if (typeof time === "number") {
    const moment = new Date(time * 1000);
    return `${two(moment.getHours())}:${two(moment.getMinutes())}:${two(moment.getSeconds())}`;
  }
  if (typeof time === "string") return /T(\d\d:\d\d:\d\d)/.exec(time)?.[1] ?? time;
  return "";
}

function location(line) {
  if (!line.file) return "";
  return [line.file, line.line, line.column].filter((part) => part !== null && part !== undefined && part !== "").join(":");
}

function makeRow(line) {
  const row = element("div", `vaist-log-line vaist-${line.level}`, "vaist-log-line");
  row.dataset.id = line.id;
  row.dataset.level = line.level;
  const time = clockTime(line.time);
  if (time) row.append(element("span", "vaist-log-time", null, time));
  const tag = element("span", "vaist-log-tag", null, line.source);
  tag.style.setProperty("--vaist-tag", SOURCE_COLOURS[line.source] ?? "#78818c");
  row.append(tag);
  if (line.platform) row.append(element("span", "vaist-log-platform", null, line.platform));
  const text = element("span", "vaist-log-text");
  const where = location(line);
  if (where) text.append(element("span", "vaist-log-where", null, `${where}: `));
  text.append(line.message);
  row.append(text);
  return row;
}

function render({ model, el }) {
  const root = element("div", "vaist-root vaist-log", "vaist-log");
  root.dataset.lineCount = "0";
  const firstError = element("div", "vaist-log-first-error", "vaist-log-first-error");
  firstError.title = "Show this line in the log";
  const firstWhere = element("div", "vaist-log-first-error-where");
  const firstMessage = element("div", "vaist-log-first-error-message");
  firstError.append(firstWhere, firstMessage);
  const toolbar = element("div", "vaist-log-toolbar");
  const levelSelect = element("select", "vaist-log-level", "vaist-log-level");
  for (const [value, text] of LEVEL_CHOICES) levelSelect.append(new Option(text, value));
  levelSelect.value = "debug";
  const sourceToggles = element("div", "vaist-log-sources", "vaist-log-sources");
  const filterInput = element("input", "vaist-log-filter", "vaist-log-filter");
  filterInput.type = "search";
  filterInput.placeholder = "Filter…";
  const count = element("span", "vaist-log-count", "vaist-log-count");
  toolbar.append(levelSelect, sourceToggles, filterInput, count);
  const scroller = element("div", "vaist-log-scroll", "vaist-log-lines");
  const earlier = element("div", "vaist-log-earlier", "vaist-log-earlier");
  const empty = element("div", "vaist-log-empty", "vaist-log-empty", "No output yet.");
  const body = element("div", "vaist-log-body");
  scroller.append(earlier, empty, body);
  const newLines = element("button", "vaist-log-new", "vaist-log-new");
  root.append(firstError, toolbar, scroller, newLines);
  el.append(root);
  scroller.style.height = "320px";
  scroller.style.resize = "vertical";

  let generation = null;
  let total = 0; // lines Python appended in this generation
  let lines = []; // held, oldest first, at most max_lines
  const seen = new Set(); // ids of held and pending lines
  const rows = new Map(); // id -> row, for the held lines that pass the filters
  let pending = [];
  let frame = 0;
  let follow = true;
  let unseen = 0;
  const hiddenSources = new Set();
  let minimumLevel = 0;
  let needle = "";

  const passes = (line) =>
    LEVELS.indexOf(line.level) >= minimumLevel &&
    !hiddenSources.has(line.source) &&
    (needle === "" || `${line.file} ${line.message}`.toLowerCase().includes(needle));

  function reset() {
    cancelAnimationFrame(frame);
    frame = 0;
    lines = [];
    pending = [];
    seen.clear();
    rows.clear();
    body.replaceChildren();
    sourceToggles.replaceChildren();
    total = 0;
    unseen = 0;
    follow = true;
  }

  function addSourceToggle(source) {
    if (sourceToggles.querySelector(`[data-source="${CSS.escape(source)}"]`)) return;
    const toggle = element("button", "vaist-log-source-toggle vaist-on", "vaist-log-source", source);
    toggle.dataset.source = source;
    toggle.style.color = SOURCE_COLOURS[source] ?? "";
    toggle.title = `Show or hide ${source} lines`;
    toggle.classList.toggle("vaist-on", !hiddenSources.has(source));
    toggle.addEventListener("click", () => {
      if (hiddenSources.has(source)) hiddenSources.delete(source);
      else hiddenSources.add(source);
      toggle.classList.toggle("vaist-on", !hiddenSources.has(source));
      rebuild();
    });
    sourceToggles.append(toggle);
  }

  function showCounts() {
    root.dataset.lineCount = String(lines.length);
    const dropped = total - lines.length - pending.length;
    earlier.hidden = dropped <= 0;
    earlier.textContent = `${dropped.toLocaleString()} earlier line${dropped === 1 ? "" : "s"} not shown`;
    empty.hidden = lines.length > 0;
    count.textContent = rows.size === lines.length ? `${lines.length.toLocaleString()} lines`
      : `${rows.size.toLocaleString()} of ${lines.length.toLocaleString()} lines`;
    newLines.hidden = follow || unseen === 0;
    newLines.textContent = `↓ ${unseen.toLocaleString()} new line${unseen === 1 ? "" : "s"}`;
  }

  function toBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function flush() {
    frame = 0;
    const batch = pending;
    pending = [];
    const held = lines.length;
    for (const line of batch) lines.push(line);
    const excess = lines.length - model.get("max_lines");
    if (excess > 0) {
      for (const line of lines.splice(0, excess)) {
        seen.delete(line.id);
        rows.get(line.id)?.remove();
        rows.delete(line.id);
      }
    }
    const fragment = document.createDocumentFragment();
    for (const line of batch.slice(Math.max(0, excess - held))) {
      addSourceToggle(line.source);
      if (!passes(line)) continue;
      const row = makeRow(line);
      rows.set(line.id, row);
      fragment.append(row);
      if (!follow) unseen++;
    }
    body.append(fragment);
    if (follow) toBottom();
    showCounts();
  }

  function rebuild() {
    rows.clear();
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      if (!passes(line)) continue;
      const row = makeRow(line);
      rows.set(line.id, row);
      fragment.append(row);
    }
    body.replaceChildren(fragment);
    if (follow) toBottom();
    showCounts();
  }

  function receive(message) {
    if (message.generation !== generation) {
      reset();
      generation = message.generation;
    }
    total = message.total;
    for (const line of message.lines ?? []) {
      if (seen.has(line.id)) continue;
      seen.add(line.id);
      pending.push(line);
    }
    const excess = pending.length - model.get("max_lines"); // a hidden tab draws no frames: keep the newest
    if (excess > 0) for (const line of pending.splice(0, excess)) seen.delete(line.id);
    if (pending.length && !frame) frame = requestAnimationFrame(flush);
    else showCounts();
  }

  function showFirstError() {
    const line = model.get("first_error");
    firstError.hidden = !line;
    if (!line) return;
    firstWhere.textContent = location(line) || `${line.source}${line.platform ? ` on ${line.platform}` : ""}`;
    firstMessage.textContent = line.message;
  }

  function revealFirstError() {
    const line = model.get("first_error");
    if (!line) return;
    if (!rows.has(line.id) && lines.some((held) => held.id === line.id)) {
      // filtered out: show everything again, so the line can be seen in its context
      minimumLevel = 0;
      levelSelect.value = "debug";
      needle = "";
      filterInput.value = "";
      hiddenSources.clear();
      for (const toggle of sourceToggles.children) toggle.classList.add("vaist-on");
      rebuild();
    }
    const row = rows.get(line.id);
    if (!row) return;
    follow = false;
    row.scrollIntoView({ block: "center" });
    row.classList.remove("vaist-flash");
    void row.offsetWidth; // restart the flash animation
    row.classList.add("vaist-flash");
  }

  scroller.addEventListener("scroll", () => {
    follow = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - BOTTOM_SLACK_PX;
    if (follow) unseen = 0;
    showCounts();
  });
  newLines.addEventListener("click", () => {
    follow = true;
    unseen = 0;
    toBottom();
    showCounts();
  });
  levelSelect.addEventListener("change", () => {
    minimumLevel = LEVELS.indexOf(levelSelect.value);
    rebuild();
  });
  filterInput.addEventListener("input", () => {
    needle = filterInput.value.trim().toLowerCase();
    rebuild();
  });
  firstError.addEventListener("click", revealFirstError);
  model.on("msg:custom", receive);
  model.on("change:first_error", showFirstError);

  showFirstError();
  showCounts();
  model.send({ type: "ready" }); // Python answers with every line it holds: they may predate this view

  return () => cancelAnimationFrame(frame);
}

export default { render };
