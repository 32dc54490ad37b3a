// Starts the engine worker at once (in parallel with PyScript's start-up) and
// hands the UI, written in Python (py/ui/), what it needs.
import { Camera } from "./camera.js";
import { DrawingPad } from "./drawing-pad.js";
import { DrawnClasses } from "./drawn-classes.js";
import { EngineClient } from "./engine-client.js";
import { NoCharts, TrainingCharts, drawConfusion, drawGallery } from "./figures.js";
import { downloadZip, filesFromInput, loadFolder, readFile, watchFolderDrop } from "./folder-files.js";
import { evaluateModel, exportModel, forgetModel, keepModel, restoreModel } from "./model-transfer.js";
import { offerInstall } from "./install.js";
import { keepOffline, useUpdate, watchConnection } from "./offline.js";
import { PictureView } from "./picture-view.js";
/* global Reply */

const query = new URLSearchParams(location.search);
const runtime = query.get("runtime");
const kernel = query.get("kernel"); // "off" keeps training in NumPy; "on" sends it every product, no races
const fault = query.get("fault"); // an engine command that fails once: for the browser tests only
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const pad = new DrawingPad(byTestId("draw-canvas"));
let trainer = null;
const engine = new EngineClient({ runtime, fault });
engine.onRestart = async (predictor) => { // a predictor started again recognises with the model kept
  const reply = await restoreModel(predictor);
  try {
    window.digitlab.restarted?.(reply); // set by the UI: the model panel shows which model reads
  } catch (err) { // the request that started the predictor is still answered
    window.digitlabStart.problem(`The model panel could not say which model reads after a restart: ${err.message}`);
  }
  return reply;
};

window.digitlab = {
  engine,
  /** The error type of a reply from a worker that died or could not boot. */
  engineFailed: Reply.ENGINE_FAILED,
  pad,
  classes: new DrawnClasses(pad, byTestId("class-list")),
  picture: new PictureView(byTestId("draw-canvas").parentElement),
  camera: new Camera(byTestId("camera-video")),
  /** The training worker, booted on first use. */
  trainer: () => (trainer = trainer || new EngineClient({ runtime, role: "trainer", kernel, fault })),
  charts: optional("The training charts", () => new TrainingCharts(byTestId("chart-batch"), byTestId("chart-epoch")),
    (reason) => new NoCharts(byTestId("chart-batch"), reason)),
  exportModel,
  keepModel,
  restoreModel,
  forgetModel,
  evaluateModel,
  drawConfusion,
  drawGallery,
  filesFromInput,
  loadFolder,
  downloadZip,
  watchFolderDrop,
  /** Keep the app offline; a new build, once kept, is offered with a Reload button. */
  keepOffline: () => keepOffline((worker) => {
    byTestId("update").hidden = false;
    byTestId("update-reload").onclick = () => useUpdate(worker);
  }),
  watchConnection,
  /** Set by the UI: told restoreModel's reply when a predictor started again. */
  restarted: null,
  /** Set by the UI while a model trained here is neither in use nor downloaded: leaving asks first. */
  unsaved: false,
  /** Resolves on the next click of `button`. */
  clicked: (button) => new Promise((resolve) => button.addEventListener("click", resolve, { once: true })),
  /** The network's code editor in `parent`, loaded on first use; resolves to it (also `code`). */
  codeEditor: async (parent) => (window.digitlab.code = new (await import("./code-editor.js")).CodeEditor(parent)),
  /**
   * Read a File chosen or dropped by the user; resolves to {bytes: Uint8Array, problem: null}, or
   * {bytes: null, problem} saying why it could not be read (moved or changed since it was chosen).
   */
  readFile: (file) => readFile(file).then((bytes) => ({ bytes, problem: null }),
    (err) => ({ bytes: null, problem: err.message })),
};

/**
 * A part the rest of the app can do without: made by `make`, or, when that throws, by
 * `standIn(reason)`, and the page says which part does not work and why.
 */
function optional(what, make, standIn) {
  try {
    return make();
  } catch (err) {
    const reason = `${what} could not start (${err.message}); the rest of the app works without them.`;
    window.digitlabStart.problem(reason);
    return standIn(reason);
  }
}

offerInstall(byTestId("install"), byTestId("install-hint")); // the browser's offer can come before Python is up

window.addEventListener("beforeunload", (event) => {
  if (!window.digitlab.unsaved) return;
  event.preventDefault();
  event.returnValue = true; // older Safari asks only when this is set
});
