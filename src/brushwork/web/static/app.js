// brushwork page: upload, submit a job, poll its progress, show the result; while the user chooses, an instant
// preview (small copies of the images, painted by the fast model) fills the result. No framework, no build step.
"use strict";
const $ = (id) => document.getElementById(id);
let methods = {};
let jobId = null;
let resultUrl = null;
let previewSize = 384;
let painting = false;  // from Paint until the job ends: no previews meanwhile
const preview = { seq: 0, busy: false, again: false, timer: null, scaled: {}, failed: false };

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").classList.toggle("error", isError);
}

async function detail(response) {
  try { return (await response.json()).detail || response.statusText; } catch { return response.statusText; }
}

function setupDrop(kind) {
  const drop = $(kind + "-drop"), input = $(kind + "-input");
  const show = () => {
    const file = input.files[0];
    $(kind + "-name").textContent = file ? file.name : "";
    if (kind === "content" && file) $("input-preview").src = URL.createObjectURL(file);
    delete preview.scaled[kind];
    schedulePreview();
  };
  input.addEventListener("change", show);
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; show(); }
  });
}

function methodChanged() {
  const info = methods[$("method").value];
  const [low, high] = info.strength;
  const strength = $("strength");
  strength.min = low; strength.max = high;
  strength.value = Math.min(high, Math.max(low, 1));
  $("strength-value").textContent = strength.value;
  $("style-drop").classList.toggle("off", !info.style);
  $("style-input").disabled = !info.style;
  $("palette").disabled = !info.style;  // the painting's colours need a painting (disabled: not sent)
  if (!paletteSet()) {  // until moved: the model's own, which only the fast models set (to 1)
    $("palette").value = $("method").value === "fast" ? 1 : 0;
    $("palette-value").textContent = `model's (${$("palette").value})`;
  }
  schedulePreview();
}

// A copy of the chosen file scaled to at most `side` px (the preview never needs more); the file itself when the
// browser cannot decode it, so that the server names the problem.
async function scaledCopy(kind, side) {
  const file = $(kind + "-input").files[0];
  if (!file) return null;
  if (preview.scaled[kind]?.file === file) return preview.scaled[kind].blob;
  let blob = file;
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    blob = (await new Promise((done) => canvas.toBlob(done, "image/png"))) || file;
  } catch { /* not decodable here: send it as it is */ }
  preview.scaled[kind] = { file, blob };
  return blob;
}

function previewWanted() {
  const info = methods[$("method").value];
  if (!info || !info.preview || !$("content-input").files.length) return false;
  return !info.style || $("style-input").files.length > 0;
}

// Ask for a preview 250 ms after the last change; at most one request in flight, the newest settings win.
function schedulePreview(delay = 250) {
  preview.seq += 1;
  clearTimeout(preview.timer);
  if (previewWanted() && !painting) {
    preview.timer = setTimeout(() => requestPreview().catch((err) => previewFailed(`Preview failed: ${err}`)), delay);
  }
}

function previewFailed(text) {
  preview.failed = true;
  say(text, true);
}

async function requestPreview() {
  if (preview.busy) { preview.again = true; return; }
  const info = methods[$("method").value];
  const content = $("content-input").files[0], style = $("style-input").files[0];
  if (!content || (info.style && !style)) return;
  preview.busy = true;
  const seq = preview.seq;
  try {
    const form = new FormData();
    form.append("content", await scaledCopy("content", 2 * previewSize), content.name);
    if (info.style) form.append("style", await scaledCopy("style", 2 * previewSize), style.name);
    for (const name of ["method", "strength"]) form.append(name, $(name).value);
    if ($("preserve").checked) form.append("preserve_color", "1");
    if (info.style && paletteSet()) form.append("palette", $("palette").value);
    const response = await fetch("/api/preview", { method: "POST", body: form });
    if (seq !== preview.seq || painting) return;  // the settings changed meanwhile, or a painting is under way
    if (response.status === 503) { preview.again = false; return schedulePreview(500); }  // another preview
    if (!response.ok) return previewFailed(await detail(response));
    showImage(await response.blob(), `preview (${response.headers.get("X-Method")}, ${previewSize} px): ` +
      "press Paint for the full picture");
    if (preview.failed) { preview.failed = false; say(""); }
  } finally {
    preview.busy = false;
    if (preview.again) { preview.again = false; schedulePreview(); }
  }
}

