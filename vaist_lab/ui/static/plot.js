// ResponsePlot: panels of line plots on <canvas>, drawn in a few milliseconds, with a hover readout.
// The model's `panels` is plain JSON from vaist_lab/ui/components/plot.py; `revision` changes on every show().

const PALETTE = ["#3b82f6", "#f97316", "#10b981", "#e11d48", "#8b5cf6", "#eab308", "#06b6d4", "#84cc16"];
const MIN_PANEL_WIDTH = 300; // narrower than this and the grid drops a column
const TICK_FONT_PX = 10;
const LABEL_FONT_PX = 11;

function element(tag, className, testid, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ----------------------------------------------------------------------------------------------- ticks

function niceStep(span, count) {
  const raw = span / Math.max(count, 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  return (normalised < 1.5 ? 1 : normalised < 3.5 ? 2 : normalised < 7.5 ? 5 : 10) * magnitude;
}

function linearTicks(min, max, count) {
  const step = niceStep(max - min, count);
  const ticks = [];
  for (let value = Math.ceil(min / step - 1e-9) * step; value <= max + step * 1e-9; value += step) {
    ticks.push(Math.abs(value) < step * 1e-9 ? 0 : value);
  }
  return { major: ticks, minor: [], step };
}

// 20, 50, 100, 200, 500, 1k, ... when there is room; decades only on a crowded axis
function logTicks(min, max, pixels) {
  const decades = Math.log10(max / min);
  if (decades < 1) return linearTicks(min, max, Math.max(2, Math.round(pixels / 80)));
  const perDecade = pixels / decades;
  const mantissas = perDecade >= 90 ? [1, 2, 5] : [1];
  const major = [];
  const minor = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent++) {
    for (let digit = 1; digit <= 9; digit++) {
      const value = digit * 10 ** exponent;
      if (value < min * (1 - 1e-9) || value > max * (1 + 1e-9)) continue;
      if (mantissas.includes(digit)) major.push(value);
      else if (perDecade >= 25) minor.push(value);
    }
  }
  return { major, minor, step: 0 };
}

function trimNumber(text) {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

// a true minus sign: "−20" reads better than "-20" and lines up with "+"
const withMinus = (text) => text.replace(/^-/, "\u2212");

function formatTick(value, step) {
  const size = Math.abs(value);
  let text;
  if (size >= 1e6 && (step === 0 || step >= 1e5)) text = trimNumber((value / 1e6).toFixed(2)) + "M";
  else if (size >= 1000 && (step === 0 || step >= 100)) text = trimNumber((value / 1000).toFixed(2)) + "k";
  else if (step === 0) text = trimNumber(value.toPrecision(3));
  else text = value.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  return withMinus(text);
}

// three significant digits: a hover readout, not a table
function formatReading(value, unit) {
  const size = Math.abs(value);
  if (unit === "Hz" && size >= 1000) return withMinus(`${trimNumber((value / 1000).toPrecision(3))} kHz`);
  let text;
  if (size !== 0 && (size >= 1e5 || size < 1e-3)) text = value.toExponential(2);
  else if (size >= 1000) text = value.toFixed(0);
  else text = trimNumber(value.toPrecision(3));
  return withMinus(unit ? `${text} ${unit}` : text);
}

// ----------------------------------------------------------------------------------------------- scales

function dataExtent(series, key, positiveOnly) {
  let low = Infinity;
  let high = -Infinity;
  for (const line of series) {
    for (const value of line[key]) {
      if (positiveOnly && value <= 0) continue;
      if (value < low) low = value;
      if (value > high) high = value;
    }
  }
  return [low, high];
}

// The axis's own bounds where given; the data's extent (rounded out to nice steps on linear y) where not.
function resolveRange(axis, series, key, roundOut) {
  const log = axis.scale === "log";
  let [low, high] = dataExtent(series, key, log);
  if (!Number.isFinite(low)) [low, high] = log ? [1, 10] : [0, 1];
  if (axis.min !== null) low = axis.min;
  if (axis.max !== null) high = axis.max;
  if (high <= low) {
    const pad = log ? 0 : Math.abs(low) * 0.1 || 1;
    [low, high] = log ? [low / 2, high * 2] : [low - pad, high + pad];
  }
  if (roundOut && !log) {
    const step = niceStep(high - low, 5);
    if (axis.min === null) low = Math.floor(low / step + 1e-9) * step;
    if (axis.max === null) high = Math.ceil(high / step - 1e-9) * step;
  }
  return [low, high];
}

// value -> pixel along an axis
function makeScale(axis, low, high, from, to) {
  if (axis.scale === "log") {
    const logLow = Math.log10(low);
    const factor = (to - from) / (Math.log10(high) - logLow);
    return (value) => from + (Math.log10(value) - logLow) * factor;
  }
  const factor = (to - from) / (high - low);
  return (value) => from + (value - low) * factor;
}

function axisTitle(axis) {
  return axis.unit ? `${axis.label} (${axis.unit})` : axis.label;
}

function themeColours(root) {
  const style = getComputedStyle(root);
  const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: read("--vaist-fg", "#222"),
    muted: read("--vaist-fg-muted", "#777"),
    border: read("--vaist-border", "#ccc"),
    background: read("--vaist-bg", "#fff"),
    font: read("--vaist-font", "sans-serif"),
  };
}

// ----------------------------------------------------------------------------------------------- drawing

function sizeCanvas(canvas, width, height, ratio) {
  const pixelWidth = Math.round(width * ratio);
  const pixelHeight = Math.round(height * ratio);
  if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
    canvas.width = pixelWidth;
    canvas.height = pixelHeight;
  }
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return context;
}

