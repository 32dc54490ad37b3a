// The page's first script, a classic one, so that it runs whatever fails after it: a start-up
// never hangs silently.
// - A browser language that is no valid tag (WebKitGTK in a Linux "C" locale says "C") reads as
//   "en": the chart library formats numbers in navigator.language, and throws as it loads on a bad tag.
// - An error while the page starts is shown at once, naming the file it came from; so is one that
//   no part of the page caught later (a click handler's, a promise nobody awaited): none is silent.
// - A page still loading after STILL_LOADING_S seconds says so, with what is known of each part.
// main.js reports an optional part that could not start through `digitlabStart.problem`.
"use strict";

(() => {
  const STILL_LOADING_S = 60;
  const shown = () => document.querySelector('[data-testid="start-problems"]');
  const status = () => document.querySelector('[data-testid="status"]')?.textContent;
  const started = () => status() === "ready";
  const pending = []; // problems met before the list was in the DOM

  const validTag = (tag) => {
    try {
      return Intl.getCanonicalLocales(tag).length === 1;
    } catch (err) {
      return false;
    }
  };
  if (!validTag(navigator.language)) Object.defineProperty(navigator, "language", { value: "en" });

  /** Show `text` in the start-up problems (text, never HTML); returns its line, to take back. */
  function problem(text) {
    const line = document.createElement("li");
    line.textContent = text;
    pending.push(line);
    showPending();
    return line;
  }

  function showPending() {
    const list = shown();
    if (!list || !pending.length) return; // before the list is parsed: shown once it is
    list.append(...pending.splice(0));
    list.hidden = false;
  }

  const failed = () => (started() ? "Part of the page failed" : "Part of the page failed to start");

  function onError(event) {
    if (event.target !== window) { // an element's: a script or style that did not load is part of the page
      const part = ["SCRIPT", "LINK"].includes(event.target?.tagName) && (event.target.src || event.target.href);
      if (part) problem(`${part.split("/").pop()} could not be loaded: part of the page is missing.`);
      return; // a picture or video that cannot be shown: the page says so where it shows it
    }
    const where = event.filename ? ` (in ${event.filename.split("/").pop()})` : "";
    problem(`${failed()}${where}: ${event.message}`);
  }

  function onRejection(event) {
    problem(`${failed()}: ${event.reason?.message || event.reason}`);
  }

  /** What is known of each part, for a start that takes too long. */
  function known() {
    const app = window.digitlab;
    if (!app) return "The page's scripts have not started.";
    const engine = app.engine.timing.ready !== null ? "the engine is ready" : `the engine is at "${app.engine.progress.stage}"`;
    const ui = app.ui ? "the page's Python has started" : "the page's Python (PyScript) has not started";
    return `${engine[0].toUpperCase()}${engine.slice(1)}; ${ui}.`;
  }

  let slow = null; // the "still loading" line, taken back when the page is ready
  function watchdog() {
    if (started()) {
      slow?.remove();
      if (shown() && !shown().children.length) shown().hidden = true;
      return;
    }
    const text = `Still loading after ${STILL_LOADING_S} s. ${known()} Reloading the page may help.`;
    if (status() !== "error") {
      if (slow) slow.textContent = text;
      else slow = problem(text);
    }
    setTimeout(watchdog, 1000);
  }

  window.addEventListener("error", onError, true); // capturing: a script that fails to load does not bubble
  window.addEventListener("unhandledrejection", onRejection);
  document.addEventListener("DOMContentLoaded", showPending);
  setTimeout(watchdog, STILL_LOADING_S * 1000);
  window.digitlabStart = { problem };
})();
