"""Benchmark (not a test): choose the default model's recipe on held-out *training* digits.

    python tests/bench/bench_recipes.py [--recipes wide-30-warp,wide-30-all] [--seeds 0]
                                        [--moves "none 0:1,0:-1"]

The last 160 training digits of each label are held out; each recipe trains on the other
6,400 (less the tenth it holds out to calibrate its confidence on, where it calibrates) and is
scored on those 1,600: as 28x28 digits, as single digits photographed or written with a marker,
and as numbers composed from them, clean and photographed (a number is only as right as the
worst of its digits). Non-digits drawn afresh (and typed in fonts) score how often the model
says "?" to what is not a digit, and the held-out digits how often it wrongly says "?" to a
digit, at several thresholds. With --moves, the pictures are read once per set of moves given
(recognise.MOVES: a doubtful digit read again moved by each, the readings' logits averaged), each
set a list of rows:columns, or "none" for one reading. The test split is never looked at: the recipe chosen here is
then trained on all 8,000 training digits by build.py.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..", "..", "py")]

import numpy as np  # noqa: E402

from digitlab.calibrate import calibration_logits, fit_temperature  # noqa: E402
from digitlab.data.nondigits import DRAWN_KINDS, TRAINED_KINDS, with_nondigits  # noqa: E402
from digitlab.data.store import ImageSet, split_off  # noqa: E402
from digitlab.model_file import load_model, model_bytes  # noqa: E402
from digitlab.nn.model import Sequential  # noqa: E402
from digitlab.nn.zoo import architecture  # noqa: E402
from digitlab import recognise  # noqa: E402
from digitlab.recognise import THRESHOLD, recognise_image  # noqa: E402
from digitlab.train import TrainConfig, evaluate, fit  # noqa: E402
from tests.sets.nondigits import highest_confidence, nondigit_pictures  # noqa: E402
from tests.sets.numbers import load_digits, numbers  # noqa: E402

HELD_OUT_PER_LABEL = 160
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8)
# name -> (architecture, TrainConfig settings, (non-digits, their kinds), calibration share). The kinds:
# DRAWN_KINDS (every recipe before typed ones were tried) or TRAINED_KINDS (typed too).
RECIPES = {
    "cnn-12": ("cnn", {"epochs": 12}, (0, DRAWN_KINDS), 0.1),
    "wide-30-warp": ("wide", {"epochs": 30, "warp": 1.5}, (0, DRAWN_KINDS), 0.1),
    "wide-30-photo": ("wide", {"epochs": 30, "warp": 1.5, "photo": 0.5}, (0, DRAWN_KINDS), 0.1),
    "wide-30-reject": ("wide", {"epochs": 30, "warp": 1.5}, (2000, DRAWN_KINDS), 0.1),
    "wide-30-all": ("wide", {"epochs": 30, "warp": 1.5, "photo": 0.5}, (2000, DRAWN_KINDS), 0.1),
    "wide-30-all-4k": ("wide", {"epochs": 30, "warp": 1.5, "photo": 0.5}, (4000, DRAWN_KINDS), 0.1),
    "wide-30-all-3k": ("wide", {"epochs": 30, "warp": 1.5, "photo": 0.5}, (3000, DRAWN_KINDS), 0.1),
    "wide-45-all-3k": ("wide", {"epochs": 45, "warp": 1.5, "photo": 0.5}, (3000, DRAWN_KINDS), 0.1),
    "wide-45-all-3k-typed": ("wide", {"epochs": 45, "warp": 1.5, "photo": 0.5}, (3000, TRAINED_KINDS), 0.1),
    "wide-45-all-3.6k-typed": ("wide", {"epochs": 45, "warp": 1.5, "photo": 0.5}, (3600, TRAINED_KINDS), 0.1),
    "deep-45-all-3.6k-typed": ("deep", {"epochs": 45, "warp": 1.5, "photo": 0.5}, (3600, TRAINED_KINDS), 0.1),  # build.py's
    "wide-60-all-3k": ("wide", {"epochs": 60, "warp": 1.5, "photo": 0.5}, (3000, DRAWN_KINDS), 0.1),
    "wide-30-all-3k-photo0.3": ("wide", {"epochs": 30, "warp": 1.5, "photo": 0.3}, (3000, DRAWN_KINDS), 0.1),
    "cnn-12-all": ("cnn", {"epochs": 12, "warp": 1.5, "photo": 0.5}, (2000, DRAWN_KINDS), 0.1),
}


def split_training_digits():
    images, labels = load_digits("train")
    held = np.concatenate([np.flatnonzero(labels == d)[-HELD_OUT_PER_LABEL:] for d in range(10)])
    kept = np.setdiff1d(np.arange(len(labels)), held)
    names = [str(d) for d in range(10)]
    return ImageSet(images[kept], labels[kept], names), ImageSet(images[held], labels[held], names)


def pictures(held_out):
    """The held-out digits' pictures: name -> [(bytes, text)]."""
    pool = (held_out.images, held_out.labels)
    made = {
        "photo 1": numbers(pool, 300, seed=11, style="photo", lengths=[1]),
        "thick 1": numbers(pool, 300, seed=12, style="thick", lengths=[1]),
        "clean 2-8": numbers(pool, 300, seed=13, style="clean"),
        "photo 2-6": numbers(pool, 200, seed=14, style="photo", lengths=range(2, 7)),
    }
    sets = {name: [(n.data, n.text) for n in made_set] for name, made_set in made.items()}
    sets["non-digits"] = [(p.data, None) for p in nondigit_pictures(150, 21, "clean", "drawn")
                          + nondigit_pictures(150, 22, "photo", "drawn") + nondigit_pictures(150, 23, "clean", "printed")]
    return sets