function drawPanel(card, colours) {
  const { panel, box, base } = card;
  const width = box.clientWidth;
  const height = box.clientHeight;
  if (width === 0 || height === 0) return false;
  const ratio = window.devicePixelRatio || 1;
  const context = sizeCanvas(base, width, height, ratio);
  sizeCanvas(card.overlay, width, height, ratio);
  const visible = panel.series.filter((line) => !card.hidden.has(line.name));
  const [xLow, xHigh] = resolveRange(panel.x, panel.series, "x", false);
  const [yLow, yHigh] = resolveRange(panel.y, panel.series, "y", true);

  const tickFont = `${TICK_FONT_PX}px ${colours.font}`;
  const labelFont = `${LABEL_FONT_PX}px ${colours.font}`;
  const top = 6;
  const bottom = height - 30;
  const yTicks = panel.y.scale === "log" ? logTicks(yLow, yHigh, bottom - top)
    : linearTicks(yLow, yHigh, Math.max(2, Math.round((bottom - top) / 40)));
  const yLabels = yTicks.major.map((value) => formatTick(value, yTicks.step));
  context.font = tickFont;
  const labelWidth = Math.max(18, ...yLabels.map((text) => context.measureText(text).width));
  const left = Math.ceil(labelWidth + 10 + (panel.y.label ? LABEL_FONT_PX + 4 : 0));
  const right = width - 12;
  const xScale = makeScale(panel.x, xLow, xHigh, left, right);
  const yScale = makeScale(panel.y, yLow, yHigh, bottom, top);
  const xTicks = panel.x.scale === "log" ? logTicks(xLow, xHigh, right - left)
    : linearTicks(xLow, xHigh, Math.max(2, Math.round((right - left) / 70)));

  // grid: minor lines faint, major lines light, zero stronger
  const crisp = (value) => Math.round(value * ratio) / ratio + 0.5 / ratio;
  context.lineWidth = 1 / ratio;
  context.strokeStyle = colours.border;
  const gridLines = (values, alpha, vertical) => {
    context.globalAlpha = alpha;
    context.beginPath();
    for (const value of values) {
      const pixel = crisp((vertical ? xScale : yScale)(value));
      if (vertical) { context.moveTo(pixel, top); context.lineTo(pixel, bottom); }
      else { context.moveTo(left, pixel); context.lineTo(right, pixel); }
    }
    context.stroke();
  };
  gridLines(xTicks.minor, 0.3, true);
  gridLines(yTicks.minor, 0.3, false);
  gridLines(xTicks.major, 0.65, true);
  gridLines(yTicks.major, 0.65, false);
  if (panel.y.scale === "linear" && yLow < 0 && yHigh > 0) {
    context.strokeStyle = colours.muted;
    gridLines([0], 0.6, false);
  }
  context.globalAlpha = 1;
  context.strokeStyle = colours.muted;
  context.beginPath();
  context.moveTo(crisp(left), top);
  context.lineTo(crisp(left), crisp(bottom));
  context.lineTo(right, crisp(bottom));
  context.stroke();

  // tick labels and axis titles
  context.fillStyle = colours.muted;
  context.font = tickFont;
  context.textAlign = "right";
  context.textBaseline = "middle";
  yTicks.major.forEach((value, index) => context.fillText(yLabels[index], left - 5, yScale(value)));
  context.textAlign = "center";
  context.textBaseline = "top";
  let lastRight = -Infinity;
  for (const value of xTicks.major) {
    const text = formatTick(value, xTicks.step);
    const pixel = xScale(value);
    const half = context.measureText(text).width / 2;
    if (pixel - half < lastRight + 4) continue; // never let labels collide
    context.fillText(text, Math.min(Math.max(pixel, left + half), width - half - 1), bottom + 4);
    lastRight = pixel + half;
  }
  context.fillStyle = colours.text;
  context.font = labelFont;
  context.fillText(axisTitle(panel.x), (left + right) / 2, bottom + 16);
  if (panel.y.label) {
    context.save();
    context.translate(2, (top + bottom) / 2);
    context.rotate(-Math.PI / 2);
    context.textBaseline = "top";
    context.fillText(axisTitle(panel.y), 0, 0);
    context.restore();
  }

  // the lines, clipped to the plot area
  context.save();
  context.beginPath();
  context.rect(left, top - 1, right - left, bottom - top + 2);
  context.clip();
  context.lineWidth = 1.6;
  context.lineJoin = "round";
  context.lineCap = "round";
  const limit = 1e5; // keep wild values from overflowing the canvas's coordinates
  card.pixels = [];
  for (const line of visible) {
    const xs = new Float32Array(line.x.length);
    const ys = new Float32Array(line.y.length);
    context.beginPath();
    for (let index = 0; index < line.x.length; index++) {
      xs[index] = xScale(line.x[index]);
      ys[index] = Math.max(-limit, Math.min(limit, yScale(line.y[index])));
      if (index === 0) context.moveTo(xs[index], ys[index]);
      else context.lineTo(xs[index], ys[index]);
    }
    context.strokeStyle = line.colour;
    context.setLineDash(line.dash ? [5, 4] : []);
    context.stroke();
    card.pixels.push({ line, xs, ys });
  }
  context.restore();
  card.geometry = { left, right, top, bottom, width, height };
  return true;
}

