// What the training panel draws: live curves (uPlot), a confusion matrix and digit galleries.
/* global uPlot, Reply */
"use strict";

const SIDE = 28;

const MAX_CHART_WIDTH = 520;
const chartWidth = (target) => Math.min(target.clientWidth || 420, MAX_CHART_WIDTH);

function curveChart(target, title, series) {
  const opts = {
    title, width: chartWidth(target), height: 200,
    scales: { x: { time: false } },
    series: [{ label: title.startsWith("Per batch") ? "step" : "epoch" }].concat(series),
    axes: [{}, { size: 50 }],
  };
  return new uPlot(opts, [[]].concat(series.map(() => [])), target);
}

/** uPlot draws at a fixed width: follow the card when a tablet turns or a window narrows. */
function fitWidth(chart, target) {
  if (chart.width !== chartWidth(target)) chart.setSize({ width: chartWidth(target), height: chart.height });
}

/** Loss and accuracy per batch and per epoch, fed with the trainer's step replies. */
export class TrainingCharts {
  constructor(batchTarget, epochTarget) {
    this.batchTarget = batchTarget;
    this.epochTarget = epochTarget;
    this.reset();
    const resized = new ResizeObserver(() => {
      fitWidth(this.batchChart, this.batchTarget);
      fitWidth(this.epochChart, this.epochTarget);
    });
    resized.observe(batchTarget);
    resized.observe(epochTarget);
  }

  reset() {
    this.batchTarget.replaceChildren();
    this.epochTarget.replaceChildren();
    this.batches = [[], [], []];
    this.epochs = [[], [], [], [], []];
    this.batchChart = curveChart(this.batchTarget, "Per batch", [
      { label: "loss", stroke: "#dc2626" }, { label: "accuracy", stroke: "#2563eb" }]);
    this.epochChart = curveChart(this.epochTarget, "Per epoch", [
      { label: "loss", stroke: "#dc2626" }, { label: "accuracy", stroke: "#2563eb" },
      { label: "val loss", stroke: "#f97316", dash: [6, 4] }, { label: "val accuracy", stroke: "#16a34a", dash: [6, 4] }]);
  }

  /** Append one step reply's events ({"batches": [...], "epochs": [...]}). */
  add(stepJSON) {
    const step = JSON.parse(stepJSON);
    for (const b of step.batches) {
      this.batches[0].push(b.step);
      this.batches[1].push(b.loss);
      this.batches[2].push(b.accuracy);
    }
    for (const e of step.epochs) {
      this.epochs[0].push(e.epoch + 1);
      this.epochs[1].push(e.loss);
      this.epochs[2].push(e.accuracy);
      this.epochs[3].push(e.val_loss ?? null); // null: a gap (no images to validate on)
      this.epochs[4].push(e.val_accuracy ?? null);
    }
    this.batchChart.setData(this.batches);
    if (step.epochs.length) this.epochChart.setData(this.epochs);
  }

  points() {
    return { batches: this.batches[0].length, epochs: this.epochs[0].length };
  }
}

/** Where the charts could not start: the same calls, and the reason where the curves would be. */
export class NoCharts {
  constructor(target, reason) {
    const note = document.createElement("p");
    note.dataset.testid = "charts-missing";
    note.textContent = reason;
    target.replaceChildren(note);
  }

  reset() {}

  add() {}

  points() {
    return { batches: 0, epochs: 0 };
  }
}

function digitCanvas(base64) {
  const bytes = Reply.bytes(base64);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = SIDE;
  const image = canvas.getContext("2d").createImageData(SIDE, SIDE);
  bytes.forEach((v, i) => {
    image.data.set([255 - v, 255 - v, 255 - v, 255], 4 * i);
  });
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

/** A gallery of 28x28 digits; each item {pixels: base64, caption: text}. Captions are text, never HTML. */
export function drawGallery(target, itemsJSON) {
  const figures = JSON.parse(itemsJSON).map(({ pixels, caption }) => {
    const figure = document.createElement("figure");
    const text = document.createElement("figcaption");
    text.textContent = caption;
    figure.append(digitCanvas(pixels), text);
    return figure;
  });
  target.replaceChildren(...figures);
}

/** The confusion matrix as a table (rows: truth, columns: prediction), shaded by row share. */
export function drawConfusion(target, labelsJSON, confusionJSON) {
  const labels = JSON.parse(labelsJSON);
  const rows = JSON.parse(confusionJSON);
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  head.insertCell().textContent = "truth \\ predicted";
  for (const label of labels) head.insertCell().textContent = label;
  const body = table.createTBody();
  rows.forEach((counts, i) => {
    const row = body.insertRow();
    row.insertCell().textContent = labels[i];
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    counts.forEach((n, j) => {
      const cell = row.insertCell();
      cell.textContent = n;
      const share = n / total;
      cell.style.background = i === j ? `rgba(22, 163, 74, ${share})` : `rgba(220, 38, 38, ${Math.min(1, 4 * share)})`;
    });
  });
  target.replaceChildren(table);
}
