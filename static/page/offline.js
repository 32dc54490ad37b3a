// Keeps the app in this browser for use with the network off, through the service worker
// that build.py writes at the root of build/ (static/service-worker.js is its template); says
// when a new build is ready, and whether the page runs from the kept copy.
"use strict";

import { storageProblem } from "./storage.js";

// What the page and the service worker say to each other, the same on both sides (tests/build/test_output.py).
const KEPT_HEADER = "x-digitlab-kept"; // set by the service worker on a kept copy it answers with for want of the server
const SKIP_WAITING = "skipWaiting"; // the page's word to a waiting new build: take over
const NOT_KEPT = "notKept"; // the service worker's word to the pages when its files could not be kept: {name, message}
const WHY_WAIT_S = 5; // for the words of a worker that gave up
const NOT_FETCHED = "a file of the app could not be fetched"; // what a worker that gave up without a word is taken to mean

/**
 * Resolves (JSON text) to {kept: true} once every file of the app is kept, or {kept: false, reason}.
 * onUpdate(worker) is called when a new build is kept and waits: `useUpdate(worker)` switches to it.
 */
export async function keepOffline(onUpdate) {
  return JSON.stringify(await register(onUpdate));
}

async function register(onUpdate) {
  if (!window.isSecureContext) {
    return { kept: false, insecure: true,
      reason: "browsers keep a page for offline use only when it comes from https or from this device (localhost)" };
  }
  if (!("serviceWorker" in navigator)) return { kept: false, reason: "this browser has no service workers" };
  try {
    const registration = await navigator.serviceWorker.register("service-worker.js");
    if (!registration) return { kept: false, reason: "this browser does not allow it here" }; // e.g. blocked by a policy
    watchUpdates(registration, onUpdate);
    if (registration.active) return { kept: true }; // a newer build may be on its way: watchUpdates says so
    await activated(registration.installing || registration.waiting);
    return { kept: true };
  } catch (err) {
    return { kept: false, reason: `the files could not be kept (${err.message})` };
  }
}

/** Calls onUpdate(worker) for a new build's worker that is kept and waits beside the running one. */
function watchUpdates(registration, onUpdate) {
  const ready = (worker) => {
    if (navigator.serviceWorker.controller) onUpdate(worker); // on a first visit there is nothing to update
  };
  if (registration.waiting) ready(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed") ready(worker);
    });
  });
}

/**
 * Switch to the new build's worker, then reload on its files. Where another tab of the app switched
 * first, the worker already runs this page (it takes every tab): reload at once.
 */
export function useUpdate(worker) {
  if (navigator.serviceWorker.controller === worker) {
    location.reload();
    return;
  }
  navigator.serviceWorker.addEventListener("controllerchange", () => location.reload(), { once: true });
  worker.postMessage(SKIP_WAITING);
}

/**
 * Resolves when `worker` has kept every file and taken over; rejects if it gave up, saying why when
 * it told the page (storage full, a file it could not fetch). Its words come a moment after it gives
 * up (in Chromium, after the state change): they are waited for, WHY_WAIT_S at most.
 */
function activated(worker) {
  return new Promise((ok, fail) => {
    const check = () => {
      if (worker.state === "activated") ok();
      if (worker.state === "redundant") {
        setTimeout(() => fail(new Error(NOT_FETCHED)), WHY_WAIT_S * 1000);
      }
    };
    const told = (event) => {
      const why = event.source === worker && event.data && event.data[NOT_KEPT];
      if (!why) return;
      navigator.serviceWorker.removeEventListener("message", told);
      // addAll rejects with a TypeError for a file it could not fetch; the rest is the storage's refusal
      fail(new Error(why.name === "TypeError" ? `${NOT_FETCHED}: ${why.message}` : storageProblem(why)));
    };
    navigator.serviceWorker.addEventListener("message", told);
    worker.addEventListener("statechange", check);
    check();
  });
}

/**
 * Calls onChange(offline) now and whenever the browser goes on or off line: offline when the
 * server does not answer. The query makes a URL the service worker did not keep as such, so it
 * asks the server, and answers with the kept copy, marked, when the server cannot be reached.
 */
export function watchConnection(onChange) {
  const check = async () => {
    try {
      const response = await fetch("runtime.json?connection", { cache: "no-store" });
      onChange(response.headers.get(KEPT_HEADER) === "1");
    } catch (err) {
      onChange(true); // not even a kept copy answered: offline all the same
    }
  };
  window.addEventListener("online", check);
  window.addEventListener("offline", check);
  check();
}
