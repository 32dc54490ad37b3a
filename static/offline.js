// Keeps the app in this browser for use with the network off, through the service worker
// that build.py writes at the root of build/ (static/service-worker.js is its template).
"use strict";

/** Resolves (JSON text) to {kept: true} once every file of the app is kept, or {kept: false, reason}. */
export async function keepOffline() {
  return JSON.stringify(await register());
}

async function register() {
  if (!("serviceWorker" in navigator)) {
    return { kept: false, reason: window.isSecureContext ? "this browser has no service workers"
      : "browsers keep a page for offline use only when it comes from https or from this device (localhost)" };
  }
  try {
    const registration = await navigator.serviceWorker.register("service-worker.js");
    if (!registration) return { kept: false, reason: "this browser does not allow it here" }; // e.g. blocked by a policy
    const worker = registration.installing || registration.waiting;
    if (worker) await activated(worker);
    return { kept: true };
  } catch (err) {
    return { kept: false, reason: `the files could not be kept (${err.message})` };
  }
}

/** Resolves when `worker` has kept every file and taken over; rejects if it gave up. */
function activated(worker) {
  return new Promise((ok, fail) => {
    const check = () => {
      if (worker.state === "activated") ok();
      if (worker.state === "redundant") fail(new Error("a file of the app could not be fetched"));
    };
    worker.addEventListener("statechange", check);
    check();
  });
}
