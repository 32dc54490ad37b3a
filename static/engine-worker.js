// The engine's Web Worker: boots Pyodide + numpy + Pillow + digitlab, then
// answers requests by calling digitlab.bridge.call (JSON text in, JSON text out).
/* global loadPyodide, importScripts */
"use strict";

let booting = null;
let call = null;

function progress(stage, fraction) {
  postMessage({ type: "progress", stage, fraction });
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response;
}

async function boot({ base, runtime: wanted }) {
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
  const loaded = JSON.parse(call("load_model", "{}", model));
  if (!loaded.ok) throw new Error(loaded.error.message);

  const info = JSON.parse(call("info", "{}")).result;
  info.runtime = { name, label: runtime.label, reason: build.reason };
  postMessage({ type: "ready", info });
}

function answer({ id, command, payload, bytes }) {
  try {
    const reply = bytes ? call(command, payload, bytes) : call(command, payload);
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
