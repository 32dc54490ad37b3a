// A canvas to draw on with a finger, a pen or a mouse (Pointer Events).
// It fires "strokeend" on the canvas when a stroke is finished. One pointer draws at a time: a
// palm or a second finger that touches while a pen (or a finger) is drawing leaves no ink.
"use strict";

// The reader is sent only the inked part of the canvas (most of a wide pad is paper, and every
// pixel sent costs time), with paper around it: a margin, so its border is paper, and a longer side
// of at least this many line widths, so Python's estimate of the paper's light (paper.paper_level:
// the picture shrunk to 32 px a side, closed by a 5-px filter) still closes over a stroke.
const READ_MARGIN = 2; // line widths of paper around the ink
const READ_SIDE = 9; // line widths, at least, along the window's longer side

export class DrawingPad {
  constructor(canvas, { lineWidth = 18 } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.lineWidth = lineWidth;
    this.last = null;
    this.pointer = null; // the pointerId of the stroke being drawn
    this.ink = null; // {left, top, right, bottom}: the canvas pixels the strokes cover, or null when blank
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
    this.ink = null;
  }

  get inked() {
    return this.ink !== null;
  }

  /**
   * What the reader is sent: the inked part of the canvas with paper around it (the whole canvas
   * when it is blank), as {left, top, width, height, data: RGBA Uint8Array}, ready to transfer.
   */
  pixels() {
    const { left, top, width, height } = this.ink ? this.readingWindow() : { left: 0, top: 0, ...this.size() };
    const image = this.ctx.getImageData(left, top, width, height);
    return { left, top, width, height, data: new Uint8Array(image.data.buffer) };
  }

  /** The strokes' box grown by `margin` px, within the canvas: {left, top, width, height}, or null when blank. */
  inkBox(margin) {
    if (!this.ink) return null;
    const { width, height } = this.size();
    const [left, right] = span(this.ink.left - margin, this.ink.right + margin, 0, width);
    const [top, bottom] = span(this.ink.top - margin, this.ink.bottom + margin, 0, height);
    return { left, top, width: right - left, height: bottom - top };
  }

  /** The reading window: the ink with READ_MARGIN around it, its longer side grown to READ_SIDE. */
  readingWindow() {
    const margin = READ_MARGIN * this.lineWidth;
    const least = READ_SIDE * this.lineWidth;
    const { width, height } = this.size();
    const ink = this.ink;
    const wide = ink.right - ink.left >= ink.bottom - ink.top;
    const [left, right] = span(ink.left - margin, ink.right + margin, wide ? least : 0, width);
    const [top, bottom] = span(ink.top - margin, ink.bottom + margin, wide ? 0 : least, height);
    return { left, top, width: right - left, height: bottom - top };
  }

  size() {
    return { width: this.canvas.width, height: this.canvas.height };
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
    this.canvas.dispatchEvent(new Event("strokeend"));
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
    this.cover(from, to);
  }

  /** Grow the ink's box over a segment, its round caps included. */
  cover(from, to) {
    const half = this.lineWidth / 2;
    const ink = this.ink || { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
    this.ink = {
      left: Math.min(ink.left, from.x - half, to.x - half),
      top: Math.min(ink.top, from.y - half, to.y - half),
      right: Math.max(ink.right, from.x + half, to.x + half),
      bottom: Math.max(ink.bottom, from.y + half, to.y + half),
    };
  }
}

/**
 * [lo, hi] grown about its middle to at least `least` long, slid back within [0, limit] when the
 * growth crosses an edge (so a digit by the edge keeps its paper), then cut to it: whole pixels.
 */
function span(lo, hi, least, limit) {
  const grow = Math.max(0, least - (hi - lo)) / 2;
  let [a, b] = [lo - grow, hi + grow];
  if (grow && a < 0) [a, b] = [0, b - a];
  if (grow && b > limit) [a, b] = [a - (b - limit), limit];
  return [Math.max(0, Math.floor(a)), Math.min(limit, Math.ceil(b))];
}