function showImage(blob, caption) {
  if (resultUrl) URL.revokeObjectURL(resultUrl);
  resultUrl = URL.createObjectURL(blob);
  $("result").src = resultUrl;
  $("download").href = resultUrl;
  $("after-label").textContent = caption;
  $("download").hidden = caption !== "after";
}

async function poll() {
  const response = await fetch(`/api/jobs/${jobId}`);
  if (!response.ok) return finish(await detail(response), true);
  const job = await response.json();
  if (job.total) { $("progress").max = job.total; $("progress").value = job.step; }
  if (job.state === "queued") say("Waiting for the jobs before this one…");
  if (job.state === "running") say(job.total ? `Painting: step ${job.step} of ${job.total}` : "Painting…");
  if (job.state === "done") return showResult(job);
  if (job.state === "error") return finish(job.message, true);
  if (job.state === "cancelled") return finish("Cancelled.");
  setTimeout(() => poll().catch(lost), 400);
}

function lost(err) {
  finish(`Lost the server: ${err}`, true);
}

async function showResult(job) {
  const response = await fetch(`/api/jobs/${job.id}/result`);
  if (!response.ok) return finish(await detail(response), true);
  showImage(await response.blob(), "after");
  finish(`Done in ${job.message}.`);
}

function finish(text, isError = false) {
  jobId = null;
  painting = false;
  preview.seq += 1;  // a preview asked for before or during the painting must not replace its result
  say(text, isError);
  $("go").disabled = false;
  $("cancel").hidden = true;
  $("progress").hidden = true;
}

function paletteSet() { return $("palette").dataset.set === "1"; }

async function submit(event) {
  event.preventDefault();
  if (!$("content-input").files.length) return say("Choose a photo first.", true);
  const info = methods[$("method").value];
  if (info.style && !$("style-input").files.length) return say("This method needs a painting: choose one.", true);
  const form = new FormData($("form"));
  if (!paletteSet()) form.delete("palette");
  if (!info.style) form.delete("style");
  $("go").disabled = true;
  painting = true;
  preview.seq += 1;  // a preview still on its way must not replace the painting
  clearTimeout(preview.timer);
  say("Uploading…");
  const response = await fetch("/api/jobs", { method: "POST", body: form });
  if (!response.ok) return finish(await detail(response), true);
  jobId = (await response.json()).id;
  $("cancel").hidden = false;
  $("progress").hidden = false;
  $("progress").removeAttribute("value");
  await poll();
}

async function init() {
  const response = await fetch("/api/info");
  const info = await response.json();
  methods = info.methods;
  previewSize = info.preview_size || previewSize;
  for (const [name, m] of Object.entries(methods)) $("method").add(new Option(m.label, name));
  $("size").max = info.max_size;
  $("method").addEventListener("change", methodChanged);
  $("strength").addEventListener("input", () => {
    $("strength-value").textContent = $("strength").value;
    schedulePreview();
  });
  $("preserve").addEventListener("change", schedulePreview);
  $("palette").addEventListener("input", () => {
    $("palette").dataset.set = "1";  // until moved, the model's own (the shipped fast: 1) is used: not sent
    $("palette-value").textContent = $("palette").value;
    schedulePreview();
  });
  $("size").addEventListener("input", () => { $("size-value").textContent = $("size").value; });
  $("form").addEventListener("submit", (e) => submit(e).catch(lost));
  $("cancel").addEventListener("click", () => { if (jobId) fetch(`/api/jobs/${jobId}/cancel`, { method: "POST" }); });
  setupDrop("content");
  setupDrop("style");
  methodChanged();
  document.body.dataset.ready = "1";
}

init().catch((err) => say(`Cannot reach the server: ${err}`, true));
