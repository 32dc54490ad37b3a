// Times one n×n float32 product per size: NumPy and our WebGL kernel in a trainer engine
// worker (its own commands), then TensorFlow.js tf.matMul on its WebGL backend, here.
/* global tf */
import { EngineClient } from "../static/page/engine-client.js";

const BIG = 1024; // from this size on, one timed run (after the warm-up) per figure: NumPy takes seconds

const repeatsFor = (size, repeats) => (size >= BIG ? 1 : repeats);

async function ask(engine, command, payload) {
  const reply = JSON.parse(await engine.request(command, JSON.stringify(payload)));
  if (!reply.ok) throw new Error(`${command}: ${reply.error.message}`);
  return reply.result;
}

/** Best milliseconds of `repeats` runs of the async fn, after one untimed warm-up. */
async function bestMs(fn, repeats) {
  await fn();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/** {size: {numpy_ms, kernel_ms, compute_ms}} from a trainer worker, and its kernel's status. */
async function timeEngine(sizes, repeats, numpyUpTo) {
  const engine = new EngineClient({ runtime: "registry-only", role: "trainer" });
  const ready = JSON.parse(await engine.ready);
  if (!ready.ok) throw new Error(ready.error.message);
  const matmul = ready.result.matmul;
  if (!matmul.active) throw new Error(`The WebGL kernel is not in use: ${matmul.reason}`);
  const rows = {};
  for (const size of sizes) {
    const times = { size, repeats: repeatsFor(size, repeats) };
    const race = size <= numpyUpTo ? await ask(engine, "kernel_race", times) : {};
    const compute = await ask(engine, "kernel_compute_ms", times);
    rows[size] = { numpy_ms: race.numpy_ms ?? null, kernel_ms: race.kernel_ms ?? null, compute_ms: compute.ms };
  }
  engine.worker.terminate();
  return { rows, matmul };
}

/**
 * {size: {tfjs_ms, tfjs_compute_ms}}: tf.matMul with operands already on the GPU, ending with the
 * download of the product (await c.data()), or with a read of its first value instead.
 */
async function timeTfjs(sizes, repeats) {
  const rows = {};
  for (const size of sizes) {
    const a = tf.randomNormal([size, size], 0, 1, "float32");
    const b = tf.randomNormal([size, size], 0, 1, "float32");
    const product = (read) => async () => {
      const c = tf.matMul(a, b);
      const sync = read(c);
      await sync.data();
      tf.dispose([c, sync]);
    };
    const times = repeatsFor(size, repeats);
    rows[size] = { tfjs_ms: await bestMs(product((c) => c), times),
                   tfjs_compute_ms: await bestMs(product((c) => c.slice([0, 0], [1, 1])), times) };
    tf.dispose([a, b]);
  }
  return rows;
}

async function run({ sizes = [64, 128, 256, 512, 1024, 2048], repeats = 3, numpyUpTo = 1024 } = {}) {
  const started = performance.now();
  const engine = await timeEngine(sizes, repeats, numpyUpTo);
  const engineSeconds = (performance.now() - started) / 1000;
  await tf.setBackend("webgl");
  await tf.ready();
  const tfjs = await timeTfjs(sizes, repeats);
  const { matmul } = engine;
  return {
    rows: sizes.map((size) => ({ size, ...engine.rows[size], ...tfjs[size] })),
    renderer: matmul.renderer, crossover: matmul.crossover, calibration: matmul.calibration,
    backend: tf.getBackend(), tfjs: tf.version.tfjs, tensors_left: tf.memory().numTensors,
    engine_seconds: engineSeconds, seconds: (performance.now() - started) / 1000,
  };
}

window.benchMatmul = { run };
