// The engine's Python files into the runtime's file system: digitlab's package and the bytecode
// the build compiled reach the engine as tars `build.py` writes (ustar, Python's tarfile). A
// classic script, shared by the engine worker (importScripts) and the build's bytecode step
// (pyodide-bytecode.js, in Node), so the build writes them exactly as the page does.
/* exported APP_FOLDER, IMPORT_BRIDGE, writeTar, writeBeforePythonStarts */
"use strict";

const APP_FOLDER = "/app"; // where digitlab's package is unpacked: the first folder on sys.path
// Python that puts that folder first on sys.path and gives JavaScript digitlab's bridge.
const IMPORT_BRIDGE = `import sys\nsys.path.insert(0, "${APP_FOLDER}")\nfrom digitlab import bridge\nbridge`;
const TAR_BLOCK = 512;

/** Every regular file of the tar `bytes` (a Uint8Array), written under the folder `root` of `FS`. */
function writeTar(FS, bytes, root) {
  const field = (at, length) => {
    const raw = bytes.subarray(at, at + length);
    const end = raw.indexOf(0);
    return new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
  };
  let at = 0;
  while (at + TAR_BLOCK <= bytes.length && bytes[at] !== 0) { // two zero blocks end the archive
    const prefix = field(at + 345, 155); // ustar keeps the start of a long path apart
    const path = `${root}/${prefix ? prefix + "/" : ""}${field(at, 100)}`;
    const size = parseInt(field(at + 124, 12), 8) || 0;
    const type = field(at + 156, 1);
    if (type === "0" || type === "") {
      FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
      FS.writeFile(path, bytes.subarray(at + TAR_BLOCK, at + TAR_BLOCK + size));
    }
    at += TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
}

/**
 * Have Pyodide 0.17 write the tar `bytes` (a promise of them) at the root of its file system
 * before Python starts, so that the modules Python imports as it starts find their bytecode.
 * Call before `loadPyodide`; -> a promise that settles once they are written (or could not be).
 * Pyodide 0.17 offers no hook of its own there: its loader hands the Emscripten module it
 * builds to the global `_createPyodideModule` that pyodide.asm.js defines, so that global is
 * wrapped to add an Emscripten `preRun` step, which holds the start back (a run dependency)
 * until the bytes are written.
 */
function writeBeforePythonStarts(bytes) {
  let create;
  const written = new Promise((resolve, reject) => {
    Object.defineProperty(globalThis, "_createPyodideModule", {
      configurable: true,
      set: (value) => { create = value; }, // pyodide.asm.js's `var _createPyodideModule = ...`
      get: () => (Module) => {
        Module.preRun = [].concat(Module.preRun || [], () => {
          Module.addRunDependency("bytecode");
          bytes.then((tar) => writeTar(Module.FS, tar, ""))
            .then(resolve, reject)
            .finally(() => Module.removeRunDependency("bytecode"));
        });
        return create(Module);
      },
    });
  });
  written.catch(() => null); // a failure is the caller's await's, not an unhandled rejection
  return written;
}
