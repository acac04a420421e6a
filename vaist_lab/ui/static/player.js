// AudioPlayer: every clip plays at once from one start time, each through its own GainNode; only the selected
// one is heard. Switching glides the gains, so it is instant, click-free and keeps the play position.
// Clips arrive from vaist_lab/ui/components/player.py as one custom message with a float32 buffer per clip.

const FADE_S = 0.015; // gain glides: short enough to feel instant, long enough not to click
const LOOKAHEAD_S = 0.01; // sources are scheduled this far ahead, so that all start on the same sample
const ICONS = {
  play: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2.5v11l9.5-5.5z"/></svg>',
  stop: '<svg viewBox="0 0 16 16" aria-hidden="true"><rect x="3.5" y="3.5" width="9" height="9" rx="1"/></svg>',
};

function element(tag, className, testid, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  if (text !== undefined) node.textContent = text;
  return node;
}

function humanSize(bytes) {
  for (const [unit, scale] of [["GB", 1e9], ["MB", 1e6], ["kB", 1e3]]) {
    if (bytes >= scale) return `${(bytes / scale).toFixed(1)} ${unit}`;
  }
  return `${bytes} B`;
}

function clock(seconds) {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${(seconds - minutes * 60).toFixed(1).padStart(4, "0")}`;
}

// Move an AudioParam from wherever it is now towards `target`, reaching ~95 % after FADE_S.
function glide(param, target, at) {
  if (param.cancelAndHoldAtTime) param.cancelAndHoldAtTime(at);
  else {
    const current = param.value;
    param.cancelScheduledValues(at);
    param.setValueAtTime(current, at);
  }
  param.setTargetAtTime(target, at, FADE_S / 3);
}

// Per pixel column, the lowest and highest sample over all channels: the overview drawn in the position bar.
function peaks(buffer, columns) {
  const lows = new Float32Array(columns);
  const highs = new Float32Array(columns);
  const perColumn = buffer.length / columns;
  for (let channel = 0; channel < buffer.numberOfChannels; channel++) {
    const samples = buffer.getChannelData(channel);
    for (let column = 0; column < columns; column++) {
      let low = lows[column];
      let high = highs[column];
      const end = Math.min(samples.length, Math.floor((column + 1) * perColumn));
      for (let index = Math.floor(column * perColumn); index < end; index++) {
        const value = samples[index];
        if (value < low) low = value;
        else if (value > high) high = value;
      }
      lows[column] = low;
      highs[column] = high;
    }
  }
  return { lows, highs };
}

function render({ model, el }) {
  const root = element("div", "vaist-root vaist-player", "vaist-player");
  root.tabIndex = 0;
  root.dataset.playing = "false";
  root.dataset.selected = "";
  const bar = element("div", "vaist-player-bar");
  const playButton = element("button", "vaist-player-play", "vaist-player-play");
  playButton.title = "Play / stop (space)";
  const clipGroup = element("div", "vaist-player-clips", "vaist-player-clips");
  const emptyNote = element("span", "vaist-player-empty", "vaist-player-empty", "No audio yet");
  const status = element("span", "vaist-player-status", "vaist-player-status");
  const loopLabel = element("label", "vaist-player-toggle vaist-player-loop", "vaist-player-loop");
  const loopBox = element("input");
  loopBox.type = "checkbox";
  loopLabel.append(loopBox, "Loop");
  const upload = element("span", "vaist-player-upload");
  const uploadButton = element("button", "vaist-player-upload-button", "vaist-player-upload-button", "Your own file…");
  uploadButton.title = "Hear the effect on a WAV, FLAC or Ogg file of your own";
  const fileInput = element("input", "vaist-player-file", "vaist-player-file");
  fileInput.type = "file";
  fileInput.accept = ".wav,.flac,.ogg,.oga,audio/*";
  const progress = element("progress", "vaist-player-progress", "vaist-player-progress");
  progress.hidden = true;
  upload.append(uploadButton, fileInput, progress);
  bar.append(playButton, clipGroup, emptyNote, status, element("span", "vaist-player-spacer"), loopLabel, upload);
  const wave = element("div", "vaist-player-wave", "vaist-player-position");
  wave.title = "Click to play from here";
  const waveCanvas = element("canvas");
  const timeLabel = element("span", "vaist-player-time", "vaist-player-time");
  wave.append(waveCanvas, timeLabel);
  const notice = element("div", "vaist-player-notice vaist-player-message", "vaist-player-message");
  const noticeText = element("span", "vaist-player-notice-text");
  const noticeClose = element("button", "vaist-player-notice-close", "vaist-player-message-close", "×");
  noticeClose.title = "Dismiss";
  notice.append(noticeText, noticeClose);
  root.append(bar, wave, notice);
  el.append(root);

  let clips = []; // {name, label, gain, buffer}
  let version = -1;
  let context = null;
  let voices = new Map(); // clip name -> {source, gain} of the sources now playing
  let playing = false;
  let looping = model.get("loop");
  let startedAt = 0; // context time at which position 0 played (or would have)
  let cue = 0; // where play starts, and where stop returns to
  let frame = 0;
  let overview = null; // {clip, width, lows, highs}

  const duration = () => (clips.length ? clips[0].buffer.duration : 0);
  const selectedClip = () => clips.find((clip) => clip.name === model.get("selected")) ?? clips[0];
  const heardGain = (clip) => (clip === selectedClip() ? (model.get("level_match") ? clip.gain : 1) : 0);

  function position() {
    if (!playing) return cue;
    const elapsed = context.currentTime - startedAt;
    return looping ? elapsed % duration() : Math.min(elapsed, duration());
  }

  function startVoices(offset, when) {
    const started = new Map();
    for (const clip of clips) {
      const source = new AudioBufferSourceNode(context, { buffer: clip.buffer, loop: looping });
      const gain = new GainNode(context, { gain: 0 });
      source.connect(gain).connect(context.destination);
      glide(gain.gain, heardGain(clip), when);
      source.start(when, offset);
      started.set(clip.name, { source, gain });
    }
    startedAt = when - offset;
    return started;
  }

  function fadeOut(fading, at) {
    for (const { source, gain } of fading.values()) {
      glide(gain.gain, 0, at);
      source.stop(at + 4 * FADE_S);
    }
  }

  // Carry on from `offset` with fresh sources (new clips, or a seek): a crossfade, no gap.
  function restartAt(offset) {
    const when = context.currentTime + LOOKAHEAD_S;
    fadeOut(voices, when);
    voices = startVoices(offset % duration(), when);
  }

  let starting = false;
  // the context starts while the button is held down, before the click that plays
  function wake() {
    context ??= new AudioContext({ latencyHint: "interactive" });
  }

  // `pressed`: the time of the click or key press, from which the time to first sound is counted
  async function play(pressed) {
    if (clips.length === 0 || playing || starting) return;
    starting = true;
    context ??= new AudioContext({ latencyHint: "interactive" });
    if (context.state !== "running") await context.resume();
    starting = false;
    voices = startVoices(cue, context.currentTime + LOOKAHEAD_S);
    const latency = context.outputLatency || context.baseLatency || 0;
    root.dataset.firstSoundMs = (performance.now() - pressed + 1000 * (LOOKAHEAD_S + latency)).toFixed(1);
    setPlaying(true);
  }

  function stop() {
    if (playing) fadeOut(voices, context.currentTime);
    voices = new Map();
    setPlaying(false);
  }

  function setPlaying(value) {
    playing = value;
    root.dataset.playing = String(value);
    playButton.innerHTML = value ? ICONS.stop : ICONS.play;
    playButton.setAttribute("aria-label", value ? "Stop" : "Play");
    cancelAnimationFrame(frame);
    if (value) frame = requestAnimationFrame(tick);
    else drawWave();
  }

  function tick() {
    if (!looping && context.currentTime - startedAt >= duration()) {
      stop();
      return;
    }
    drawWave();
    frame = requestAnimationFrame(tick);
  }

  function select(name) {
    if (model.get("selected") !== name) {
      model.set("selected", name);
      model.save_changes();
    }
  }

  function applySelection() {
    const heard = selectedClip();
    root.dataset.selected = heard ? heard.name : "";
    for (const button of clipGroup.children) {
      const on = heard !== undefined && button.dataset.clip === heard.name;
      button.classList.toggle("vaist-selected", on);
      button.setAttribute("aria-pressed", String(on));
    }
    for (const clip of clips) {
      const voice = voices.get(clip.name);
      if (voice) glide(voice.gain.gain, heardGain(clip), context.currentTime);
    }
    drawWave();
  }

  function showClips() {
    clipGroup.replaceChildren(
      ...clips.map((clip, index) => {
        const button = element("button", "vaist-player-clip", "vaist-player-clip");
        button.dataset.clip = clip.name;
        button.append(element("span", "vaist-player-led"), clip.label);
        if (index < 9) button.append(element("span", "vaist-player-key", null, String(index + 1)));
        button.title = `Hear ${clip.label} (key ${index + 1})`;
        button.addEventListener("click", () => select(clip.name));
        return button;
      }),
    );
    clipGroup.hidden = clips.length === 0;
    emptyNote.hidden = clips.length > 0;
    playButton.disabled = clips.length === 0;
    applySelection();
  }

  function receiveClips(message, buffers) {
    if (message.version === version) return; // another view asked for these again
    version = message.version;
    const offset = position(); // on the old clips' timeline
    clips = message.clips.map((clip, index) => {
      const view = buffers[index];
      // the buffer's offset in the websocket frame need not be a multiple of 4: copy before viewing as floats
      const samples = new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
      const buffer = new AudioBuffer({ length: message.frames, numberOfChannels: clip.channels, sampleRate: message.sample_rate });
      for (let channel = 0; channel < clip.channels; channel++) {
        buffer.copyToChannel(samples.subarray(channel * message.frames, (channel + 1) * message.frames), channel);
      }
      return { ...clip, buffer };
    });
    overview = null;
    if (cue >= duration()) cue = 0;
    if (playing && !looping && offset >= duration()) stop();
    else if (playing) restartAt(offset + LOOKAHEAD_S);
    showClips();
    root.dataset.clipsVersion = String(version);
  }

  function drawWave() {
    const width = wave.clientWidth;
    const height = wave.clientHeight;
    const total = duration();
    timeLabel.textContent = total ? `${clock(position())} / ${clock(total)}` : "";
    if (width === 0 || height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    const columns = Math.round(width * ratio);
    if (waveCanvas.width !== columns || waveCanvas.height !== Math.round(height * ratio)) {
      waveCanvas.width = columns;
      waveCanvas.height = Math.round(height * ratio);
    }
    const draw = waveCanvas.getContext("2d");
    draw.setTransform(1, 0, 0, 1, 0, 0);
    draw.clearRect(0, 0, waveCanvas.width, waveCanvas.height);
    const clip = selectedClip();
    if (!clip) return;
    if (!overview || overview.clip !== clip || overview.width !== columns) {
      overview = { clip, width: columns, ...peaks(clip.buffer, columns) };
    }
    const style = getComputedStyle(root);
    const accent = style.getPropertyValue("--vaist-accent").trim() || "#1976d2";
    const muted = style.getPropertyValue("--vaist-fg-faint").trim() || "#999";
    const played = Math.round((position() / total) * columns);
    const middle = waveCanvas.height / 2;
    const scale = middle * 0.9;
    for (const [from, to, colour] of [[0, played, accent], [played, columns, muted]]) {
      draw.fillStyle = colour;
      for (let column = from; column < to; column++) {
        const top = middle - overview.highs[column] * scale;
        draw.fillRect(column, top, 1, Math.max(1, middle - overview.lows[column] * scale - top));
      }
    }
    draw.fillStyle = accent;
    draw.fillRect(Math.min(played, columns - 2 * ratio), 0, 2 * ratio, waveCanvas.height);
  }

  function seek(event) {
    const total = duration();
    if (!total) return;
    const box = wave.getBoundingClientRect();
    cue = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 0.999) * total;
    if (playing) restartAt(cue);
    drawWave();
  }

  // -------------------------------------------------------------------------------------------- upload

  const uploadAcks = new Map(); // upload id -> resolve(received)

  async function sendFile(file) {
    const limit = model.get("upload_limit_bytes");
    if (file.size > limit) {
      setMessage(`${file.name} is ${humanSize(file.size)}; files up to ${humanSize(limit)} can be used.`);
      return;
    }
    const chunkBytes = model.get("chunk_bytes");
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const bytes = await file.arrayBuffer();
    const count = Math.max(1, Math.ceil(bytes.byteLength / chunkBytes));
    uploadButton.disabled = true;
    progress.hidden = false;
    progress.max = count;
    progress.value = 0;
    setStatusNote(`sending ${file.name} (${humanSize(file.size)})…`);
    try {
      for (let index = 0; index < count; index++) {
        // one chunk in flight: the progress bar shows what Python has, and the websocket is never flooded
        const acknowledged = new Promise((resolve) => uploadAcks.set(id, resolve));
        const chunk = bytes.slice(index * chunkBytes, (index + 1) * chunkBytes);
        model.send({ type: "upload", id, name: file.name, size: file.size, index, count }, undefined, [chunk]);
        progress.value = await acknowledged;
      }
    } finally {
      uploadAcks.delete(id);
      uploadButton.disabled = false;
      progress.hidden = true;
      setStatusNote("");
    }
  }

  // -------------------------------------------------------------------------------------------- model

  let statusNote = ""; // this view's own note (an upload under way), shown before Python's status
  function setStatusNote(text) {
    statusNote = text;
    showStatus();
  }
  function showStatus() {
    status.replaceChildren();
    const text = statusNote || model.get("status");
    if (text) status.append(element("span", "vaist-busy-dot"), text);
  }
  function setMessage(text) {
    model.set("message", text);
    model.save_changes();
  }
  function showMessage() {
    noticeText.textContent = model.get("message");
    notice.hidden = !model.get("message");
  }

  model.on("msg:custom", (message, buffers) => {
    if (message.type === "clips") receiveClips(message, buffers);
    else if (message.type === "upload-progress") uploadAcks.get(message.id)?.(message.received);
  });
  model.on("change:selected", applySelection);
  model.on("change:level_match", applySelection);
  model.on("change:loop", () => {
    const offset = position(); // on the timeline of the old setting
    looping = model.get("loop");
    loopBox.checked = looping;
    for (const { source } of voices.values()) source.loop = looping;
    if (playing) startedAt = context.currentTime - offset;
  });
  model.on("change:status", showStatus);
  model.on("change:message", showMessage);

  playButton.addEventListener("pointerdown", wake);
  playButton.addEventListener("click", (event) => {
    if (playing) stop();
    else play(event.timeStamp);
  });
  loopBox.addEventListener("change", () => {
    model.set("loop", loopBox.checked);
    model.save_changes();
  });
  wave.addEventListener("pointerdown", seek);
  uploadButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const [file] = fileInput.files;
    fileInput.value = "";
    if (file) sendFile(file);
  });
  noticeClose.addEventListener("click", () => setMessage(""));
  root.addEventListener("keydown", (event) => {
    if (event.target !== root && event.target.tagName !== "BUTTON") return;
    if (event.key === " ") {
      event.preventDefault();
      if (playing) stop();
      else play(event.timeStamp);
    } else if (/^[1-9]$/.test(event.key) && clips[Number(event.key) - 1]) {
      select(clips[Number(event.key) - 1].name);
    }
  });
  const resizes = new ResizeObserver(() => drawWave());
  resizes.observe(wave);

  loopBox.checked = looping;
  setPlaying(false);
  showClips();
  showStatus();
  showMessage();
  model.send({ type: "ready" }); // Python answers with the clips it has: they may predate this view

  return () => {
    cancelAnimationFrame(frame);
    resizes.disconnect();
    context?.close();
  };
}

export default { render };
