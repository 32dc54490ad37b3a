// Replies as the engine gives them, on both sides of the worker boundary: JSON text
// {"ok": true, "result"} or {"ok": false, "error": {"type", "message"}} (digitlab.bridge makes
// Python's). A classic script, so one file serves both: the engine worker loads it with
// importScripts (Pyodide 0.17 needs a classic worker), the page with a <script> tag.
"use strict";

const Reply = {
  ok: (result = {}) => JSON.stringify({ ok: true, result }),
  refused: (type, message) => JSON.stringify({ ok: false, error: { type, message } }),
  // The error type of every request a worker that died or could not boot answers (engine-client.js).
  ENGINE_FAILED: "EngineFailed",
  // Bytes in a result (a model file, a zip, a digit's pixels) travel as base64 text: -> Uint8Array.
  bytes: (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)),
};
