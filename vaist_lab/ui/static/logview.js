// LogView: a streaming build log. Lines arrive in batches from vaist_lab/ui/components/logview.py, are
// deduplicated by id, kept up to `max_lines`, and drawn once per animation frame with one DocumentFragment,
// into chunks of rows that the browser skips while they are out of view.

const LEVELS = ["debug", "info", "warning", "error"];
const LEVEL_CHOICES = [["debug", "Everything"], ["info", "Info and up"], ["warning", "Warnings and errors"], ["error", "Errors only"]];
const BOTTOM_SLACK_PX = 8; // this close to the end counts as "at the bottom": follow the tail
const CHUNK_ROWS = 100;

function element(tag, className, testid, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  if (text !== undefined) node.textContent = text;
  return node;
}

const sourceClass = (source) => `vaist-source-${source.replace(/[^a-z0-9_-]/gi, "_")}`;

const two = (number) => String(number).padStart(2, "0");

// the local wall-clock time of seconds since the epoch or an ISO 8601 string; any other string as it is
function clockTime(time) {
  if (time === null || time === undefined || time === "") return "";
  const moment = new Date(typeof time === "number" ? time * 1000 : time);
  if (Number.isNaN(moment.getTime())) return String(time);
  return `${two(moment.getHours())}:${two(moment.getMinutes())}:${two(moment.getSeconds())}`;
}

function placeOf(line) {
  if (!line.file) return "";
  return [line.file, line.line, line.column].filter((part) => part !== null && part !== undefined && part !== "").join(":");
}

