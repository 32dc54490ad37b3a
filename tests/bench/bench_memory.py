"""Benchmark (not a test): peak training memory does not grow with the number of images.

    python tests/bench/bench_memory.py [--model codelab] [--repeat 5]

Trains one epoch on the MNIST train set as it is and repeated `--repeat`
times (a bigger uint8 store), and prints for each the size of the store and
the tracemalloc peak while training. The store is made before tracing starts,
so the peak is what training adds on top of it: one float batch, the layers'
caches, the weights and optimiser state, and the epoch's shuffled order
(8 bytes an image, the one part that grows with the set).
"""
import argparse
import os
import sys
import time
import tracemalloc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "py"))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `python -m digitlab` runs (see its __main__)

import numpy as np  # noqa: E402

from digitlab.data.sources import MNIST_STORE  # noqa: E402
from digitlab.data.store import ImageSet, load_set  # noqa: E402
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="codelab", choices=sorted(ARCHITECTURES))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    store = load_set(os.environ.get("DIGITLAB_MNIST", os.path.join(ROOT, MNIST_STORE)), "train")
    print("one epoch of %r, batch %d" % (args.model, TrainConfig().batch_size))
    print("%-10s %9s %14s %19s %8s" % ("set", "images", "uint8 store", "peak in training", "time"))
    rows = []
    for times in (1, args.repeat):
        image_set = repeated(store, times)
        peak, seconds = peak_training_memory(image_set, args.model)
        rows.append((len(image_set), image_set.images.nbytes, peak))
        print("%-10s %9d %11.1f MB %16.2f MB %7.1fs"
              % ("MNIST x%d" % times, len(image_set), image_set.images.nbytes / MB, peak / MB, seconds))
    (n1, store1, peak1), (n2, store2, peak2) = rows
    print("%d more images: the uint8 store grew %.1f MB, the training peak %.2f MB (%.1f bytes an image)"
          % (n2 - n1, (store2 - store1) / MB, (peak2 - peak1) / MB, (peak2 - peak1) / float(n2 - n1)))


if __name__ == "__main__":
    main()
