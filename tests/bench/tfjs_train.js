// Trains the TensorFlow.js codelab CNN or our default CNN on the digits bench_tfjs.py wrote
// as raw uint8 files, and reports how long each epoch's model.fit took and, after each epoch,
// outside that time, the accuracy on the test digits.
/* global tf */
"use strict";

const SIDE = 28;
const CLASSES = 10;

async function fetchBytes(name) {
  const response = await fetch(name);
  if (!response.ok) throw new Error(`${name} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** {xs: [N,28,28,1] float32 in [0,1], ys: one-hot [N,10]}, as the codelab feeds them. */
async function loadSet(name) {
  const [pixels, labels] = await Promise.all([
    fetchBytes(`mnist-${name}-images.u8`), fetchBytes(`mnist-${name}-labels.u8`)]);
  const n = labels.length;
  if (pixels.length !== n * SIDE * SIDE) throw new Error(`${name}: ${pixels.length} pixels for ${n} labels`);
  const xs = tf.tensor4d(Float32Array.from(pixels, (p) => p / 255), [n, SIDE, SIDE, 1]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels), "int32"), CLASSES).toFloat());
  // Reading a sum forces the upload to the GPU now rather than inside the first timed batch.
  const probe = tf.sum(xs);
  await probe.data();
  probe.dispose();
  return { xs, ys, n };
}

/** The TF.js codelab's CNN, layer for layer (our "codelab"). */
function codelabLayers() {
  return [
    tf.layers.conv2d({
      inputShape: [SIDE, SIDE, 1], kernelSize: 5, filters: 8, strides: 1,
      activation: "relu", kernelInitializer: "varianceScaling",
    }),
    tf.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }),
    tf.layers.conv2d({
      kernelSize: 5, filters: 16, strides: 1, activation: "relu", kernelInitializer: "varianceScaling",
    }),
    tf.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }),
    tf.layers.flatten(),
    tf.layers.dense({ units: CLASSES, kernelInitializer: "varianceScaling", activation: "softmax" }),
  ];
}

/**
 * Our default CNN ("cnn" in py/digitlab/nn/zoo.py), layer for layer: pooling before ReLU as
 * there. Ours initialises with He normal (Glorot uniform for the last layer) and adds L2 1e-4
 * to the weights' gradients; this copy keeps TF.js's default Glorot uniform and has no L2.
 */
function cnnLayers() {
  return [
    tf.layers.conv2d({ inputShape: [SIDE, SIDE, 1], kernelSize: 3, filters: 16, padding: "same" }),
    tf.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }),
    tf.layers.reLU(),
    tf.layers.conv2d({ kernelSize: 3, filters: 32, padding: "same" }),
    tf.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }),
    tf.layers.reLU(),
    tf.layers.flatten(),
    tf.layers.dense({ units: 256, activation: "relu" }),
    tf.layers.dropout({ rate: 0.3 }),
    tf.layers.dense({ units: CLASSES, activation: "softmax" }),
  ];
}

const MODELS = { codelab: codelabLayers, cnn: cnnLayers };

/** The named model, compiled; the optimiser is Adam as in our engine (eps 1e-8). */
function buildModel(name, lr) {
  if (!MODELS[name]) throw new Error(`unknown model "${name}"`);
  const model = tf.sequential({ layers: MODELS[name]() });
  model.compile({
    optimizer: tf.train.adam(lr, 0.9, 0.999, 1e-8), loss: "categoricalCrossentropy", metrics: ["accuracy"],
  });
  return model;
}

/** One shuffled batch of `batchSize` from the full set, then stop: compiles that batch shape's programs. */
async function fitOneBatch(model, set, batchSize) {
  await model.fit(set.xs, set.ys, {
    batchSize, epochs: 1, shuffle: true,
    callbacks: { onBatchEnd: async () => { model.stopTraining = true; } },
  });
}

/**
 * Warm-up on a throw-away model: one batch at the full batch size and one at the epoch's
 * last, shorter size, so the timed epochs compile no WebGL programs. Returns seconds.
 */
async function warmUp(name, set, batchSize, lr) {
  const started = performance.now();
  const model = buildModel(name, lr);
  await fitOneBatch(model, set, batchSize);
  if (set.n % batchSize) await fitOneBatch(model, set, set.n % batchSize);
  model.dispose();
  return (performance.now() - started) / 1000;
}

/** The first `count` examples (the CPU backend's shortened epoch). */
function firstExamples(set, count) {
  if (count >= set.n) return set;
  return { xs: set.xs.slice(0, count), ys: set.ys.slice(0, count), n: count };
}

/**
 * model.fit with no validation data; each epoch timed from onEpochBegin to onEpochEnd, then
 * (untimed, when `test` is given) scored on the test digits.
 */
async function timedFit(model, set, epochs, batchSize, test) {
  const log = [];
  let begun = 0;
  await model.fit(set.xs, set.ys, {
    batchSize, epochs, shuffle: true,
    callbacks: {
      onEpochBegin: async () => { begun = performance.now(); },
      // The logs arrive read back from the backend, so every batch of the epoch has run.
      onEpochEnd: async (epoch, logs) => {
        const seconds = (performance.now() - begun) / 1000;
        const scores = test ? await evaluate(model, test, batchSize) : null;
        log.push({ epoch, seconds, images: set.n, images_per_second: set.n / seconds,
                   loss: logs.loss, accuracy: logs.acc, val_accuracy: scores && scores.accuracy });
      },
    },
  });
  return log;
}

async function evaluate(model, set, batchSize) {
  const [loss, accuracy] = model.evaluate(set.xs, set.ys, { batchSize });
  return { loss: (await loss.data())[0], accuracy: (await accuracy.data())[0] };
}

/** The WebGL context TF.js runs on (or, if it fell back, a fresh one): renderer and version. */
function webglInfo() {
  let gl = tf.getBackend() === "webgl" ? tf.backend().gpgpu.gl : null;
  if (!gl) gl = document.createElement("canvas").getContext("webgl2") || document.createElement("canvas").getContext("webgl");
  if (!gl) return { renderer: "no WebGL context" };
  const debug = gl.getExtension("WEBGL_debug_renderer_info");
  return {
    renderer: gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER),
    version: gl.getParameter(gl.VERSION),
    tfWebglVersion: tf.getBackend() === "webgl" ? tf.env().getNumber("WEBGL_VERSION") : null,
  };
}

/**
 * Train and time. trainImages < 8000 times the epochs on that many images only (for a slow
 * backend); accuracy is then not measured, as the model saw fewer digits.
 */
async function run({
  backend, model: name = "codelab", epochs = 1, batchSize = 512, lr = 0.001, trainImages = null,
}) {
  const switched = await tf.setBackend(backend);
  await tf.ready();
  const started = performance.now();
  const train = await loadSet("train");
  const test = await loadSet("test");
  const loadSeconds = (performance.now() - started) / 1000;
  const timedSet = firstExamples(train, trainImages || train.n);
  const warmupSeconds = await warmUp(name, timedSet, batchSize, lr);
  const model = buildModel(name, lr);
  const full = timedSet.n === train.n; // a shortened epoch is timed, not scored
  const epochLog = await timedFit(model, timedSet, epochs, batchSize, full ? test : null);
  const test_scores = full ? await evaluate(model, test, batchSize) : null;
  return {
    requested: backend, switched, backend: tf.getBackend(), tfjs: tf.version.tfjs,
    webgl: backend === "webgl" ? webglInfo() : null,
    train_images: train.n, timed_images: timedSet.n, load_seconds: loadSeconds,
    warmup_seconds: warmupSeconds, epochs: epochLog, test: test_scores,
  };
}

window.benchTfjs = { run };
