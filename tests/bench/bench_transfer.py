"""Benchmark (not a test): one's own classes from a few examples, with and without transfer learning.

    python tests/bench/bench_transfer.py [--shots 2,3,5,30] [--seeds 0,1,2] [--base MODEL]

Our own folders (tests/sets/classes.py): ten letters (typed in several fonts and drawn as pen
strokes) and eight drawn shapes, 40 pictures a class for training and a separate 40 a class to
validate on, written as folders and read the way `train --data DIR` reads them. For each number of
examples a class, a different few each seed, it prints the validation accuracy of a head trained on
the built-in feature network's features (the default; data/glyphs.py: these classes are not among
those it was taught to name) and of the default CNN trained from scratch, with
the training time in CPython, and the peak memory of caching 120 and 1,200 images' features.
With --page it also trains the letters, 30 a class, in the built page (Chromium, Pyodide 0.17.1):
the time from "Start training" to the evaluation shown, with the page's default epochs.
"""
import argparse
import os
import sys
import tempfile
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..", "..", "py"), os.path.join(HERE, "..", "browser")]

import numpy as np  # noqa: E402

from digitlab.cli import FEATURE_MODEL  # noqa: E402
from digitlab.data.folder import read_folder  # noqa: E402
from digitlab.data.store import match_labels  # noqa: E402
from digitlab.model_file import load_model  # noqa: E402
from digitlab.nn.model import Sequential  # noqa: E402
from digitlab.nn.zoo import DEFAULT, architecture  # noqa: E402
from digitlab.train import TrainConfig, evaluate, fit  # noqa: E402
from digitlab.transfer import copies_for, features, fit_head, with_new_head  # noqa: E402
from tests.sets.classes import KINDS, class_pictures, write_folder  # noqa: E402

PER_CLASS = 40
SCRATCH_EPOCHS = 20  # what the "from scratch" figure needed for 100 % on its own set


def ignore(path, reason):
    pass


def folders(kind, root):
    train = read_folder(write_folder(os.path.join(root, kind, "train"), class_pictures(kind, PER_CLASS, 1)), ignore)
    val = read_folder(write_folder(os.path.join(root, kind, "val"), class_pictures(kind, PER_CLASS, 2)), ignore)
    return train, match_labels(val, train.label_names)


def few(train, shots, seed):
    """`shots` random pictures of each class."""
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(train.labels == k), shots, replace=False) for k in range(len(train.label_names))]
    return train.subset(np.sort(np.concatenate(picked)))


def with_transfer(base, train, val, seed):
    model = with_new_head(base, train.label_names, seed=seed)
    for _ in fit_head(model, train, seed=seed):
        pass
    return evaluate(model, val)["accuracy"]


def from_scratch(base, train, val, seed):
    model = Sequential(architecture(DEFAULT, len(train.label_names)), (28, 28, 1), seed=seed)
    for _ in fit(model, train, TrainConfig(epochs=SCRATCH_EPOCHS, seed=seed)):
        pass
    return evaluate(model, val)["accuracy"]


def timed(run, *args):
    started = time.perf_counter()
    accuracy = run(*args)
    return accuracy, time.perf_counter() - started


def feature_memory(base, train, count):
    """Peak bytes Python holds while caching the features of `count` images (with their copies)."""
    images = train.subset(np.arange(count) % len(train))
    model = with_new_head(base, train.label_names)
    (feature_size,) = model.shapes[model.frozen]
    tracemalloc.start()
    for event in features(model, images, copies_for(count, feature_size), 0):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, event["total"] * feature_size * 4


def in_the_page(root):
    """Seconds from "Start training" to the evaluation, and the accuracy shown, for the folder `root`."""
    from built_page import ready_page

    with ready_page() as page:
        page.set_input_files('[data-testid="folder-input"]', root)
        page.wait_for_function("document.querySelector('[data-testid=data-line]')?.textContent.includes('folder')",
                               timeout=180000)
        page.check('[data-testid="train-transfer"]')
        started = time.perf_counter()
        page.click('[data-testid="train-start"]')
        page.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=300000)
        seconds = time.perf_counter() - started
        return seconds, page.locator('[data-testid="test-accuracy"]').inner_text()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shots", default="2,3,5,30")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--base", default=FEATURE_MODEL, help="the model file whose features are transferred "
                                                              "(default: the built-in feature network; --page "
                                                              "always starts from the built page's)")
    parser.add_argument("--page", action="store_true", help="also train 30 letters a class in the page")
    args = parser.parse_args()
    base = load_model(args.base).model
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as root:
        for kind in args.kinds.split(","):
            train, val = folders(kind, root)
            print("%s: %d classes, validated on %d pictures; mean over seeds %s" % (
                kind, len(train.label_names), len(val), seeds), flush=True)
            for shots in [int(s) for s in args.shots.split(",")]:
                row = []
                for name, run in (("transfer", with_transfer), ("scratch", from_scratch)):
                    results = [timed(run, base, few(train, shots, seed), val, seed) for seed in seeds]
                    accuracy, seconds = np.mean(results, axis=0)
                    row.append("%s %.1f%% in %.2f s" % (name, 100 * accuracy, seconds))
                print("  %2d a class: %s" % (shots, "   ".join(row)), flush=True)
        for count in (120, 1200):
            peak, cache = feature_memory(base, train, count)
            print("feature cache for %d images: peak %.1f MB (the cache itself %.1f MB)" % (count, peak / 2 ** 20,
                                                                                          cache / 2 ** 20), flush=True)
        if args.page:
            folder = write_folder(os.path.join(root, "page", "letters"), class_pictures("letters", 30, 1))
            seconds, shown = in_the_page(folder)
            print("in the page, 30 letters a class (24 trained, 6 held out): %.1f s from Start to the evaluation; %s"
                  % (seconds, shown), flush=True)


if __name__ == "__main__":
    main()
