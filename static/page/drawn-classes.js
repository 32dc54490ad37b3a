// Classes made by drawing: each class is a name and the drawings kept for it, as PNG files.
// The drawings stay in JavaScript (Blobs) until they are trained on or zipped, as a dropped
// folder's files do; the panel that shows them is drawn here, labels always as text.
"use strict";

const MARGIN = 16; // px of paper kept around the ink of a drawing

export class DrawnClasses {
  constructor(pad, target) {
    this.pad = pad;
    this.target = target; // where the classes, their thumbnails and buttons are shown
    this.classes = new Map(); // name -> [{blob, url}]
  }

  /** Add an empty class (the UI has checked its name: view.class_name_problem). */
  add(name) {
    this.classes.set(name, []);
    this.render();
  }

  /** Keep the pad's drawing, cropped to its ink, as an example of `name`; false when the pad is blank. */
  async keep(name) {
    const box = inkBox(this.pad.pixels());
    if (!box) return false;
    const crop = new OffscreenCanvas(box.width, box.height);
    crop.getContext("2d").drawImage(this.pad.canvas, box.x, box.y, box.width, box.height, 0, 0, box.width, box.height);
    const blob = await crop.convertToBlob({ type: "image/png" });
    this.classes.get(name).push({ blob, url: URL.createObjectURL(blob) });
    this.pad.clear();
    this.render();
    return true;
  }

  remove(name, index) {
    const [gone] = this.classes.get(name).splice(index, 1);
    URL.revokeObjectURL(gone.url);
    this.render();
  }

  /** {name: number of examples}, as JSON text for the UI. */
  counts() {
    return JSON.stringify(Object.fromEntries([...this.classes].map(([name, kept]) => [name, kept.length])));
  }

  /** The drawings as a folder's files: [{path: "drawn/<class>/<n>.png", file}]. */
  files() {
    return [...this.classes].flatMap(([name, kept]) =>
      kept.map(({ blob }, i) => ({ path: `drawn/${name}/${String(i + 1).padStart(3, "0")}.png`, file: blob })));
  }

  render() {
    const rows = [...this.classes].map(([name, kept]) => {
      const row = document.createElement("li");
      const title = document.createElement("strong");
      title.textContent = `${name} (${kept.length})`; // a name is text, never HTML
      const add = button(`Add the drawing to ${name}`, () => this.keep(name).then(() => this.changed()));
      add.dataset.testid = "class-keep";
      const thumbs = kept.map(({ url }, i) => {
        const figure = document.createElement("figure");
        const image = Object.assign(document.createElement("img"), { src: url, alt: `${name}, drawing ${i + 1}` });
        const drop = button("Remove", () => { this.remove(name, i); this.changed(); });
        drop.dataset.testid = "class-remove";
        figure.append(image, drop);
        return figure;
      });
      row.append(title, add, ...thumbs);
      return row;
    });
    this.target.replaceChildren(...rows);
  }

  changed() {
    this.target.dispatchEvent(new Event("classeschange"));
  }
}

function button(text, onClick) {
  const element = Object.assign(document.createElement("button"), { type: "button", textContent: text });
  element.addEventListener("click", onClick);
  return element;
}

/** The box around the ink (pixels darker than mid-grey) of {width, height, data}, with a margin; null if blank. */
function inkBox({ width, height, data }) {
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[4 * (y * width + x)] < 128) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  if (right < 0) return null;
  const x = Math.max(0, left - MARGIN);
  const y = Math.max(0, top - MARGIN);
  return { x, y, width: Math.min(width, right + MARGIN + 1) - x, height: Math.min(height, bottom + MARGIN + 1) - y };
}
