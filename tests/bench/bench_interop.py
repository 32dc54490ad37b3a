"""Benchmark (not a test): do the tools we export to compute what digitlab computes?

    python tests/bench/bench_interop.py [--count 2000]

On the built-in model and the first `--count` test digits, prints for each way out the largest
difference in any class probability from ours, the share of digits given the same answer, and the
file's size: ONNX Runtime on `digitlab export` (float32 and float16 weights), TensorFlow.js 4.22
on `digitlab export --format tfjs` in Chromium (its CPU and WebGL backends), and the model that
`digitlab import` makes of the ONNX file (the round trip).
"""
import argparse
import os
import sys
import tempfile
import threading

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..", "browser")]

import build  # noqa: E402
import onnxruntime  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from digitlab.interop.onnx_export import INPUT, onnx_bytes  # noqa: E402
from digitlab.interop.onnx_import import import_onnx  # noqa: E402
from digitlab.model_file import load_model  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.unit.exported import TFJS_PREDICT, digits, tfjs_site  # noqa: E402


def onnx_runtime(data, images):
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {INPUT: images.transpose(0, 3, 1, 2)})[0]


def tfjs(model_path, images, site):
    """TensorFlow.js's answers, {backend: probabilities}."""
    tfjs_site(site, {"model": model_path})
    server = build.make_server(port=0, directory=site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    answers = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto("http://127.0.0.1:%d/" % server.server_port)
        for backend in ("cpu", "webgl"):
            found = page.evaluate(TFJS_PREDICT, {"names": ["model"], "images": images.ravel().tolist(),
                                                 "count": len(images), "backend": backend})
            answers[backend] = np.array(found["model"], np.float32).reshape(len(images), -1)
        browser.close()
    server.shutdown()
    return answers


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    model_path = os.path.join(build.OUT, build.MODEL)
    saved = load_model(model_path)
    images, _ = digits(args.count)
    ours = saved.predict_proba(images)
    full, half = onnx_bytes(saved), onnx_bytes(saved, float16=True)
    rows = [("ONNX Runtime, float32 weights", onnx_runtime(full, images), len(full)),
            ("ONNX Runtime, float16 weights", onnx_runtime(half, images), len(half)),
            ("digitlab import of the ONNX file", load_model(import_onnx(full)).predict_proba(images), None)]
    with tempfile.TemporaryDirectory() as site:
        answers = tfjs(model_path, images, site)
        size = sum(os.path.getsize(os.path.join(site, "model", name)) for name in os.listdir(os.path.join(site, "model")))
        rows += [("TensorFlow.js 4.22, %s backend" % backend, answer, size)
                 for backend, answer in answers.items()]
    print("the built-in model (%s, %d bytes) on %d test digits, against digitlab's own probabilities"
          % (saved.name, os.path.getsize(model_path), len(images)))
    print("%-36s%16s%14s%12s" % ("way out", "max |diff|", "same answer", "file bytes"))
    for name, theirs, size in rows:
        same = (theirs.argmax(1) == ours.argmax(1)).mean()
        print("%-36s%16.2e%13.2f%%%12s" % (name, np.abs(theirs - ours).max(), 100 * same, size or "-"))


if __name__ == "__main__":
    main()
