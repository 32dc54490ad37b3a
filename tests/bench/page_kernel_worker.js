// The worker side of page_kernel.js: NumPy, the page's kernel and its own kernel on the same products.
/* global loadPyodide, MatmulKernel */
"use strict";

importScripts("../static/engine/matmul-kernel.js", "../vendor/pyodide-0.17.1/pyodide.js");

let answer = null; // resolves the product the page is computing

onmessage = async ({ data }) => {
  if (data.type === "product") return answer(data.out);
  try {
    postMessage({ type: "done", rows: await run(data) });
  } catch (err) {
    postMessage({ type: "failed", message: String(err.message || err) });
  }
};

const NUMPY_BEST_MS = `
import time
import numpy as np

def numpy_best_ms(m, k, n, repeats):
    a = np.random.rand(m, k).astype(np.float32)
    b = np.random.rand(k, n).astype(np.float32)
    np.matmul(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b)
        best = min(best, (time.perf_counter() - start) * 1000.0)
    return best
`;

async function run({ shapes, repeats, pageKernel }) {
  const pyodide = await loadPyodide({ indexURL: "../vendor/pyodide-0.17.1/" });
  await pyodide.loadPackage(["numpy"]);
  pyodide.runPython(NUMPY_BEST_MS);
  const numpyBestMs = pyodide.globals.get("numpy_best_ms");
  let own = null;
  try {
    own = new MatmulKernel();
  } catch (err) {
    own = null; // no WebGL2 in a worker here: the case the page's context is for
  }
  const rows = [];
  for (const [m, k, n] of shapes) {
    const a = random(m * k);
    const b = random(k * n);
    const row = { shape: [m, k, n], numpy_ms: numpyBestMs(m, k, n, repeats) };
    if (pageKernel) {
      const out = await throughPage(a, b, m, k, n); // the first run of a shape makes its textures
      row.page_error = relativeError(out, a, b, m, k, n);
      row.page_ms = await best(repeats, () => throughPage(a, b, m, k, n));
    }
    if (own) {
      const out = new Float32Array(m * n);
      own.matmul(a, b, out, m, k, n, false, false);
      row.worker_ms = await best(repeats, async () => own.matmul(a, b, out, m, k, n, false, false));
    }
    rows.push(row);
  }
  return rows;
}

/** The page computes a·b: the operands are copied out (as they would be from WebAssembly memory) and posted. */
function throughPage(a, b, m, k, n) {
  const [copyA, copyB] = [a.slice(), b.slice()];
  const result = new Promise((resolve) => (answer = resolve));
  postMessage({ type: "product", a: copyA, b: copyB, m, k, n }, [copyA.buffer, copyB.buffer]);
  return result;
}

async function best(repeats, fn) {
  let fastest = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

function random(size) {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = Math.random() - 0.5;
  return values;
}

/** Largest relative error over a few entries of C, against a float64 sum here. */
function relativeError(out, a, b, m, k, n) {
  let worst = 0;
  for (const [i, j] of [[0, 0], [m - 1, n - 1], [m >> 1, n >> 1]]) {
    let want = 0;
    for (let p = 0; p < k; p++) want += a[i * k + p] * b[p * n + j];
    worst = Math.max(worst, Math.abs(out[i * n + j] - want) / Math.max(1e-6, Math.abs(want)));
  }
  return worst;
}
