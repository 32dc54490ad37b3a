// The last accepted model, kept in IndexedDB so a reload (offline) finds it again.
"use strict";

const DB = "digitlab";
const STORE = "models";
const KEY = "current";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
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
