// Download: saves bytes sent by vaist_lab/ui/components/download.py as a file, with no server route.
// The chunks are gathered once per model (not per view), so a widget shown twice still saves one file.

const ICON = '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M7 1h2v7.6l2.8-2.8 1.4 1.4L8 12.4 2.8 7.2l1.4-1.4L7 8.6zM2 13h12v2H2z"/></svg>';
const REVOKE_AFTER_MS = 30000; // the browser reads the object URL after the click returns

function element(tag, className, testid, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  if (text !== undefined) node.textContent = text;
  return node;
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = element("a", "vaist-download-link", "vaist-download-link");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

function initialize({ model }) {
  const transfers = new Map(); // id -> chunks (DataViews), in order
  const receive = (message, buffers) => {
    if (message.type !== "file") return;
    const chunks = transfers.get(message.id) ?? new Array(message.count);
    transfers.set(message.id, chunks);
    chunks[message.index] = buffers[0];
    if (chunks.filter(Boolean).length < message.count) return;
    transfers.delete(message.id);
    save(new Blob(chunks, { type: message.mime }), message.name);
    model.send({ type: "saved", id: message.id });
  };
  model.on("msg:custom", receive);
  return () => model.off("msg:custom", receive);
}

function render({ model, el }) {
  const root = element("div", "vaist-root vaist-download", "vaist-download");
  const button = element("button", "vaist-download-button", "vaist-download-button");
  const status = element("span", "vaist-download-status", "vaist-download-status");
  const error = element("span", "vaist-download-error", "vaist-download-error");
  root.append(button, status, error);
  el.append(root);

  function show() {
    button.innerHTML = ICON;
    button.append(model.get("label"));
    button.hidden = !model.get("label");
    button.disabled = !model.get("enabled") || model.get("busy");
    status.textContent = model.get("status");
    error.textContent = model.get("error");
  }

  button.addEventListener("click", () => {
    button.disabled = true; // until Python says it is busy, then done
    model.send({ type: "request" });
  });
  for (const name of ["label", "enabled", "busy", "status", "error"]) model.on(`change:${name}`, show);
  show();
}

export default { initialize, render };
