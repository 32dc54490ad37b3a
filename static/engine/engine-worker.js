// The engine's Web Worker: boots Pyodide + numpy + Pillow + digitlab, then
// answers requests by calling digitlab.bridge.call (JSON text in, JSON text out).
// The page runs two: a predictor, and a trainer started on first use, so a
// long training batch never delays a prediction. The trainer also hands its
// matrix products to the WebGL kernel (matmul-kernel.js) where that pays.
/* global loadPyodide, importScripts, MatmulKernel, probeWebGL, Reply, APP_FOLDER, IMPORT_BRIDGE, writeTar, writeBeforePythonStarts */
"use strict";

importScripts("../reply.js", "matmul-kernel.js", "python-files.js");

let booting = null;
let call = null;
let runtimeModule = null; // the runtime's Emscripten module: its heap's size, for the memory benchmark
let gpu = null; // the trainer's MatmulKernel, when it has one
let mnistURL = null; // the trainer's data set at boot, to go back to after a folder
let fault = null; // a command the browser tests make fail once (?fault=train_step), never set otherwise
let training = false; // whether the trainer pump should keep going
let pumpQueued = false; // at most one pending slice, however pause and resume interleave
const SLICE_SECONDS = 0.25; // training time between two looks at the message queue
const REDUCES_JPEG = typeof ImageDecoder === "function"; // a JPEG decodes straight to a reduced size (Chromium)
const bootStages = []; // [stage, epoch ms it began]: the boot benchmark's figures, in `info`

const now = () => performance.timeOrigin + performance.now(); // comparable across the page and its workers

function progress(stage, fraction) {
  bootStages.push([stage, now()]);
  postMessage({ type: "progress", stage, fraction });
}

/**
 * The bytes the worker downloads are said as they come (`{type: "downloaded", bytes}`, the total so
 * far): the client takes a boot that says nothing for a minute for a stalled one, and a slow
 * network's downloads are no stall. Counted: fetch's bodies (our files and the runtime's
 * WebAssembly), each read from a copy so the response itself stays the browser's (Chromium keeps
 * the WebAssembly compiled for the next visit only for its own responses), and the runtime's
 * package files, which it reads by XMLHttpRequest, through the status it reports. Not counted:
 * the runtime's scripts (importScripts) and its own package file, which downloads beside its
 * WebAssembly.
 */
let downloaded = 0;
function received(bytes) {
  downloaded += bytes;
  postMessage({ type: "downloaded", bytes: downloaded });
}

const fetchUncounted = self.fetch.bind(self);
self.fetch = async (...request) => {
  const response = await fetchUncounted(...request);
  if (response.body) count(response.clone().body.getReader());
  return response;
};

async function count(reader) {
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received(chunk.value.byteLength);
  } catch (err) {
    // a download cut short: whoever reads the response itself is told
  }
}

/** Count the package files `module` (the runtime's Emscripten module) downloads from now on. */
function countPackageDownloads(module) {
  const earlier = Object.values(module.dataFileDownloads || {}); // the runtime's own files, downloaded
  let counted = earlier.reduce((sum, file) => sum + file.loaded, 0);
  module.setStatus = (text) => {
    const loaded = /^Downloading data\.\.\. \((\d+)\//.exec(text);
    if (!loaded) return;
    received(Number(loaded[1]) - counted);
    counted = Number(loaded[1]);
  };
}

const fileName = (url) => new URL(url).pathname.split("/").pop();

async function fetchOk(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`${fileName(url)} could not be fetched: the server does not answer.`);
  }
  if (!response.ok) throw new Error(`${fileName(url)} could not be fetched: the server answered ${response.status}.`);
  return response;
}

async function fetchBytes(url) {
  return new Uint8Array(await (await fetchOk(url)).arrayBuffer());
}

/** A download started before it is awaited: a failure is the await's, not an unhandled rejection. */
function early(promise) {
  promise.catch(() => null);
  return promise;
}

