// brushwork page: upload, submit a job, poll its progress, show the result. No framework, no build step.
"use strict";
const $ = (id) => document.getElementById(id);
let methods = {};
let jobId = null;
let resultUrl = null;

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
  if (resultUrl) URL.revokeObjectURL(resultUrl);
  resultUrl = URL.createObjectURL(await response.blob());
  $("result").src = resultUrl;
  $("download").href = resultUrl;
  $("download").hidden = false;
  finish(`Done in ${job.message}.`);
}

function finish(text, isError = false) {
  jobId = null;
  say(text, isError);
  $("go").disabled = false;
  $("cancel").hidden = true;
  $("progress").hidden = true;
}

async function submit(event) {
  event.preventDefault();
  if (!$("content-input").files.length) return say("Choose a photo first.", true);
  const info = methods[$("method").value];
  if (info.style && !$("style-input").files.length) return say("This method needs a painting: choose one.", true);
  const form = new FormData($("form"));
  if (!info.style) form.delete("style");
  $("go").disabled = true;
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
  for (const [name, m] of Object.entries(methods)) $("method").add(new Option(m.label, name));
  $("size").max = info.max_size;
  $("method").addEventListener("change", methodChanged);
  $("strength").addEventListener("input", () => { $("strength-value").textContent = $("strength").value; });
  $("size").addEventListener("input", () => { $("size-value").textContent = $("size").value; });
  $("form").addEventListener("submit", (e) => submit(e).catch(lost));
  $("cancel").addEventListener("click", () => { if (jobId) fetch(`/api/jobs/${jobId}/cancel`, { method: "POST" }); });
  setupDrop("content");
  setupDrop("style");
  methodChanged();
  document.body.dataset.ready = "1";
}

init().catch((err) => say(`Cannot reach the server: ${err}`, true));
