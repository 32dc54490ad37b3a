"""Benchmark (not a test): train the default model exactly as `python build.py` does, in CPython.

    python tests/bench/bench_train_cpython.py

Runs `python -m digitlab train --data mnist` with build.py's TRAIN_ARGS and
prints the wall time of the whole command (start-up, data, every epoch and its
validation, saving), training images per second and the accuracy on the 2,000
MNIST test digits. The store must exist (build/data/mnist.npz, made by build.py).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, ROOT)

from build import TRAIN_ARGS  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "digitlab", "train", "--data", "mnist",
                   "--out", os.path.join(folder, "model.npz"), "--json"] + TRAIN_ARGS
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "py"))
        started = time.perf_counter()
        run = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, universal_newlines=True, check=True)
        wall = time.perf_counter() - started
    events = [json.loads(line) for line in run.stdout.splitlines()]
    epochs, summary = events[:-1], events[-1]
    images = sum(e["images_per_second"] * e["seconds"] for e in epochs)
    print("command       python -m digitlab train --data mnist --out MODEL " + " ".join(TRAIN_ARGS))
    print("wall time     %.1f s (%d epochs, %.1f s in training steps)"
          % (wall, len(epochs), sum(e["seconds"] for e in epochs)))
    print("images/s      %.0f over the whole command, %.0f in training steps"
          % (images / wall, images / sum(e["seconds"] for e in epochs)))
    print("test accuracy %.4f on %d MNIST test digits" % (summary["accuracy"], summary["test_images"]))


if __name__ == "__main__":
    main()
