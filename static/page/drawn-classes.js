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
    const box = this.pad.inkBox(MARGIN);
    if (!box) return false;
    const crop = new OffscreenCanvas(box.width, box.height);
    crop.getContext("2d").drawImage(this.pad.canvas, box.left, box.top, box.width, box.height, 0, 0, box.width, box.height);
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
      const add = button(`Add the drawing to ${name}`, () => this.keep(name).then((kept) => this.changed({ blank: !kept }),
        (err) => this.changed({ problem: `The drawing could not be kept (${err.message || err}); it is still on the pad.` })));
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

  /** Tell the UI the classes changed, or that nothing was kept: the pad was `blank`, or a `problem` said why. */
  changed({ blank = false, problem = "" } = {}) {
    this.target.dispatchEvent(new CustomEvent("classeschange", { detail: { blank, problem } }));
  }
}

function button(text, onClick) {
  const element = Object.assign(document.createElement("button"), { type: "button", textContent: text });
  element.addEventListener("click", onClick);
  return element;
}