def score(saved, sets):
    """Share of each set read right (a non-digit is right when no digit is read in it)."""
    out = {}
    for name, items in sets.items():
        texts = [(recognise_image(saved, data)["text"], truth) for data, truth in items]
        out[name] = np.mean([(text.strip("?") == "" if truth is None else text == truth) for text, truth in texts])
    return out


def train(name, seed, train_set):
    kind, settings, (strays, kinds), share = RECIPES[name]
    rest, calibration = split_off(train_set, share, seed)
    if strays:
        rest = with_nondigits(rest, strays, seed, kinds)
    model = Sequential(architecture(kind, 10), (28, 28, 1), seed=seed)
    # Compared under cosine decay, the schedule build.py trains the built-in model with.
    config = TrainConfig(seed=seed, schedule="cosine", **settings)
    for _ in fit(model, rest, config):
        pass
    temperature = fit_temperature(*calibration_logits(model, calibration, config))
    return load_model(model_bytes(model, train_set.label_names, name=kind, temperature=temperature))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--save", metavar="DIR", help="also keep each model trained, as DIR/RECIPE-SEED.npz")
    parser.add_argument("--moves", help="sets of moves to read the pictures with, space-separated, each "
                                        "rows:columns,... or none (default: recognise.MOVES)")
    args = parser.parse_args()
    readings = [_moves(text) for text in args.moves.split()] if args.moves else [recognise.MOVES]
    train_set, held_out = split_training_digits()
    sets = pictures(held_out)
    print("digits: held-out 28x28 accuracy; rejected: held-out digits read ? at %s; then each set read right; "
          "rejection of non-digits and of digits at thresholds %s" % (THRESHOLD, THRESHOLDS), flush=True)
    for name in args.recipes.split(","):
        for seed in [int(s) for s in args.seeds.split(",")]:
            started = time.perf_counter()
            saved = train(name, seed, train_set)
            seconds = time.perf_counter() - started
            if args.save:
                with open(os.path.join(args.save, "%s-%d.npz" % (name, seed)), "wb") as f:
                    f.write(model_bytes(saved.model, saved.labels, name=saved.name, temperature=saved.temperature))
            digits = evaluate(saved.model, held_out)["accuracy"]
            top = saved.predict_proba(held_out.images[..., None].astype(np.float32) / 255).max(axis=1)
            print("%-16s seed %d  T %.2f  digits %.2f%%  rejected %.2f%%  (%.0f s)" % (
                name, seed, saved.temperature, 100 * digits, 100 * np.mean(top < THRESHOLD), seconds), flush=True)
            for moves in readings:
                recognise.MOVES = moves
                print("    read with moves %s: %s" % (" ".join("%d:%d" % m for m in moves) or "none", "  ".join(
                    "%s %.1f%%" % (k, 100 * v) for k, v in score(saved, sets).items())), flush=True)
            recognise.MOVES = readings[0]
            nondigit_top = _nondigit_confidence(saved, sets["non-digits"])
            print("    threshold " + "  ".join("%.1f: non-digits %.1f%% digits %.2f%%" % (
                t, 100 * np.mean(nondigit_top < t), 100 * np.mean(top < t)) for t in THRESHOLDS), flush=True)


def _moves(text):
    """"0:1,0:-1" -> ((0, 1), (0, -1)); "none" -> ()"""
    return () if text == "none" else tuple(tuple(int(v) for v in pair.split(":")) for pair in text.split(","))


def _nondigit_confidence(saved, items):
    """Per non-digit picture, the highest confidence of any digit read in it (0 when none is found)."""
    return np.array([highest_confidence(recognise_image(saved, data)) for data, _ in items])


if __name__ == "__main__":
    main()
