// The browser's storage refusals in the page's words: of a model kept, and of the app kept offline.
"use strict";

/** Why the browser's storage refused, in words; `err` is what it threw, or its {name, message}. */
export function storageProblem(err) {
  if (err && err.name === "QuotaExceededError") return "the browser's storage for this page is full";
  return `the browser refused its storage (${(err && err.message) || err})`;
}
