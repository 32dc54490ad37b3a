// The page's handle on the engine worker: requests with an id, progress events,
// and replies that are always JSON text {"ok": true, "result"} or {"ok": false, "error"}.
"use strict";

export class EngineClient {
  /**
   * role: "predictor" answers the page; "trainer" also loads the data set and trains.
   * kernel: "off" keeps the trainer's products in NumPy (no WebGL kernel).
   */
  constructor({ runtime = null, role = "predictor", kernel = null } = {}) {
    this.pending = new Map();
    this.nextId = 1;
    this.progress = { stage: "Starting the engine", fraction: 0 };
    this.listeners = [];
    this.trainingListeners = [];
    this.timing = { created: performance.now(), ready: null };
    this.worker = new Worker(new URL("./engine-worker.js", import.meta.url));
    this.ready = new Promise((resolve) => {
      this.worker.onmessage = (event) => this.dispatch(event.data, resolve);
      this.worker.onerror = (event) =>
        resolve(this.fail(`The engine stopped: ${event.message || "unknown error"}`));
    });
    this.worker.postMessage({ type: "init", base: document.baseURI, runtime, role, kernel });
  }

  /** Call fn(stage, fraction) on every boot stage, starting with the latest one. */
  onProgress(fn) {
    this.listeners.push(fn);
    fn(this.progress.stage, this.progress.fraction);
  }

  /** Call fn(replyJSON) for every slice of training the worker reports. */
  onTraining(fn) {
    this.trainingListeners.push(fn);
  }

  /** Run an engine command; resolves to the reply's JSON text. Bytes are transferred. */
  request(command, payloadJSON = "{}", bytes = null) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const transfer = bytes ? [bytes.buffer] : [];
      this.worker.postMessage({ id, command, payload: payloadJSON, bytes }, transfer);
    });
  }

  dispatch(message, resolveReady) {
    if (message.type === "progress") {
      this.progress = message;
      for (const fn of this.listeners) fn(message.stage, message.fraction);
    } else if (message.type === "ready") {
      this.timing.ready = performance.now();
      resolveReady(JSON.stringify({ ok: true, result: message.info }));
    } else if (message.type === "failed") {
      resolveReady(this.fail(message.message));
    } else if (message.type === "training") {
      for (const fn of this.trainingListeners) fn(message.reply);
    } else if (message.type === "reply") {
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (resolve) resolve(message.reply);
    }
  }

  fail(message) {
    return JSON.stringify({ ok: false, error: { type: "EngineFailed", message } });
  }
}
