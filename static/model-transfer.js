// Model files moving between the workers, IndexedDB and downloads. They stay in
// JavaScript: a model is ~1 MB, more than the UI's MicroPython heap should hold.
"use strict";
/* global Reply */

import { fromBase64, saveBytes } from "./download.js";
import { modelStore } from "./model-store.js";

/** Export `engine`'s current model; resolves to the reply with {name, bytes, data: Uint8Array}. */
async function exported(engine, float16) {
  const reply = JSON.parse(await engine.request("export_model", JSON.stringify({ float16 })));
  if (reply.ok) reply.result.data = fromBase64(reply.result.base64);
  return reply;
}

/** Download `engine`'s model as a file; resolves to a small JSON reply for the UI. */
export async function exportModel(engine, float16) {
  const reply = await exported(engine, float16);
  if (!reply.ok) return JSON.stringify(reply);
  const { name, bytes, data } = reply.result;
  const filename = `${name || "model"}${float16 ? ".f16" : ""}.npz`;
  saveBytes(data, filename);
  return Reply.ok({ name, bytes, filename });
}

/**
 * Make model bytes the predictor's model and keep them for the next visit.
 * `source` is a Uint8Array, or an engine (the trainer) whose model is taken.
 * Resolves to the predictor's JSON reply; a refused model changes nothing.
 */
export async function keepModel(predictor, source, name) {
  let data = source;
  if (!(source instanceof Uint8Array)) {
    const reply = await exported(source, false);
    if (!reply.ok) return JSON.stringify(reply);
    data = reply.result.data;
  }
  const kept = data.slice(); // the request transfers (empties) its buffer
  const reply = await predictor.request("load_model", "{}", data);
  if (JSON.parse(reply).ok) await modelStore.save(kept, name);
  return reply;
}

/** Score the predictor's model on the trainer's test images; resolves to the trainer's JSON reply. */
export async function evaluateModel(predictor, trainer) {
  const reply = await exported(predictor, false);
  if (!reply.ok) return JSON.stringify(reply);
  return trainer.request("evaluate_model", "{}", reply.result.data);
}
