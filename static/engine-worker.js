// The engine's Web Worker: boots Pyodide + numpy + Pillow + digitlab, then
// answers requests by calling digitlab.bridge.call (JSON text in, JSON text out).
// The page runs two: a predictor, and a trainer started on first use, so a
// long training batch never delays a prediction.
/* global loadPyodide, importScripts */
"use strict";

let booting = null;
let call = null;
let training = false; // whether the trainer pump should keep going
let pumpQueued = false; // at most one pending slice, however pause and resume interleave
const SLICE_SECONDS = 0.25; // training time between two looks at the message queue

function progress(stage, fraction) {
  postMessage({ type: "progress", stage, fraction });
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response;
}

async function boot({ base, runtime: wanted, role }) {
  const build = await (await fetchOk(new URL("runtime.json", base))).json();
  const name = wanted || build.default;
  const runtime = build.runtimes[name];
  if (!runtime) throw new Error(`The runtime "${name}" is not part of this build.`);
  const indexURL = new URL(runtime.indexURL, base).href;

  progress(`Loading the Python runtime (${runtime.label})`, 0.05);
  importScripts(indexURL + "pyodide.js");
  const pyodide = await loadPyodide({ indexURL });

  progress("Loading numpy and Pillow", 0.5);
  await pyodide.loadPackage(runtime.packages);

  progress("Loading digitlab", 0.8);
  const bundle = new Uint8Array(await (await fetchOk(new URL(build.bundle, base))).arrayBuffer());
  const FS = pyodide.FS || pyodide._module.FS; // 0.17 keeps FS on _module
  FS.writeFile("/digitlab.zip", bundle);
  call = pyodide.runPython(
    "import sys\nsys.path.insert(0, '/digitlab.zip')\nfrom digitlab.bridge import call\ncall"
  );

  progress("Loading the model", 0.9);
  const model = new Uint8Array(await (await fetchOk(new URL(build.model, base))).arrayBuffer());
  const loaded = JSON.parse(run("load_model", "{}", model));
  if (!loaded.ok) throw new Error(loaded.error.message);

  if (role === "trainer") {
    progress("Loading the MNIST digits", 0.95);
    const store = new Uint8Array(await (await fetchOk(new URL(build.data, base))).arrayBuffer());
    const data = JSON.parse(run("load_data", "{}", store));
    if (!data.ok) throw new Error(data.error.message);
  }

  const info = JSON.parse(run("info", "{}")).result;
  info.runtime = { name, label: runtime.label, reason: build.reason };
  postMessage({ type: "ready", info });
}

function run(command, payload, bytes) {
  return bytes ? call(command, payload, bytes) : call(command, payload);
}

function refusal(type, message) {
  return JSON.stringify({ ok: false, error: { type, message } });
}

/** An uploaded image: Python vets its header, the browser decodes it, Python reads the digits. */
async function recogniseImage(bytes) {
  const header = JSON.parse(run("inspect_image", "{}", bytes));
  if (!header.ok) return JSON.stringify(header);
  const size = header.result;
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), {
      resizeWidth: size.decode_width, resizeHeight: size.decode_height, resizeQuality: "high",
    });
  } catch (err) {
    return refusal("BadImageError", "The image file is damaged or truncated and cannot be decoded.");
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height);
  const payload = { width: bitmap.width, height: bitmap.height, source_width: size.width, source_height: size.height };
  bitmap.close();
  return run("predict_pixels", JSON.stringify(payload), new Uint8Array(pixels.data.buffer));
}

/** Queue the next slice after the messages already waiting (pause, cancel, predictions). */
function schedulePump() {
  if (pumpQueued) return;
  pumpQueued = true;
  setTimeout(pump, 0);
}

/** One slice of training, then yield. */
function pump() {
  pumpQueued = false;
  if (!training) return;
  const reply = run("train_step", JSON.stringify({ seconds: SLICE_SECONDS }));
  const step = JSON.parse(reply);
  training = step.ok && !step.result.done;
  postMessage({ type: "training", reply });
  if (training) schedulePump();
}

const ok = JSON.stringify({ ok: true, result: {} });

// Commands the worker handles around Python: the image decode and the training pump.
const special = {
  recognise_image: (payload, bytes) => recogniseImage(bytes),
  train_start: (payload) => {
    const reply = run("train_start", payload);
    training = JSON.parse(reply).ok;
    schedulePump();
    return reply;
  },
  train_pause: () => {
    training = false;
    return ok;
  },
  train_resume: () => {
    training = true;
    schedulePump();
    return ok;
  },
  train_cancel: () => {
    training = false;
    return run("train_cancel", "{}");
  },
};

async function answer({ id, command, payload, bytes }) {
  try {
    const reply = special[command] ? await special[command](payload, bytes) : run(command, payload, bytes);
    postMessage({ type: "reply", id, reply });
  } catch (err) {
    // A Python exception that is not a user error is a bug: say so loudly.
    console.error(err);
    const error = { type: "InternalError", message: String((err && err.message) || err) };
    postMessage({ type: "reply", id, reply: JSON.stringify({ ok: false, error }) });
  }
}

onmessage = async (event) => {
  const message = event.data;
  if (message.type === "init") {
    booting = boot(message).catch((err) => {
      postMessage({ type: "failed", message: String((err && err.message) || err) });
      throw err;
    });
    return;
  }
  try {
    await booting;
  } catch (err) {
    return; // the page was told when boot failed
  }
  answer(message);
};
