// Keeps the whole app in this browser so it opens with the network off.
// build.py serves this file from the root of build/, after three lines it writes:
//   const CACHE_PREFIX = "digitlab-"; const CACHE = CACHE_PREFIX + "<digest of the build>";
//   const FILES = [every file the page may load];
// The kept copy first: a build's files never change (a new build renames CACHE), so a visit
// reads them from this browser without asking the server, and the browser may keep the
// runtime's compiled WebAssembly, as it does for responses from the Cache API. Anything else
// goes to the server; when it cannot be reached, a URL with a query (the page's connection check,
// runtime.json?connection) gets the kept copy of its path, marked with KEPT_HEADER so the page
// can say it runs offline. A new build's worker keeps its files at
// install and waits until a page says "skipWaiting" (the user chose to reload). It then takes every
// tab of the app: the others keep offering their Reload, which then reloads at once.
"use strict";

// What this worker and the page (offline.js) say to each other, the same on both sides
// (tests/build/test_output.py checks that they are).
const KEPT_HEADER = "x-digitlab-kept";
const SKIP_WAITING = "skipWaiting";
const NOT_KEPT = "notKept";

// From the server itself, not the browser's HTTP cache: a host that lets files be cached for a while
// would otherwise hand a new build's worker some of the last build's files to keep.
self.addEventListener("install", (event) => {
  const fresh = FILES.map((file) => new Request(file, { cache: "reload" }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(fresh)).catch(tellPages));
});

/** Tell the app's pages why this build could not be kept (they wait for it), then give it up. */
async function tellPages(err) {
  const why = { name: err && err.name, message: (err && err.message) || String(err) };
  for (const page of await self.clients.matchAll({ type: "window", includeUncontrolled: true })) {
    page.postMessage({ [NOT_KEPT]: why });
  }
  throw err;
}

self.addEventListener("message", (event) => {
  if (event.data === SKIP_WAITING) self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  const old = (names) => names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE);
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(old(names).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(fromKeptOrNetwork(request));
});

/** The cache key: the page's own URL carries options (?runtime=...) that do not change the file. */
function keyOf(request) {
  return request.mode === "navigate" ? withoutQuery(request.url) : request.url;
}

function withoutQuery(address) {
  const url = new URL(address);
  url.search = "";
  return url.href;
}

async function fromKeptOrNetwork(request) {
  const kept = await caches.match(keyOf(request), { cacheName: CACHE });
  if (kept) return kept;
  try {
    return await fetch(request);
  } catch (offline) {
    return keptCopyOfPath(request, offline);
  }
}

async function keptCopyOfPath(request, offline) {
  const kept = await caches.match(withoutQuery(request.url), { cacheName: CACHE });
  if (!kept) throw offline;
  const headers = new Headers(kept.headers);
  headers.set(KEPT_HEADER, "1");
  return new Response(kept.body, { status: kept.status, statusText: kept.statusText, headers });
}
