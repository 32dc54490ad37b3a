// The page's handle on the engine worker: requests with an id, progress events,
// and replies that are always JSON text {"ok": true, "result"} or {"ok": false, "error"}.
// Every request settles: if the worker dies or cannot boot, whatever waits is told so in words,
// and the next request (or booted()) starts a new worker.
"use strict";
/* global Reply */

// A boot is ready in 3-13 s on a quiet machine; between two of its stages it downloads (saying most
// of the bytes as they come) or works a few seconds at most.
const BOOT_STALL_S = 60;
const FIRST_STAGE = "Starting the engine"; // as the worker says it first

export class EngineClient {
  /**
   * role: "predictor" answers the page; "trainer" also loads the data set and trains.
   * kernel: "off" keeps the trainer's products in NumPy (no WebGL kernel); "on" sends it every one.
   * fault: a command the worker fails once, or "boot_stall": its first boot stalls (browser tests only).
   */
  constructor({ runtime = null, role = "predictor", kernel = null, fault = null } = {}) {
    const pageWebGL2 = role === "trainer" && pageHasWebGL2(); // only the trainer's kernel needs WebGL2
    this.init = { type: "init", base: document.baseURI, runtime, role, kernel, fault, pageWebGL2 };
    this.listeners = [];
    this.trainingListeners = [];
    this.onRestart = null;
    this.start();
  }

  start() {
    this.pending = new Map();
    this.nextId = 1;
    this.dead = false;
    this.restoring = null; // a start by `request` sets it: onRestart's setting up
    this.downloaded = 0; // bytes the booting worker has downloaded
    this.stage = FIRST_STAGE;
    this.restarted = ""; // said after each stage of a boot started again
    this.progress = { stage: this.stage, fraction: 0 }; // as the page shows it
    this.timing = { created: performance.now(), ready: null }; // page time (ms)
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.spawn(1);
  }

  /** A new worker, booting: the `attempt`th for this start. */
  spawn(attempt) {
    const worker = new Worker(new URL("../engine/engine-worker.js", import.meta.url));
    const current = () => worker === this.worker; // a worker replaced has nothing more to say
    worker.onmessage = (event) => current() && this.dispatch(event.data);
    worker.onerror = (event) => current() && this.stop(`The engine stopped: ${event.message || "unknown error"}`);
    this.worker = worker;
    worker.postMessage({ ...this.init, attempt });
    this.watchBoot(worker, attempt);
  }

  /**
   * A boot that says nothing for BOOT_STALL_S has stalled: its worker is replaced by a new one, once;
   * a second stall ends it in words. (In WebKitGTK a worker once stood at "Loading numpy and Pillow"
   * for minutes; a new one booted in seconds.) Downloads report their bytes: a slow network is no stall.
   */
  watchBoot(worker, attempt) {
    this.heard = performance.now();
    const look = () => {
      if (worker !== this.worker || this.dead || this.timing.ready !== null) return;
      const quiet = performance.now() - this.heard;
      if (quiet < BOOT_STALL_S * 1000) {
        setTimeout(look, BOOT_STALL_S * 1000 - quiet);
        return;
      }
      const stage = this.stage;
      if (attempt > 1) {
        this.stop(`The engine stood still for ${BOOT_STALL_S} s, twice, at "${stage}"`);
        return;
      }
      worker.terminate();
      this.restarted = ` (started again: the first start stood still for ${BOOT_STALL_S} s at "${stage}")`;
      this.settlePending(Reply.refused(Reply.ENGINE_FAILED,
        `The engine stood still for ${BOOT_STALL_S} s at "${stage}" and is starting again: try again when it is ready.`));
      this.dispatch({ type: "progress", stage: FIRST_STAGE, fraction: 0 });
      this.spawn(attempt + 1);
      if (this.restoring) this.restoring = this.onRestart(this); // its setting up was refused with the rest
    };
    setTimeout(look, BOOT_STALL_S * 1000);
  }

  /**
   * End the worker and settle everything waiting on it with `message`: its boot, its requests, a
   * training it ran (the page frees its buttons). The next request starts a new worker.
   */
  stop(message) {
    const said = /[.!?]$/.test(message) ? message : message + ".";
    const reply = Reply.refused(Reply.ENGINE_FAILED, said + " It starts again on your next action.");
    this.worker.terminate();
    this.dead = true;
    this.failure = reply;
    this.resolveReady(reply);
    this.settlePending(reply);
    for (const fn of this.trainingListeners) fn(reply);
  }

  /** Answer every request still waiting with `reply`. */
  settlePending(reply) {
    for (const resolve of this.pending.values()) resolve(reply);
    this.pending.clear();
  }

  /** The boot's reply, JSON text; a worker that died or could not boot is started again first. */
  booted() {
    if (this.dead) this.start();
    return this.ready;
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

  /**
   * Run an engine command; resolves to the reply's JSON text. Bytes are transferred. A dead worker
   * is started again, and set up by `onRestart` (an async fn of this client) before anything else.
   */
  async request(command, payloadJSON = "{}", bytes = null) {
    if (this.dead) {
      this.start();
      this.restoring = this.onRestart ? this.onRestart(this) : null;
    }
    let restoring;
    do { // a boot started again while this waited sets its worker up again
      restoring = this.restoring;
      await restoring;
    } while (restoring !== this.restoring);
    return this.send(command, payloadJSON, bytes);
  }

  /**
   * A request that runs code of the user's own, which a worker cannot interrupt: past `seconds`
   * without an answer the worker is stopped (the reply says so) and started again by the next request.
   */
  async requestWithin(seconds, command, payloadJSON = "{}", bytes = null) {
    const timer = setTimeout(() => this.stop(`Stopped after ${seconds} s without an answer: does the code run on?`),
      seconds * 1000);
    try {
      return await this.request(command, payloadJSON, bytes);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A request to the worker as it is: onRestart's own requests use this. A worker that has ended
   * (a restart that could not boot while onRestart ran) answers with the reason it ended.
   */
  send(command, payloadJSON = "{}", bytes = null) {
    if (this.dead) return Promise.resolve(this.failure);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const transfer = bytes ? [bytes.buffer] : [];
      this.worker.postMessage({ id, command, payload: payloadJSON, bytes }, transfer);
    });
  }

  dispatch(message) {
    this.heard = performance.now();
    if (message.type === "progress") {
      this.stage = message.stage;
      this.progress = { stage: message.stage + this.restarted, fraction: message.fraction };
      for (const fn of this.listeners) fn(this.progress.stage, this.progress.fraction);
    } else if (message.type === "downloaded") {
      this.downloaded = message.bytes;
    } else if (message.type === "ready") {
      this.restarted = "";
      this.timing.ready = performance.now();
      this.resolveReady(Reply.ok(message.info));
    } else if (message.type === "failed") {
      this.stop(`The engine could not start: ${message.message}`);
    } else if (message.type === "training") {
      for (const fn of this.trainingListeners) fn(message.reply);
    } else if (message.type === "reply") {
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (resolve) resolve(message.reply);
    }
  }
}

/** Whether the page has WebGL2 on a canvas of its own: the worker's reason for having none depends on it. */
function pageHasWebGL2() {
  const gl = document.createElement("canvas").getContext("webgl2");
  gl?.getExtension("WEBGL_lose_context")?.loseContext(); // give the context back now
  return gl !== null;
}
