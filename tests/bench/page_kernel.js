// Benchmark page (not the app): where a browser gives workers no WebGL2 (WebKitGTK), could the
// trainer worker hand its products to the page's own WebGL2 context? This page lends its context
// (an HTML canvas) to a worker that times, per training product: NumPy in Pyodide, the round trip
// through the page (operands copied out and posted, computed here, posted back), and the kernel in
// the worker itself where the browser allows it. bench_page_kernel.py reads runBench's rows.
"use strict";
/* global MatmulKernel */

// -> {rows: [{shape, numpy_ms, page_ms, worker_ms, page_error}], pageKernel: reason or null}
async function runBench(shapes, repeats) {
  let kernel = null;
  let reason = null;
  try {
    kernel = new MatmulKernel(document.createElement("canvas"));
  } catch (err) {
    reason = err.message;
  }
  const worker = new Worker("page_kernel_worker.js");
  const rows = new Promise((resolve, reject) => {
    worker.onerror = (event) => reject(new Error(event.message));
    worker.onmessage = ({ data }) => {
      if (data.type === "done") resolve(data.rows);
      if (data.type === "failed") reject(new Error(data.message));
      if (data.type !== "product") return;
      const { a, b, m, k, n } = data;
      const out = new Float32Array(m * n);
      kernel.matmul(a, b, out, m, k, n, false, false);
      worker.postMessage({ type: "product", out }, [out.buffer]);
    };
  });
  worker.postMessage({ type: "run", shapes, repeats, pageKernel: kernel !== null });
  const found = { rows: await rows, pageKernel: reason };
  worker.terminate();
  return found;
}