async function boot({ base, runtime: wanted, role, kernel: kernelWanted, fault: injected, pageWebGL2, attempt }) {
  progress("Starting the engine", 0.01);
  fault = injected;
  const build = await (await fetchOk(new URL("runtime.json", base))).json();
  const name = wanted || build.default;
  const runtime = build.runtimes[name];
  if (!runtime) throw new Error(`The runtime "${name}" is not part of this build.`);
  const indexURL = new URL(runtime.indexURL, base).href;
  // Our files download while the runtime loads; each is awaited where it is needed.
  const bundle = early(fetchBytes(new URL(build.bundle, base)));
  const bytecode = runtime.bytecode ? early(fetchBytes(new URL(runtime.bytecode, base))) : null;
  const model = early(fetchBytes(new URL(build.model, base)));
  mnistURL = new URL(build.data, base);
  const mnist = role === "trainer" ? early(fetchBytes(mnistURL)) : null;
  const features = role === "trainer" ? early(fetchBytes(new URL(build.features, base))) : null;

  progress(`Loading the Python runtime (${runtime.label})`, 0.05);
  // The runtime's modules compiled at build time (pyodide-bytecode.js), beside their sources
  // before Python starts: it then skips compiling them on every visit.
  const bytecodeWritten = bytecode ? writeBeforePythonStarts(bytecode) : null;
  importScripts(indexURL + "pyodide.js");
  const pyodide = await loadPyodide({ indexURL });
  await bytecodeWritten;
  runtimeModule = pyodide._module || pyodide;

  progress("Loading numpy and Pillow", 0.5);
  if (injected === "boot_stall" && attempt === 1) await new Promise(() => {}); // the browser test of a boot that stalls
  countPackageDownloads(runtimeModule);
  await pyodide.loadPackage(runtime.packages);

  progress("Loading digitlab", 0.6);
  const FS = pyodide.FS || pyodide._module.FS; // 0.17 keeps FS on _module
  writeTar(FS, await bundle, APP_FOLDER);

  progress("Importing numpy", 0.65); // timed apart: the boot benchmark's stages
  pyodide.runPython("import numpy");
  progress("Importing Pillow", 0.75);
  pyodide.runPython("import PIL.Image");
  progress("Importing digitlab", 0.8);
  const bridge = pyodide.runPython(IMPORT_BRIDGE);
  call = bridge.call;

  progress("Loading the model", 0.9);
  const loaded = JSON.parse(run("load_model", "{}", await model));
  if (!loaded.ok) throw new Error(loaded.error.message);

  if (role === "trainer") {
    progress("Loading the feature network and the MNIST digits", 0.95);
    for (const [command, bytes] of [["load_base", features], ["load_data", mnist]]) {
      const reply = JSON.parse(run(command, "{}", await bytes));
      if (!reply.ok) throw new Error(reply.error.message);
    }
  }

  progress(role === "trainer" ? "Checking and timing the WebGL kernel" : "Probing WebGL", 0.97);
  const device = probeWebGL(pageWebGL2);
  bridge.use_webgl(setUpKernel(device, role, kernelWanted), JSON.stringify(device));
  const info = JSON.parse(run("info", "{}")).result;
  info.runtime = { label: runtime.label };
  info.boot_stages = bootStages.concat([["ready", now()]]);
  postMessage({ type: "ready", info });
}

/**
 * The trainer's WebGL kernel, wrapped for Python (null, with device.reason, when there is none).
 * Python passes NumPy arrays; their buffers are views of WebAssembly memory, read and
 * written in place.
 */
function setUpKernel(device, role, wanted) {
  if (role !== "trainer") {
    device.reason = device.reason || "Predictions stay in NumPy: one image makes products too small for the GPU.";
  } else if (wanted === "off") {
    device.reason = "The WebGL kernel is switched off (?kernel=off).";
  } else if (!device.reason) {
    device.kernelAlways = wanted === "on"; // no races against NumPy: every product to the kernel
    try {
      gpu = new MatmulKernel();
    } catch (err) {
      device.reason = err.message;
    }
  }
  if (!gpu) return null;
  return {
    matmul(a, b, out, m, k, n, transA, transB) {
      const views = [a, b, out].map((array) => array.getBuffer("f32"));
      try {
        return gpu.matmul(views[0].data, views[1].data, views[2].data, m, k, n, transA, transB);
      } finally {
        views.forEach((view) => view.release());
      }
    },
  };
}

