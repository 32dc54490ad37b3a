// The files of a folder given to the page, each with its path inside that folder, from a
// folder <input> (webkitdirectory) or a drop; packed into one buffer for the engine worker,
// which reads them as a data set with one sub-folder per label.
"use strict";
/* global Reply */

import { saveBytes } from "./download.js";

/** [{path, file}] from an <input type="file" webkitdirectory>. */
export function filesFromInput(input) {
  return Array.from(input.files, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/**
 * Calls onFiles([{path, file}]) for each folder (or files) dropped on `zone`, or onFailure(message)
 * when its files cannot be listed. The entries are taken during the drop event itself: the browser
 * empties the DataTransfer after it.
 */
export function watchFolderDrop(zone, onFiles, onFailure) {
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const entries = Array.from(event.dataTransfer.items, (item) => item.webkitGetAsEntry());
    if (entries.some((entry) => !entry)) { // no file system entries (a drop made by a script): files only
      onFiles(Array.from(event.dataTransfer.files, (file) => ({ path: file.name, file })));
      return;
    }
    Promise.all(entries.map((entry) => walk(entry, ""))).then((lists) => onFiles(lists.flat()),
      (err) => onFailure(`The folder dropped could not be read (${err.message}). Nothing changed.`));
  });
}

async function walk(entry, prefix) {
  const path = prefix + entry.name;
  if (entry.isFile) return [{ path, file: await new Promise((ok, fail) => entry.file(ok, fail)) }];
  const reader = entry.createReader();
  const found = [];
  for (;;) { // readEntries gives a folder's entries a batch at a time, then an empty batch
    const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
    if (!batch.length) return found;
    for (const child of batch) found.push(...(await walk(child, path + "/")));
  }
}

/**
 * Files [{path, file}] as one request: {payload: {paths, sizes}, bytes} (their bytes one after
 * another). A file that cannot be read (moved or changed since it was chosen) throws, naming it.
 */
async function packed(files) {
  const total = files.reduce((sum, { file }) => sum + file.size, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const { path, file } of files) {
    bytes.set(await readFile(file, path), offset);
    offset += file.size;
  }
  return { payload: { paths: files.map(({ path }) => path), sizes: files.map(({ file }) => file.size) }, bytes };
}

/** A File chosen or dropped by the user -> a Uint8Array; an Error naming `path` when it cannot be read. */
export async function readFile(file, path = file.name) {
  try {
    return new Uint8Array(await file.arrayBuffer());
  } catch (err) {
    throw new Error(`${path} could not be read (${err.message}): was it moved or changed since it was chosen?`);
  }
}

/** `work()`'s reply, or a refusal in words when a file it reads cannot be read. */
async function refusedUnreadable(work) {
  try {
    return await work();
  } catch (err) {
    return Reply.refused("FileError", err.message);
  }
}

/**
 * Send the files to an engine's load_folder, as its training ("train") or validation ("val")
 * folder; resolves to its reply (JSON text). One .zip file is read as the folder it holds.
 */
export async function loadFolder(engine, files, role) {
  const limit = JSON.parse(await engine.ready).result.max_folder_bytes; // checked before anything is read
  const total = files.reduce((sum, { file }) => sum + file.size, 0);
  if (total > limit) {
    const fit = Math.floor(limit / (total / files.length));
    const message = `The folder holds ${Math.round(total / 2 ** 20)} MB; at most ${limit / 2 ** 20} MB fit in a tablet's ` +
      `memory: about ${fit} of its ${files.length} files. Give it fewer or smaller pictures.`;
    return Reply.refused("DigitlabError", message);
  }
  return refusedUnreadable(async () => {
    const { payload, bytes } = await packed(files);
    return engine.request("load_folder", JSON.stringify({ ...payload, role }), bytes);
  });
}

/** Download the files as a zip, one sub-folder per label as their paths say; resolves to the reply. */
export async function downloadZip(engine, files, filename) {
  return refusedUnreadable(async () => {
    const { payload, bytes } = await packed(files);
    const reply = JSON.parse(await engine.request("zip_files", JSON.stringify(payload), bytes));
    if (reply.ok) saveBytes(Reply.bytes(reply.result.base64), filename, "application/zip");
    return JSON.stringify(reply);
  });
}
