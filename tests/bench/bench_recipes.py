"""Benchmark (not a test): choose the default model's recipe on held-out *training* digits.

    python tests/bench/bench_recipes.py [--recipes cnn-12,cnn-30,wide-20] [--seeds 0]

The last 160 training digits of each label are held out; each recipe trains on the other
6,400 and is scored on those 1,600, singly and as numbers composed from them (the digits of a
number are only as right as the worst of them). The test split is never looked at: the
recipe chosen here is then trained on all 8,000 training digits by build.py.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..", "..", "py")]

import numpy as np  # noqa: E402

from digitlab.data.store import ImageSet  # noqa: E402
from digitlab.model_file import load_model, model_bytes  # noqa: E402
from digitlab.nn.model import Sequential  # noqa: E402
from digitlab.nn.zoo import architecture  # noqa: E402
from digitlab.recognise import recognise_image  # noqa: E402
from digitlab.train import TrainConfig, evaluate, fit  # noqa: E402
from tests.sets.numbers import compose, load_digits, render_clean  # noqa: E402

HELD_OUT_PER_LABEL = 160
RECIPES = {  # name -> (architecture, TrainConfig settings)
    "cnn-12": ("cnn", {"epochs": 12}),
    "cnn-30": ("cnn", {"epochs": 30}),
    "wide-20": ("wide", {"epochs": 20}),
    "wide-30": ("wide", {"epochs": 30}),
    "wide-20-warp": ("wide", {"epochs": 20, "warp": 1.5}),
    "wide-30-warp": ("wide", {"epochs": 30, "warp": 1.5}),
    "wide-30-warp2.5": ("wide", {"epochs": 30, "warp": 2.5}),
    "wide-45-warp": ("wide", {"epochs": 45, "warp": 1.5}),
}


def split_training_digits():
    images, labels = load_digits("train")
    held = np.concatenate([np.flatnonzero(labels == d)[-HELD_OUT_PER_LABEL:] for d in range(10)])
    kept = np.setdiff1d(np.arange(len(labels)), held)
    names = [str(d) for d in range(10)]
    return ImageSet(images[kept], labels[kept], names), ImageSet(images[held], labels[held], names)


def composed_numbers(held_out, count=300, seed=3):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        picks = rng.integers(0, len(held_out), int(rng.integers(2, 9)))
        ink = compose([held_out.images[i] for i in picks], int(rng.choice([32, 64, 120])), rng.random() < 0.2, rng)
        out.append((render_clean(ink), "".join(str(held_out.labels[i]) for i in picks)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--seeds", default="0")
    args = parser.parse_args()
    train, held_out = split_training_digits()
    numbers = composed_numbers(held_out)
    print("%-10s %5s %10s %10s %12s %10s" % ("recipe", "seed", "digits", "numbers", "params", "train s"), flush=True)
    for name in args.recipes.split(","):
        kind, settings = RECIPES[name]
        for seed in [int(s) for s in args.seeds.split(",")]:
            model = Sequential(architecture(kind, 10), (28, 28, 1), seed=seed)
            started = time.perf_counter()
            for _ in fit(model, train, TrainConfig(seed=seed, **settings)):
                pass
            seconds = time.perf_counter() - started
            digits = evaluate(model, held_out)["accuracy"]
            saved = load_model(model_bytes(model, held_out.label_names, name=kind))
            exact = np.mean([recognise_image(saved, data)["text"] == text for data, text in numbers])
            print("%-10s %5d %9.2f%% %9.1f%% %12d %10.0f" % (name, seed, 100 * digits, 100 * exact,
                                                             model.count_params(), seconds), flush=True)


if __name__ == "__main__":
    main()
