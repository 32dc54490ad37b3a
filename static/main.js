// Starts the engine worker at once (in parallel with PyScript's start-up) and
// hands the UI, written in Python (py/ui/main.py), what it needs.
import { DrawingPad } from "./drawing-pad.js";
import { EngineClient } from "./engine-client.js";

const runtime = new URLSearchParams(location.search).get("runtime");
const canvas = document.querySelector('[data-testid="draw-canvas"]');

window.digitlab = {
  engine: new EngineClient({ runtime }),
  pad: new DrawingPad(canvas),
  /** Read a File chosen by the user; resolves to a Uint8Array. */
  readFile: async (file) => new Uint8Array(await file.arrayBuffer()),
};
