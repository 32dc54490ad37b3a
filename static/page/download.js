// Saving bytes made in the page as a file the user downloads.
"use strict";

/** Offer `data` (Uint8Array) as a download named `filename`. */
export function saveBytes(data, filename, type = "application/octet-stream") {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000); // after the download has taken the blob
}