function nearestIndex(pixels, target) {
  let low = 0;
  let high = pixels.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (pixels[middle] < target) low = middle;
    else high = middle;
  }
  return Math.abs(pixels[low] - target) <= Math.abs(pixels[high] - target) ? low : high;
}

function drawHover(card, mouseX, colours) {
  const { geometry, overlay, readout, panel } = card;
  const ratio = window.devicePixelRatio || 1;
  const context = sizeCanvas(overlay, geometry.width, geometry.height, ratio);
  if (mouseX < geometry.left || mouseX > geometry.right || card.pixels.length === 0) {
    readout.hidden = true;
    return;
  }
  context.strokeStyle = colours.muted;
  context.lineWidth = 1;
  context.setLineDash([3, 3]);
  context.beginPath();
  context.moveTo(Math.round(mouseX) + 0.5, geometry.top);
  context.lineTo(Math.round(mouseX) + 0.5, geometry.bottom);
  context.stroke();
  context.setLineDash([]);
  const nearest = card.pixels.filter(({ xs }) => xs.length > 0).map((entry) => ({ ...entry, index: nearestIndex(entry.xs, mouseX) }));
  if (nearest.length === 0) {
    readout.hidden = true;
    return;
  }
  // the x of the first line's nearest point: the value the y readings belong to
  const first = nearest[0];
  readout.replaceChildren(element("div", "vaist-plot-readout-x", null, formatReading(first.line.x[first.index], panel.x.unit)));
  for (const { line, xs, ys, index } of nearest) {
    context.fillStyle = line.colour;
    context.strokeStyle = colours.background;
    context.lineWidth = 1.5;
    context.beginPath();
    context.arc(xs[index], ys[index], 3.5, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
    const row = element("div", "vaist-plot-readout-row");
    const dot = element("span", "vaist-plot-readout-dot");
    dot.style.background = line.colour;
    row.append(dot, `${line.name}: ${formatReading(line.y[index], panel.y.unit)}`);
    readout.append(row);
  }
  readout.hidden = false;
  const flip = mouseX > geometry.width * 0.6;
  readout.style.left = flip ? "" : `${mouseX + 12}px`;
  readout.style.right = flip ? `${geometry.width - mouseX + 12}px` : "";
  readout.style.top = `${geometry.top + 4}px`;
}

// ----------------------------------------------------------------------------------------------- the widget

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text; // an unchanged text must not cost a layout
}

