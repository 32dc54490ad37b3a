// Installing the app to the home screen: Chromium's install prompt behind our own button, and on
// iPads and iPhones (which have no prompt) the line saying how to add it by hand.
"use strict";

/** Show `button` while the browser offers installation; show `hint` on Apple's touch devices. */
export function offerInstall(button, hint) {
  let offer = null;
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault(); // the browser's own mini-bar stays away: the button asks
    offer = event;
    button.hidden = false;
  });
  window.addEventListener("appinstalled", () => {
    offer = null;
    button.hidden = true;
  });
  button.addEventListener("click", async () => {
    if (!offer) return;
    button.hidden = true;
    offer.prompt();
    await offer.userChoice; // installed or not, an offer is used once
    offer = null;
  });
  hint.hidden = !appleTouch() || standalone();
}

/** iPad (which says "Macintosh" since iPadOS 13, but has touch) or iPhone. */
function appleTouch() {
  return /iPad|iPhone|iPod/.test(navigator.userAgent) || (/Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1);
}

/** Already opened from the home screen. */
function standalone() {
  return navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
}
