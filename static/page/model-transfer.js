// Model files moving between the workers, IndexedDB and downloads. They stay in
// JavaScript: a model is ~1 MB, more than the UI's MicroPython heap should hold.
"use strict";
/* global Reply */

import { saveBytes } from "./download.js";
import { modelStore } from "./model-store.js";
import { storageProblem } from "./storage.js";

const FORMATS = { digitlab: ".npz", onnx: ".onnx" }; // what the engine exports, and its files' extension
const ONNX_FILE = /\.onnx$/i; // a file the engine imports (import_onnx) before it is used

/**
 * Export `engine`'s model that reads, or with `trained` the model it trained (`format`: digitlab's
 * own or "onnx", for other tools); resolves to the reply with {name, bytes, data: Uint8Array}.
 */
async function exported(engine, float16, format = "digitlab", trained = false) {
  const reply = JSON.parse(await engine.request("export_model", JSON.stringify({ float16, format, trained })));
  if (reply.ok) reply.result.data = Reply.bytes(reply.result.base64);
  return reply;
}

/** Download `engine`'s model (as `exported` names it) as a file; resolves to a small JSON reply for the UI. */
export async function exportModel(engine, float16, format = "digitlab", trained = false) {
  const reply = await exported(engine, float16, format, trained);
  if (!reply.ok) return JSON.stringify(reply);
  const { name, bytes, data } = reply.result;
  const filename = `${name || "model"}${float16 ? ".f16" : ""}${FORMATS[format]}`;
  saveBytes(data, filename);
  return Reply.ok({ name, bytes, filename });
}

/** An ONNX file made a model file by `engine`; resolves to the reply with {data: Uint8Array}. */
async function fromOnnx(engine, data, name) {
  const reply = JSON.parse(await engine.request("import_onnx", JSON.stringify({ name: name.replace(ONNX_FILE, "") }), data));
  if (reply.ok) reply.result.data = Reply.bytes(reply.result.base64);
  return reply;
}

/**
 * Make model bytes the predictor's model and keep them for the next visit.
 * `source` is a Uint8Array (a model file, or an ONNX file when `name` ends in .onnx, made a model
 * file first), or an engine (the trainer) whose trained model is taken.
 * Resolves to the predictor's JSON reply; a refused model changes nothing. When the browser
 * will not store it (full, private mode), the model is in use all the same, and the result's
 * `not_kept` says why it will be gone after a reload.
 */
export async function keepModel(predictor, source, name) {
  let data = source;
  if (!(source instanceof Uint8Array) || ONNX_FILE.test(name)) {
    const reply = source instanceof Uint8Array ? await fromOnnx(predictor, source, name)
      : await exported(source, false, "digitlab", true);
    if (!reply.ok) return JSON.stringify(reply);
    data = reply.result.data;
  }
  const kept = data.slice(); // the request transfers (empties) its buffer
  const reply = JSON.parse(await predictor.request("load_model", "{}", data));
  if (reply.ok) {
    try {
      await modelStore.save(kept, name);
    } catch (err) {
      reply.result.not_kept = storageProblem(err);
    }
  }
  return JSON.stringify(reply);
}

/** Forget the model kept in this browser; resolves to a reply. */
export async function forgetModel() {
  try {
    await modelStore.forget();
    return Reply.ok();
  } catch (err) {
    return Reply.refused("StorageError", `The kept model could not be forgotten: ${storageProblem(err)}.`);
  }
}

/**
 * Make the model kept in this browser the predictor's again (at start, or in a restarted worker).
 * Resolves to a reply whose result is the model, or null when none is kept. A kept model the engine
 * refuses (damaged) is forgotten; storage that cannot be read leaves it kept. The reply says why.
 */
export async function restoreModel(predictor) {
  let kept;
  try {
    kept = await modelStore.load();
  } catch (err) {
    return Reply.refused("StorageError", `The model kept in this browser could not be read: ${storageProblem(err)}.`);
  }
  if (!kept) return Reply.ok(null);
  const bytes = kept.bytes instanceof Uint8Array ? kept.bytes : new Uint8Array(0); // a damaged record: refused
  const reply = JSON.parse(await predictor.send("load_model", "{}", bytes));
  if (reply.ok) return JSON.stringify(reply);
  if (reply.error.type === Reply.ENGINE_FAILED) return JSON.stringify(reply); // not the model's fault: kept
  await forgetModel(); // if even that fails, the next start finds it refused again
  return Reply.refused(reply.error.type, `The model kept in this browser could not be used: ${reply.error.message}`);
}

/** Score the predictor's model on the trainer's test images; resolves to the trainer's JSON reply. */
export async function evaluateModel(predictor, trainer) {
  const reply = await exported(predictor, false);
  if (!reply.ok) return JSON.stringify(reply);
  return trainer.request("evaluate_model", "{}", reply.result.data);
}