function makeCard() {
  const card = element("div", "vaist-plot-panel", "vaist-plot-panel");
  const head = element("div", "vaist-plot-head");
  const title = element("span", "vaist-plot-title", "vaist-plot-title");
  const note = element("span", "vaist-plot-note", "vaist-plot-note");
  const legend = element("div", "vaist-plot-legend", "vaist-plot-legend");
  head.append(title, note, legend);
  const box = element("div", "vaist-plot-canvas-box");
  const base = element("canvas", "vaist-plot-canvas", "vaist-plot-canvas");
  const overlay = element("canvas", "vaist-plot-overlay", "vaist-plot-overlay");
  const readout = element("div", "vaist-plot-readout", "vaist-plot-readout");
  readout.hidden = true;
  box.append(base, overlay, readout);
  card.append(head, box);
  return { card, title, note, legend, box, base, overlay, readout, hidden: new Set(), pixels: [], geometry: null,
    panel: null, legendKey: "", drawnRevision: -1 };
}

function render({ model, el }) {
  const root = element("div", "vaist-root vaist-plot", "vaist-plot");
  const busy = element("div", "vaist-plot-busy", "vaist-plot-busy");
  busy.append(element("span", "vaist-busy-dot"), "updating");
  const grid = element("div", "vaist-plot-grid", "vaist-plot-grid");
  const empty = element("div", "vaist-plot-empty", "vaist-plot-empty", "Nothing to plot yet.");
  root.append(busy, grid);
  el.append(root);

  let cards = [];
  let revision = -1;
  let colours = null; // read from the CSS variables before each round of drawing
  let scheduled = false;

  function markDrawn() {
    if (cards.every((card) => card.drawnRevision === revision)) root.dataset.drawnRevision = String(revision);
  }

  function drawCard(card) {
    if (drawPanel(card, colours)) card.drawnRevision = revision;
  }

  function layout() {
    const wanted = Math.max(1, Math.min(model.get("columns"), cards.length || 1));
    const fit = Math.max(1, Math.floor((root.clientWidth || MIN_PANEL_WIDTH * wanted) / MIN_PANEL_WIDTH));
    grid.style.setProperty("--vaist-columns", String(Math.min(wanted, fit)));
    for (const card of cards) card.box.style.height = `${model.get("height_px")}px`;
  }

  function legendFor(card) {
    const { panel } = card;
    card.legend.replaceChildren();
    if (panel.series.length < 2) return;
    for (const line of panel.series) {
      const item = element("span", "vaist-plot-legend-item", "vaist-plot-legend-item");
      item.classList.toggle("vaist-off", card.hidden.has(line.name));
      const swatch = element("span", "vaist-plot-swatch");
      swatch.classList.toggle("vaist-dash", line.dash);
      swatch.style.color = line.colour;
      item.append(swatch, line.name);
      item.title = "Show or hide this line";
      item.addEventListener("click", () => {
        if (card.hidden.has(line.name)) card.hidden.delete(line.name);
        else card.hidden.add(line.name);
        item.classList.toggle("vaist-off", card.hidden.has(line.name));
        drawCard(card);
      });
      card.legend.append(item);
    }
  }

  function update() {
    scheduled = false;
    const started = performance.now();
    const panels = model.get("panels");
    revision = model.get("revision");
    if (cards.length !== panels.length) {
      const previous = cards;
      cards = panels.map((_, index) => previous[index] ?? makeCard());
      if (cards.length) grid.replaceChildren(...cards.map((card) => card.card));
      else grid.replaceChildren(empty);
      for (const card of previous) if (!cards.includes(card)) resizes.unobserve(card.box);
      for (const card of cards) resizes.observe(card.box);
    }
    layout();
    // all DOM writes first, then one layout when the first canvas is measured: drawing stays a few ms
    panels.forEach((panel, index) => {
      const card = cards[index];
      if (card.panel?.title !== panel.title) card.hidden.clear(); // a hidden line stays hidden in the same plot
      card.panel = {
        ...panel,
        series: panel.series.map((line, number) => ({ ...line, colour: line.color || PALETTE[number % PALETTE.length] })),
      };
      setText(card.title, panel.title);
      setText(card.note, panel.note);
      const legendKey = JSON.stringify(card.panel.series.map((line) => [line.name, line.colour, line.dash]));
      if (card.legendKey !== legendKey) {
        card.legendKey = legendKey;
        legendFor(card);
      }
      if (!card.readout.hidden) card.readout.hidden = true;
    });
    redrawAll();
    markDrawn();
    root.dataset.drawMs = (performance.now() - started).toFixed(2);
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(update); // `panels` and `revision` arrive together: draw once
  }

  const resizes = new ResizeObserver((entries) => {
    layout();
    colours = themeColours(root); // the first draw may come before the root was in the document
    for (const entry of entries) {
      const card = cards.find((candidate) => candidate.box === entry.target);
      if (card && card.panel) drawCard(card);
    }
    markDrawn();
  });
  const rootResizes = new ResizeObserver(layout);
  rootResizes.observe(root);

  // a change of screen or zoom changes the device pixel ratio without always resizing anything
  let ratioQuery = null;
  function watchRatio() {
    ratioQuery?.removeEventListener("change", onRatio);
    ratioQuery = matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    ratioQuery.addEventListener("change", onRatio);
  }
  function redrawAll() {
    colours = themeColours(root);
    cards.forEach(drawCard);
  }
  function onRatio() {
    watchRatio();
    redrawAll();
  }
  watchRatio();
  // JupyterLab switches themes by changing its CSS variables and marking <body>; canvases must be redrawn
  const themes = new MutationObserver(redrawAll);
  themes.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"] });

  for (const eventName of ["pointermove", "pointerleave"]) {
    grid.addEventListener(eventName, (event) => {
      for (const card of cards) {
        if (!card.geometry) continue;
        const inside = eventName === "pointermove" && card.box.contains(event.target);
        if (inside) drawHover(card, event.clientX - card.box.getBoundingClientRect().left, colours);
        else if (!card.readout.hidden) {
          card.readout.hidden = true;
          sizeCanvas(card.overlay, card.geometry.width, card.geometry.height, window.devicePixelRatio || 1);
        }
      }
    });
  }

  const showBusy = () => root.classList.toggle("vaist-busy", model.get("busy"));
  model.on("change:revision", schedule);
  model.on("change:panels", schedule);
  model.on("change:columns", () => { layout(); });
  model.on("change:height_px", () => { layout(); });
  model.on("change:busy", showBusy);
  showBusy();
  update();

  return () => {
    resizes.disconnect();
    rootResizes.disconnect();
    themes.disconnect();
    ratioQuery?.removeEventListener("change", onRatio);
  };
}

export default { render };