/** Fail `command` if it is the injected fault, once: the browser tests' faults. */
function inject(command) {
  if (fault !== command) return;
  fault = null;
  throw new Error(`Injected fault: ${command} failed.`);
}

function run(command, payload, bytes) {
  return bytes ? call(command, payload, bytes) : call(command, payload);
}

/**
 * The reply to a request that failed outside a user error (a bug, an exhausted memory): said in words,
 * the error's own line (a Python traceback ends with it), the whole of it on the console.
 */
function failure(err) {
  console.error(err);
  const lines = String((err && err.message) || err).trim().split("\n");
  return Reply.refused("InternalError", lines[lines.length - 1]);
}

/** An uploaded image: Python vets its header, the browser decodes it, Python reads the digits. */
async function readPicture(bytes) {
  const decoded = await decodeImage(bytes);
  if (decoded.refusal) return decoded.refusal;
  return run("predict_pixels", JSON.stringify(decoded.size), decoded.pixels);
}

/**
 * Image file bytes -> {size, pixels}: RGBA at the reduced size Python asks for after vetting the
 * header (a decompression bomb never gets decoded), or {refusal} with the reason as a reply.
 */
async function decodeImage(bytes) {
  const header = JSON.parse(run("inspect_image", JSON.stringify({ reduces_jpeg: REDUCES_JPEG }), bytes));
  if (!header.ok) return { refusal: JSON.stringify(header), reason: header.error.message };
  const size = header.result;
  const width = size.decode_width, height = size.decode_height;
  let picture;
  try {
    picture = await decodeAt(bytes, width, height, size.fully_decodable);
  } catch (err) {
    const reason = size.undecodable; // damaged, or a format this browser lacks: Python read which from the header
    return { refusal: Reply.refused("BadImageError", reason), reason };
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true }); // a CPU canvas: read back at once
  context.imageSmoothingQuality = "high";
  try {
    context.drawImage(picture, 0, 0, width, height); // turned as its EXIF orientation says
  } finally {
    picture.close();
  }
  const pixels = context.getImageData(0, 0, width, height);
  const decoded = { width, height, source_width: size.width, source_height: size.height };
  return { size: decoded, pixels: new Uint8Array(pixels.data.buffer) };
}

/**
 * The picture in `bytes` decoded at about width x height: a VideoFrame or an ImageBitmap. A JPEG
 * goes to ImageDecoder first where the browser has one (Chromium): it decodes straight at a
 * fraction of the stored size, where createImageBitmap decodes every pixel and then reduces them
 * (a 12 MP photo: 16 against 93 ms). Whatever ImageDecoder cannot read, createImageBitmap tries,
 * unless it is too large to decode pixel for pixel (`fullyDecodable`, Python's word: only a JPEG that
 * ImageDecoder was to reduce can be). The signature only picks the decoder: Python vetted the header.
 */
async function decodeAt(bytes, width, height, fullyDecodable) {
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (jpeg && REDUCES_JPEG) {
    try {
      return await decodeScaled(bytes, width, height);
    } catch (err) {
      if (!fullyDecodable) throw err; // too large for the full decode below
      // a JPEG it does not take: the full decode below says whether the file is damaged
    }
  }
  return createImageBitmap(new Blob([bytes]), { resizeWidth: width, resizeHeight: height, resizeQuality: "high" });
}

async function decodeScaled(bytes, width, height) {
  const decoder = new ImageDecoder({ data: bytes, type: "image/jpeg", desiredWidth: width, desiredHeight: height });
  try {
    return (await decoder.decode()).image;
  } finally {
    decoder.close();
  }
}

/**
 * A folder given to the page: payload {paths, sizes, role} lists its files, whose bytes follow one
 * another in `bytes`; role "val" makes it the validation folder. One .zip file stands for the folder
 * it holds. Python plans which files are images of which label; each is decoded here.
 */
