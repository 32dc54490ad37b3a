// The build's bytecode step (build.py calls it): boots Pyodide 0.17.1 in Node as the engine
// worker boots it in the page, notes every module Python has to compile from its source on the
// way, and writes each one's Python 3.8 bytecode. The page writes those .pyc files beside their
// sources before it imports anything, so its Python runs them instead of compiling the sources
// on every visit.
//
//   node pyodide-bytecode.js PYODIDE_DIR PACKAGES DIGITLAB_TAR MODEL OUT_DIR [BYTECODE_TAR]
//
// PACKAGES is the runtime's packages, comma-separated; OUT_DIR receives each .pyc at its path
// in Pyodide's file system. Given the BYTECODE_TAR a build made, it is written first, as the
// page does: then nothing should be left to compile (tests/build checks it). Pyodide 0.17 runs
// only in a page or a worker: this script poses as a worker (importScripts, location,
// XMLHttpRequest) and hides Node's `process`, which would make its Emscripten code take the
// Node paths it was not built with.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [pyodideDir, packages, digitlabTar, modelFile, outDir, bytecodeTar] = process.argv.slice(2);
const nodeProcess = process;
const STATIC_ENGINE = path.join(__dirname, "static", "engine");

// Run right after Python starts: the modules its start compiled from source (those with no valid
// bytecode beside them), and from then on every module compiled from source as it is imported.
const WATCH = `
import _imp, importlib.util, sys
from importlib import _bootstrap_external


def has_valid_bytecode(source):
    """Whether Python 3.8 would run the .pyc beside \`source\` rather than compile it."""
    try:
        with open(importlib.util.cache_from_source(source), "rb") as f:
            pyc = f.read()
        with open(source, "rb") as f:
            source_hash = _imp.source_hash(_bootstrap_external._RAW_MAGIC_NUMBER, f.read())
        flags = _bootstrap_external._classify_pyc(pyc, source, {})
        _bootstrap_external._validate_hash_pyc(pyc, source_hash, source, {})
    except (OSError, ImportError, EOFError):
        return False
    return flags & 0b11 == 0b11  # a hash-based .pyc whose hash Python checks


compiled_from_source = [module.__file__ for module in list(sys.modules.values())
                        if (getattr(module, "__file__", None) or "").endswith(".py")
                        and not has_valid_bytecode(module.__file__)]
_source_to_code = _bootstrap_external.SourceLoader.source_to_code


def source_to_code(loader, data, path, *, _optimize=-1):
    compiled_from_source.append(path)
    return _source_to_code(loader, data, path, _optimize=_optimize)


_bootstrap_external.SourceLoader.source_to_code = source_to_code
`;
// Run once the engine is up: those modules' bytecode, with a checked hash (Python compares the
// source's hash, which is cheap, so a stale .pyc is never run).
const COMPILE = `
noted = sorted(set(compiled_from_source))  # before this step's own imports
import importlib.util, py_compile
compiled = []
for source in noted:
    target = importlib.util.cache_from_source(source)
    py_compile.compile(source, cfile=target, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    compiled.append(target)
"\\n".join(compiled)
`;

function poseAsWorker() {
  globalThis.self = globalThis;
  globalThis.location = new URL("file://" + path.resolve(pyodideDir) + "/");
  globalThis.importScripts = (url) => vm.runInThisContext(fs.readFileSync(new URL(url, location)), { filename: String(url) });
  globalThis.fetch = async (url) => new Response(fs.readFileSync(new URL(url, location)),
    { headers: { "Content-Type": String(url).endsWith(".wasm") ? "application/wasm" : "application/octet-stream" } });
  globalThis.XMLHttpRequest = class { // what Emscripten's file packager asks of it
    open(method, url) { this.url = new URL(url, location); }
    send() {
      setImmediate(() => {
        const data = fs.readFileSync(this.url);
        this.status = 200;
        this.response = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
        this.onload();
      });
    }
  };
  Object.defineProperty(globalThis, "process", { value: undefined, configurable: true, writable: true });
}

/** The engine's own boot (engine-worker.js), then what it does first: read a drawing. */
async function bootLikeTheEngine() {
  importScripts("file://" + path.join(STATIC_ENGINE, "python-files.js"));
  const bytecodeWritten = bytecodeTar ? writeBeforePythonStarts(fs.promises.readFile(bytecodeTar)) : null;
  importScripts(new URL("pyodide.js", location).href);
  const pyodide = await loadPyodide({ indexURL: location.href });
  await bytecodeWritten;
  pyodide.runPython(WATCH);
  await pyodide.loadPackage(packages.split(","));
  const FS = pyodide.FS || pyodide._module.FS;
  writeTar(FS, new Uint8Array(fs.readFileSync(digitlabTar)), APP_FOLDER);
  pyodide.runPython("import numpy\nimport PIL.Image");
  const bridge = pyodide.runPython(IMPORT_BRIDGE);
  const answer = (command, payload, data) => {
    const reply = JSON.parse(bridge.call(command, JSON.stringify(payload), data));
    if (!reply.ok) throw new Error(`${command}: ${reply.error.message}`);
  };
  answer("load_model", { builtin: true }, new Uint8Array(fs.readFileSync(modelFile)));
  answer("info", {});
  answer("predict_pixels", { width: 64, height: 64 }, aStroke(64));
  return { pyodide, FS };
}

/** RGBA of a dark vertical bar on white paper: a "1". */
function aStroke(side) {
  const rgba = new Uint8Array(side * side * 4).fill(255);
  for (let y = 12; y < side - 12; y++) {
    for (let x = side / 2 - 3; x < side / 2 + 3; x++) rgba.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3);
  }
  return rgba;
}

async function main() {
  poseAsWorker();
  const { pyodide, FS } = await bootLikeTheEngine();
  const compiled = pyodide.runPython(COMPILE).split("\n").filter(Boolean);
  globalThis.process = nodeProcess;
  for (const file of compiled) {
    const target = path.join(outDir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, FS.readFile(file));
  }
  console.log(`${compiled.length} modules compiled from source`);
}

main().catch((err) => {
  globalThis.process = nodeProcess;
  console.error(err);
  nodeProcess.exit(1);
});
