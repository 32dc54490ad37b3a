"""Benchmark (not a test): peak training memory does not grow with the number of images.

    python tests/bench/bench_memory.py [--model codelab] [--repeat 5] [--only cpython,browser]

Trains one epoch on the MNIST train set as it is and repeated `--repeat` times
(a bigger uint8 store), and prints for each the size of the store and the
tracemalloc peak while training (NumPy reports its arrays to tracemalloc), twice:

  cpython  `fit` in this process;
  browser  the page's trainer worker (Pyodide, WebGL kernel where it pays), sent the
           store with load_data, then memory_trace_start, train_start (as bench_tfjs.py
           trains ours), and after the epoch memory_trace_stop. Its epoch also scores the
           2,000 test digits; its time leaves that scoring out.

The store is loaded before counting starts, so the peak is what training adds on
top of it: one float batch, the layers' caches, the weights and optimiser state,
and the epoch's shuffled order (8 bytes an image, the one part that grows with the
set). The browser's stores are written to build/bench/ for the page to fetch.
"""
import argparse
import json
import os
import sys
import time
import tracemalloc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "py"))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `python -m digitlab` runs (see its __main__)

import numpy as np  # noqa: E402

from digitlab.data.sources import MNIST_STORE  # noqa: E402
from digitlab.data.store import ImageSet, load_set, save_sets  # noqa: E402
from digitlab.nn.model import Sequential  # noqa: E402
from digitlab.nn.zoo import ARCHITECTURES  # noqa: E402
from digitlab.train import TrainConfig, fit  # noqa: E402

MB = 2.0 ** 20


def repeated(image_set, times):
    return ImageSet(np.concatenate([image_set.images] * times), np.concatenate([image_set.labels] * times),
                    image_set.label_names)


def peak_training_memory(image_set, model_name):
    """(bytes at the tracemalloc peak, seconds) for one epoch of `model_name` on `image_set`."""
    model = Sequential(ARCHITECTURES[model_name], (28, 28, 1), seed=0)
    started = time.perf_counter()
    tracemalloc.start()
    for _ in fit(model, image_set, TrainConfig(epochs=1)):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, time.perf_counter() - started


# One command to the page's trainer; `store`, when given, is fetched and sent as the command's bytes.
TRAINER_COMMAND = """async ({command, store}) => {
  const trainer = window.digitlab.trainer();
  const ready = JSON.parse(await trainer.ready);
  if (!ready.ok) throw new Error(ready.error.message);
  const bytes = store ? new Uint8Array(await (await fetch(store)).arrayBuffer()) : null;
  const reply = JSON.parse(await trainer.request(command, "{}", bytes));
  if (!reply.ok) throw new Error(`${command}: ${reply.error.message}`);
  return reply.result;
}"""


def browser_peaks(train, test, model_name, repeat):
    """[(images, store bytes, peak bytes, seconds)] for 1x and `repeat`x the train set, and the runtime's name."""
    from playwright.sync_api import sync_playwright

    from bench_tfjs import BENCH_DIR, BOOT_TIMEOUT_MS, READY, TRAIN_OURS, Watch, start_server
    from conftest import CHROMIUM, CHROMIUM_ARGS

    os.makedirs(BENCH_DIR, exist_ok=True)
    payload = {"architecture": model_name, "epochs": 1, "batch_size": TrainConfig().batch_size, "augment": False}
    server, base = start_server()
    watch, rows, runtime = Watch(), [], None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for times in (1, repeat):
            name = "mnist-x%d.npz" % times
            save_sets(os.path.join(BENCH_DIR, name), train=repeated(train, times), test=test)
            context, page = watch.page(browser)  # a fresh worker for each store
            page.goto(base)
            page.wait_for_function(READY, timeout=BOOT_TIMEOUT_MS)
            page.set_default_timeout(30 * 60 * 1000)
            page.evaluate(TRAINER_COMMAND, {"command": "load_data", "store": "bench/" + name})
            page.evaluate(TRAINER_COMMAND, {"command": "memory_trace_start", "store": None})
            trained = page.evaluate(TRAIN_OURS, json.dumps(payload))
            traced = page.evaluate(TRAINER_COMMAND, {"command": "memory_trace_stop", "store": None})
            context.close()
            images = trained["started"]["images"]
            rows.append((images, images * train.images[0].nbytes, traced["peak_bytes"],
                         sum(epoch["seconds"] for epoch in trained["epochs"])))
            runtime = trained["info"]["runtime"]["label"]
        browser.close()
    server.shutdown()
    if watch.external or watch.errors:
        sys.exit("PAGE PROBLEMS: external requests %s; console errors %s" % (watch.external, watch.errors))
    return rows, runtime


def cpython_peaks(train, model_name, repeat):
    rows = []
    for times in (1, repeat):
        image_set = repeated(train, times)
        peak, seconds = peak_training_memory(image_set, model_name)
        rows.append((len(image_set), image_set.images.nbytes, peak, seconds))
    return rows


def print_rows(title, rows, repeat):
    print(title)
    print("%-10s %9s %14s %19s %8s" % ("set", "images", "uint8 store", "peak in training", "time"))
    for (images, store, peak, seconds), times in zip(rows, (1, repeat)):
        print("%-10s %9d %11.1f MB %16.2f MB %7.1fs" % ("MNIST x%d" % times, images, store / MB, peak / MB, seconds))
    (n1, store1, peak1, _), (n2, store2, peak2, _) = rows
    print("%d more images: the uint8 store grew %.1f MB, the training peak %.2f MB (%.1f bytes an image)"
          % (n2 - n1, (store2 - store1) / MB, (peak2 - peak1) / MB, (peak2 - peak1) / float(n2 - n1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="codelab", choices=sorted(ARCHITECTURES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="cpython,browser")
    args = parser.parse_args()
    only = args.only.split(",")
    path = os.environ.get("DIGITLAB_MNIST", os.path.join(ROOT, MNIST_STORE))
    train, test = load_set(path, "train"), load_set(path, "test")
    setting = "one epoch of %r, batch %d" % (args.model, TrainConfig().batch_size)
    if "cpython" in only:
        print_rows("CPython %s, numpy %s: %s" % (sys.version.split()[0], np.__version__, setting),
                   cpython_peaks(train, args.model, args.repeat), args.repeat)
    if "browser" in only:
        rows, runtime = browser_peaks(train, test, args.model, args.repeat)
        print_rows("browser, the page's trainer (%s): %s, scoring the %d test digits at its end"
                   % (runtime, setting, len(test)), rows, args.repeat)


if __name__ == "__main__":
    main()