async function loadFolder(payload, bytes) {
  let { paths, sizes, role } = JSON.parse(payload);
  if (paths.length === 1 && /\.zip$/i.test(paths[0])) { // a folder in a zip: Python opens it, within limits
    const opened = JSON.parse(run("unzip", "{}", bytes));
    if (!opened.ok) return JSON.stringify(opened);
    ({ paths, sizes } = opened.result);
    bytes = Reply.bytes(opened.result.base64);
  }
  const plan = JSON.parse(run("folder_start", JSON.stringify({ paths })));
  if (!plan.ok) return JSON.stringify(plan);
  const offsets = [0];
  for (const size of sizes) offsets.push(offsets[offsets.length - 1] + size);
  const images = plan.result.images;
  for (const [done, { index }] of images.entries()) {
    progress(`Reading the folder: image ${done + 1} of ${images.length}`, done / images.length);
    const decoded = await decodeImage(bytes.slice(offsets[index], offsets[index + 1]));
    const reply = decoded.refusal
      ? run("folder_skip", JSON.stringify({ index, reason: decoded.reason }))
      : run("folder_image", JSON.stringify({ index, ...decoded.size }), decoded.pixels);
    if (!JSON.parse(reply).ok) return reply;
  }
  return run("folder_done", JSON.stringify({ role }));
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
  let reply;
  try {
    inject("train_step");
    reply = run("train_step", JSON.stringify({ seconds: SLICE_SECONDS }));
  } catch (err) {
    reply = failure(err); // the page hears of it and frees its buttons
  }
  const step = JSON.parse(reply);
  training = step.ok && !step.result.done;
  postMessage({ type: "training", reply });
  if (training) schedulePump();
}

// Commands the worker handles around Python: the image decode and the training pump.
const NO_KERNEL = "This engine has no WebGL kernel.";
const special = {
  read_picture: (payload, bytes) => readPicture(bytes),
  load_folder: (payload, bytes) => loadFolder(payload, bytes || new Uint8Array(0)),
  use_mnist: async () => run("load_data", "{}", await fetchBytes(mnistURL)),
  train_start: (payload) => {
    const reply = run("train_start", payload);
    training = JSON.parse(reply).ok;
    schedulePump();
    return reply;
  },
  train_pause: () => {
    training = false;
    return Reply.ok();
  },
  train_resume: () => {
    training = true;
    schedulePump();
    return Reply.ok();
  },
  train_cancel: () => {
    training = false;
    return run("train_cancel", "{}");
  },
  // As a GPU reset would: the next product finds the context gone.
  lose_webgl_context: () => {
    if (!gpu) return Reply.refused("KernelError", NO_KERNEL);
    gpu.loseContext();
    return Reply.ok();
  },
  // Tests: the kernel's texture cache; payload {max_bytes} sets its budget.
  kernel_cache: (payload) => {
    if (!gpu) return Reply.refused("KernelError", NO_KERNEL);
    const budget = JSON.parse(payload).max_bytes;
    if (budget) gpu.maxCachedBytes = budget;
    return Reply.ok({ bytes: gpu.cachedBytes, textures: gpu.targets.size, evicted: gpu.evicted,
      max_bytes: gpu.maxCachedBytes });
  },
  // Benchmarks: the bytes of this worker's WebAssembly memory (it only grows).
  wasm_memory: () => Reply.ok({ bytes: runtimeModule.HEAP8.buffer.byteLength }),
  // Benchmarks: the product pass alone, operands already on the GPU.
  kernel_compute_ms: (payload) => {
    if (!gpu || gpu.lost) return Reply.refused("KernelError", "This engine has no working WebGL kernel.");
    const { size, repeats } = JSON.parse(payload);
    return Reply.ok({ size, ms: gpu.computeMs(size, repeats || 3) });
  },
};

async function answer({ id, command, payload, bytes }) {
  let reply;
  try {
    inject(command);
    reply = special[command] ? await special[command](payload, bytes) : run(command, payload, bytes);
  } catch (err) {
    reply = failure(err); // a Python exception that is not a user error is a bug: said loudly
  }
  postMessage({ type: "reply", id, reply });
}

onmessage = async (event) => {
  const message = event.data;
  if (message.type === "init") {
    booting = boot(message).then(() => true, (err) => {
      postMessage({ type: "failed", message: String((err && err.message) || err) });
      return false;
    });
    return;
  }
  if (await booting) answer(message); // after a failed boot the client ends this worker and answers for it
};
