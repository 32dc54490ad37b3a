// The camera: the rear one where there is one, shown in a <video playsinline muted autoplay> that
// is in the page from the start (iOS Safari shows a camera through no other), and its frames
// handed to the engine as RGBA pixels, as an upload is. The UI (py/ui/camera.py) says what to do.
"use strict";
/* global Reply */

const BACK = /back|rear|environment/i;
const FRONT = /front|user|face/i;

/** Words for the ways getUserMedia fails, by DOMException name. */
const REFUSALS = {
  NotAllowedError: "The camera is blocked: allow it for this page in the browser's settings, then try again.",
  SecurityError: "The camera is blocked: allow it for this page in the browser's settings, then try again.",
  NotFoundError: "No camera was found on this device.",
  OverconstrainedError: "No camera was found on this device.",
  NotReadableError: "The camera is in use by another app, or not working: close that app and try again.",
  AbortError: "The camera could not be started: try again.",
};

export class Camera {
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.stillCanvas = null;
    this.onStop = null; // called with a message when the camera stops by itself
    document.addEventListener("visibilitychange", () => {
      if (document.hidden && this.isOpen) this.stop("The camera was closed while the page was hidden."); // it keeps none running
    });
  }

  /** Open the rear camera; resolves to a reply (JSON text) whose result is {label}. */
  async open() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Reply.refused("CameraError", "This browser gives no camera to this page (it needs https or localhost).");
    }
    try {
      this.close();
      let stream = await navigator.mediaDevices.getUserMedia(this.constraints({ facingMode: { ideal: "environment" } }));
      const back = await this.backCamera(stream);
      if (back) { // facingMode gave another camera: open the back one by its id
        stream.getTracks().forEach((track) => track.stop());
        stream = await navigator.mediaDevices.getUserMedia(this.constraints({ deviceId: { exact: back } }));
      }
      this.start(stream);
    } catch (err) {
      this.close();
      const message = REFUSALS[err && err.name] || `The camera could not be started (${err && err.message}).`;
      return Reply.refused("CameraError", message);
    }
    return this.play();
  }

  /**
   * Show the open camera's picture. The camera is allowed by now: a refusal here is the video's (a
   * browser's play rules, e.g. iOS in Low Power Mode), not the camera's, and is said as such.
   */
  async play() {
    try {
      await this.video.play();
      return Reply.ok({ label: this.track().label || "camera" });
    } catch (err) {
      this.close();
      return Reply.refused("CameraError", "The camera is allowed, but the browser would not show its picture "
        + `(${(err && err.name) || err}). On an iPad or iPhone, turn Low Power Mode off; then try again.`);
    }
  }

  constraints(video) {
    return { audio: false, video: { ...video, width: { ideal: 1280 }, height: { ideal: 720 } } };
  }

  /** The id of a back camera when `stream` is not from one, else null. Labels are known once permission is given. */
  async backCamera(stream) {
    const settings = stream.getVideoTracks()[0].getSettings();
    if (settings.facingMode === "environment") return null;
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    const back = cameras.find((d) => BACK.test(d.label) && !FRONT.test(d.label));
    return back && back.deviceId !== settings.deviceId ? back.deviceId : null;
  }

  start(stream) {
    this.stream = stream;
    this.video.srcObject = stream;
    this.track().addEventListener("ended", () => { // unplugged, or taken by the system
      if (this.stream === stream) this.stop("The camera stopped: it was unplugged or taken by another app.");
    });
  }

  /** Close the camera by itself, and say why. */
  stop(message) {
    this.close();
    if (this.onStop) this.onStop(message);
  }

  track() {
    return this.stream.getVideoTracks()[0];
  }

  get isOpen() {
    return this.stream !== null;
  }

  close() {
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
  }

  /** Resolves when the video shows a frame not yet read (or at the next paint where that cannot be told). */
  nextFrame() {
    return new Promise((resolve) => {
      if (this.video.requestVideoFrameCallback) this.video.requestVideoFrameCallback(() => resolve());
      else requestAnimationFrame(() => resolve());
    });
  }

  /** The current frame, its longer side at most `maxSide`: {width, height, pixels (RGBA Uint8Array)}, or null. */
  frame(maxSide) {
    const { videoWidth, videoHeight } = this.video;
    if (!this.isOpen || !videoWidth || !videoHeight) return null;
    const scale = Math.min(1, maxSide / Math.max(videoWidth, videoHeight));
    const width = Math.max(1, Math.round(videoWidth * scale));
    const height = Math.max(1, Math.round(videoHeight * scale));
    const canvas = (this.stillCanvas = document.createElement("canvas"));
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(this.video, 0, 0, width, height);
    const pixels = new Uint8Array(context.getImageData(0, 0, width, height).data.buffer);
    return { width, height, pixels };
  }

  /** The last frame read, as a picture (a JPEG Blob) to show frozen with its digits boxed. */
  still() {
    return new Promise((resolve) => this.stillCanvas.toBlob(resolve, "image/jpeg", 0.9));
  }
}
