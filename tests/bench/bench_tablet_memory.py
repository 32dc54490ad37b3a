"""Benchmark (not a test): the tab's memory on a tablet's budget (400 MB), while reading photos and
while training the default CNN in the page.

    python tests/bench/bench_tablet_memory.py [--photos 5] [--epochs 1]

In the built page (Chromium, Pyodide 0.17.1) it counts what a tablet's browser must hold for the
tab: the page's JavaScript heap (CDP Performance.getMetrics, JSHeapTotalSize) and the WebAssembly
memory of each engine worker (the predictor, and the trainer once it runs), which holds Python,
NumPy and every array. It prints them after boot, after each 12-megapixel photo read, and the peak
sampled every half second while training on the 8,000 MNIST training digits.
"""
import argparse
import io
import os
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..", "..", "py"), os.path.join(HERE, "..", "browser")]

from built_page import ready_page  # noqa: E402

BUDGET_MB = 400
MB = 2.0 ** 20
WASM = "(engine) => engine.request('wasm_memory').then((r) => JSON.parse(r).result.bytes)"


def photo(seed):
    """A 4000x3000 JPEG of a number in dark ink on grey paper, as a phone takes one."""
    rng = np.random.default_rng(seed)
    picture = Image.fromarray(np.uint8(rng.normal(190, 12, (3000, 4000)).clip(0, 255)))
    pen = ImageDraw.Draw(picture)
    for i in range(3):
        x = 1100 + 650 * i
        pen.line([(x, 1100), (x + 420, 1100), (x + 150, 1900)], fill=40, width=90)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


class Meter:
    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def sample(self, trainer=False):
        """MB of (page JS heap, predictor wasm, trainer wasm)."""
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        heap = metrics["JSHeapTotalSize"] / MB
        predictor = self.page.evaluate(WASM, self.page.evaluate_handle("digitlab.engine")) / MB
        training = self.page.evaluate(WASM, self.page.evaluate_handle("digitlab.trainer()")) / MB if trainer else 0.0
        return heap, predictor, training


def line(label, sample):
    heap, predictor, trainer = sample
    return "%-34s page JS %5.0f MB + predictor %5.0f MB + trainer %5.0f MB = %5.0f MB (budget %d)" % (
        label, heap, predictor, trainer, sum(sample), BUDGET_MB)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    with ready_page(viewport={"width": 1024, "height": 768}, has_touch=True) as page:
        meter = Meter(page)
        print(line("after boot", meter.sample()), flush=True)
        for i in range(args.photos):
            before = page.evaluate("+document.querySelector('[data-testid=result]').dataset.answers")
            page.set_input_files('[data-testid="upload-image"]',
                                 files=[{"name": "photo%d.jpg" % i, "mimeType": "image/jpeg", "buffer": photo(i)}])
            page.wait_for_function("n => +document.querySelector('[data-testid=result]')?.dataset.answers > n",
                                   arg=before, timeout=60000)
            print(line("after photo %d (12 MP): %s" % (i + 1, page.locator('[data-testid="prediction"]').inner_text()),
                       meter.sample()), flush=True)
        page.select_option('[data-testid="train-model"]', "cnn")
        page.fill('[data-testid="train-epochs"]', str(args.epochs))
        page.click('[data-testid="train-start"]')
        peak = (0, 0, 0)
        started = time.perf_counter()
        while page.locator('[data-testid="evaluation"]').is_hidden():
            if time.perf_counter() - started > 1800:
                raise SystemExit("training did not end in 30 minutes")
            sample = meter.sample(trainer=True)
            peak = max(peak, sample, key=sum)
            time.sleep(0.5)
        print(line("training the CNN, peak", peak), flush=True)
        print(line("after training", meter.sample(trainer=True)), flush=True)
        print("peak within the budget: %s" % ("yes" if sum(peak) <= BUDGET_MB else "NO"), flush=True)


if __name__ == "__main__":
    main()