function makeRow(line) {
  const row = element("div", `vaist-log-line vaist-level-${line.level}`, "vaist-log-line");
  row.dataset.id = line.id;
  row.dataset.level = line.level;
  const time = clockTime(line.time);
  if (time) row.append(element("span", "vaist-log-time", null, time));
  // the source's colour comes from a class, not an inline style: rows then share their computed styles
  row.append(element("span", `vaist-log-tag ${sourceClass(line.source)}`, null, line.source));
  if (line.platform) row.append(element("span", "vaist-log-platform", null, line.platform));
  const text = element("span", "vaist-log-text");
  const where = placeOf(line);
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
  const firstWhere = element("div", "vaist-log-first-error-where", "vaist-log-first-error-where");
  const firstMessage = element("div", "vaist-log-first-error-message", "vaist-log-first-error-message");
  firstError.append(firstWhere, firstMessage);
  const toolbar = element("div", "vaist-log-toolbar");
  const levelSelect = element("select", "vaist-log-level", "vaist-log-level");
  for (const [value, text] of LEVEL_CHOICES) levelSelect.append(new Option(text, value));
  levelSelect.value = "debug";
  const sourceToggles = element("div", "vaist-log-sources", "vaist-log-sources");
  // a build on several platforms (GitHub Actions): one platform's lines at a time, or all
  const platformSelect = element("select", "vaist-log-platform-filter", "vaist-log-platform-filter");
  platformSelect.append(new Option("All platforms", ""));
  platformSelect.title = "Show the lines of one platform";
  const filterInput = element("input", "vaist-log-filter", "vaist-log-filter");
  filterInput.type = "search";
  filterInput.placeholder = "Filter…";
  const count = element("span", "vaist-log-count", "vaist-log-count");
  toolbar.append(levelSelect, platformSelect, sourceToggles, filterInput, count);
  const scroller = element("div", "vaist-log-scroll", "vaist-log-lines");
  const earlier = element("div", "vaist-log-earlier", "vaist-log-earlier");
  const empty = element("div", "vaist-log-empty", "vaist-log-empty", "No output yet.");
  const body = element("div", "vaist-log-body");
  scroller.append(earlier, empty, body);
  const newLines = element("button", "vaist-log-new", "vaist-log-new");
  root.append(firstError, toolbar, scroller, newLines);
  el.append(root);

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
  const toggles = new Map(); // source -> its toggle button
  const platforms = new Set(); // the platforms of the lines seen
  let minimumLevel = 0;
  let needle = "";

  const platformShown = () => model.get("platform_filter");
  const passes = (line) =>
    LEVELS.indexOf(line.level) >= minimumLevel &&
    !hiddenSources.has(line.source) &&
    (platformShown() === "" || line.platform === platformShown()) &&
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
    toggles.clear();
    platforms.clear();
    platformSelect.replaceChildren(new Option("All platforms", ""));
    showPlatformChoice();
    total = 0;
    unseen = 0;
    follow = true;
  }

  function addSourceToggle(source) {
    if (toggles.has(source)) return;
    const toggle = element("button", `vaist-log-source-toggle ${sourceClass(source)}`, "vaist-log-source", source);
    toggle.dataset.source = source;
    toggle.title = `Show or hide ${source} lines`;
    toggle.classList.toggle("vaist-on", !hiddenSources.has(source));
    toggle.addEventListener("click", () => {
      if (hiddenSources.has(source)) hiddenSources.delete(source);
      else hiddenSources.add(source);
      toggle.classList.toggle("vaist-on", !hiddenSources.has(source));
      rebuild();
    });
    toggles.set(source, toggle);
    sourceToggles.append(toggle);
  }

  function showPlatformChoice() {
    const wanted = platformShown();
    if (wanted && !platforms.has(wanted)) platformSelect.append(new Option(wanted, wanted)); // chosen before its lines came
    platformSelect.value = wanted;
    platformSelect.hidden = platformSelect.options.length < 3; // "All platforms" and two or more
  }

  function addPlatform(platform) {
    if (!platform || platforms.has(platform)) return;
    platforms.add(platform);
    const existing = [...platformSelect.options].find((option) => option.value === platform);
    if (!existing) platformSelect.append(new Option(platform, platform));
    showPlatformChoice();
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

  // Rows live in chunks of CHUNK_ROWS; a chunk out of view is skipped by layout and paint (content-visibility),
  // so appending costs the same with 50 lines as with 5000.
  function appendRows(fresh) {
    const last = body.lastElementChild;
    let next = 0;
    if (last && last.childElementCount < CHUNK_ROWS) {
      next = CHUNK_ROWS - last.childElementCount;
      last.append(...fresh.slice(0, next));
    }
    const chunks = document.createDocumentFragment();
    for (; next < fresh.length; next += CHUNK_ROWS) {
      const chunk = element("div", "vaist-log-chunk");
      chunk.append(...fresh.slice(next, next + CHUNK_ROWS));
      chunks.append(chunk);
    }
    body.append(chunks);
  }

  function removeRow(id) {
    const row = rows.get(id);
    if (!row) return;
    const chunk = row.parentElement;
    row.remove();
    if (chunk.childElementCount === 0) chunk.remove();
    rows.delete(id);
  }

  function rowsFor(candidates) {
    const made = [];
    for (const line of candidates) {
      if (!passes(line)) continue;
      const row = makeRow(line);
      rows.set(line.id, row);
      made.push(row);
    }
    return made;
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
        removeRow(line.id);
      }
    }
    const kept = batch.slice(Math.max(0, excess - held));
    for (const line of kept) {
      addSourceToggle(line.source);
      addPlatform(line.platform);
    }
    const fresh = rowsFor(kept);
    if (!follow) unseen += fresh.length;
    appendRows(fresh);
    if (follow) toBottom();
    showCounts();
  }

  function rebuild() {
    rows.clear();
    body.replaceChildren();
    appendRows(rowsFor(lines));
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
    firstWhere.textContent = placeOf(line) || `${line.source}${line.platform ? ` on ${line.platform}` : ""}`;
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
      model.set("platform_filter", "");
      model.save_changes();
      hiddenSources.clear();
      for (const toggle of toggles.values()) toggle.classList.add("vaist-on");
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
  platformSelect.addEventListener("change", () => {
    model.set("platform_filter", platformSelect.value);
    model.save_changes();
  });
  model.on("change:platform_filter", () => {
    showPlatformChoice();
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
  showPlatformChoice();
  showCounts();
  model.send({ type: "ready" }); // Python answers with every line it holds: they may predate this view

  return () => cancelAnimationFrame(frame);
}

export default { render };
