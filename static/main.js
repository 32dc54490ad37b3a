// Starts the engine worker at once (in parallel with PyScript's start-up) and
// hands the UI, written in Python (py/ui/), what it needs.
import { Camera } from "./camera.js";
import { DrawingPad } from "./drawing-pad.js";
import { EngineClient } from "./engine-client.js";
import { TrainingCharts, drawConfusion, drawGallery } from "./figures.js";
import { filesFromInput, loadFolder, watchFolderDrop } from "./folder-files.js";
import { evaluateModel, exportModel, keepModel } from "./model-transfer.js";
import { modelStore } from "./model-store.js";
import { keepOffline } from "./offline.js";
import { PictureView } from "./picture-view.js";

const query = new URLSearchParams(location.search);
const runtime = query.get("runtime");
const kernel = query.get("kernel"); // "off" keeps training in NumPy
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
let trainer = null;

window.digitlab = {
  engine: new EngineClient({ runtime }),
  pad: new DrawingPad(byTestId("draw-canvas")),
  picture: new PictureView(byTestId("draw-canvas").parentElement),
  camera: new Camera(byTestId("camera-video")),
  /** The training worker, booted on first use. */
  trainer: () => (trainer = trainer || new EngineClient({ runtime, role: "trainer", kernel })),
  charts: new TrainingCharts(byTestId("chart-batch"), byTestId("chart-epoch")),
  modelStore,
  exportModel,
  keepModel,
  evaluateModel,
  drawConfusion,
  drawGallery,
  filesFromInput,
  loadFolder,
  watchFolderDrop,
  keepOffline,
  /** Read a File chosen or dropped by the user; resolves to a Uint8Array. */
  readFile: async (file) => new Uint8Array(await file.arrayBuffer()),
};
