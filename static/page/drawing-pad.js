// A canvas to draw on with a finger, a pen or a mouse (Pointer Events).
// It fires "strokeend" on the canvas when a stroke is finished. One pointer draws at a time: a
// palm or a second finger that touches while a pen (or a finger) is drawing leaves no ink.
"use strict";

export class DrawingPad {
  constructor(canvas, { lineWidth = 18 } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.lineWidth = lineWidth;
    this.last = null;
    this.pointer = null; // the pointerId of the stroke being drawn
    this.inked = false;
    this.clear();
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
      canvas.addEventListener(type, (e) => this.up(e));
    }
  }

  clear() {
    this.ctx.fillStyle = "#fff";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
  }

  /** The canvas as {width, height, data: RGBA Uint8Array}, ready to transfer. */
  pixels() {
    const { width, height } = this.canvas;
    const image = this.ctx.getImageData(0, 0, width, height);
    return { width, height, data: new Uint8Array(image.data.buffer) };
  }

  point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * this.canvas.width) / rect.width,
      y: ((event.clientY - rect.top) * this.canvas.height) / rect.height,
    };
  }

  down(event) {
    if (event.button !== undefined && event.button > 0) return;
    event.preventDefault();
    if (this.pointer !== null) return; // palm rejection: a stroke is under way
    this.pointer = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.segment(this.last, this.last);
  }

  move(event) {
    if (!this.last || event.pointerId !== this.pointer) return;
    event.preventDefault();
    // Coalesced events keep fast strokes smooth where the browser batches them.
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const p = this.point(e);
      this.segment(this.last, p);
      this.last = p;
    }
  }

  up(event) {
    if (!this.last || event.pointerId !== this.pointer) return;
    this.last = null;
    this.pointer = null;
    this.canvas.dispatchEvent(new CustomEvent("strokeend", { detail: { pointerType: event.pointerType } }));
  }

  segment(from, to) {
    const ctx = this.ctx;
    ctx.strokeStyle = "#111";
    ctx.lineWidth = this.lineWidth;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    this.inked = true;
  }
}
