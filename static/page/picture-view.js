// What the drawing card shows: the drawing pad, or an uploaded picture in its place.
// Digit boxes are laid over either one by the UI (py/ui/results.py).
"use strict";

export class PictureView {
  constructor(stage) {
    this.stage = stage;
    this.image = stage.querySelector("img");
    this.canvas = stage.querySelector("canvas");
    this.url = null;
  }

  /** Show `file` in place of the drawing; resolves to JSON text: [width, height], or null when the browser cannot show it. */
  async show(file) {
    this.forget();
    this.url = URL.createObjectURL(file);
    this.image.src = this.url;
    try {
      await this.image.decode();
    } catch (err) {
      this.showDrawing(); // the engine's reply says what is wrong with the file
      return "null";
    }
    this.canvas.hidden = true;
    this.image.hidden = false;
    this.stage.classList.add("picture");
    return JSON.stringify([this.image.naturalWidth, this.image.naturalHeight]);
  }

  showDrawing() {
    this.forget();
    this.image.hidden = true;
    this.canvas.hidden = false;
    this.stage.classList.remove("picture");
  }

  forget() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.image.removeAttribute("src");
  }
}
