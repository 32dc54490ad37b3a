// The last accepted model, kept in IndexedDB so a reload (offline) finds it again.
"use strict";

const DB = "digitlab";
const STORE = "models";
const KEY = "current";
// Some Safari versions leave indexedDB.open unanswered; the page's start waits on it, so past this
// it gives up, and the built-in model reads (the page says why).
const OPEN_WAIT_S = 10;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`it did not answer in ${OPEN_WAIT_S} s`));
    }, OPEN_WAIT_S * 1000);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => {
      clearTimeout(timer);
      if (late) request.result.close(); // given up on: not left open
      else resolve(request.result);
    };
    request.onerror = () => {
      clearTimeout(timer);
      reject(request.error);
    };
  });
}

async function transact(mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error); // how a full disk or quota ends it: no error event on the transaction
    });
  } finally {
    db.close();
  }
}

export const modelStore = {
  /** Keep `bytes` (Uint8Array) as the model to use after a reload. */
  save: (bytes, name) => transact("readwrite", (s) => s.put({ name, bytes, saved: Date.now() }, KEY)),
  /** The kept model as {name, bytes}, or null. */
  load: async () => (await transact("readonly", (s) => s.get(KEY))) || null,
  forget: () => transact("readwrite", (s) => s.delete(KEY)),
};
