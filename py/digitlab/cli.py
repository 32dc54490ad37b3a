"""Command line: python -m digitlab predict|train|eval."""
import argparse
import json
import os
import sys

from .errors import DigitlabError
from .model_file import load_model, save_model

DEFAULT_MODEL = os.path.join("build", "models", "default.npz")
DEFAULT_MNIST = os.path.join("build", "data", "mnist.npz")


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except DigitlabError as err:
        print("digitlab: %s" % err, file=sys.stderr)
        return 1


def _parser():
    parser = argparse.ArgumentParser(prog="digitlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    predict = commands.add_parser("predict", help="recognise the digit in image files")
    predict.add_argument("files", nargs="+", metavar="FILE")
    predict.add_argument("--model", default=os.environ.get("DIGITLAB_MODEL", DEFAULT_MODEL))
    predict.add_argument("--json", action="store_true", help="one JSON object per file and line")
    predict.set_defaults(run=_predict)

    train = commands.add_parser("train", help="train a model")
    train.add_argument("--data", default="mnist", help="mnist, or a .npz image store")
    train.add_argument("--out", required=True)
    train.add_argument("--model", default="cnn", help="architecture: logreg, mlp, codelab, cnn")
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--lr", type=float, default=2e-3)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--float16", action="store_true", help="store weights as float16 (half the size)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("eval", help="score a model on a labelled set")
    evaluate.add_argument("--model", default=os.environ.get("DIGITLAB_MODEL", DEFAULT_MODEL))
    evaluate.add_argument("--data", default="mnist-test", help="mnist-test, or a .npz image store")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(run=_eval)
    return parser


def _read_model(path):
    if not os.path.isfile(path):  # a folder would make open() fail with a traceback
        raise DigitlabError("no model at %s (run `python build.py` or pass --model)" % path)
    with open(path, "rb") as f:
        return load_model(f.read())


def _predict(args):
    from .recognise import recognise_image

    saved = _read_model(args.model)
    failures = 0
    for path in args.files:
        try:
            with open(path, "rb") as f:
                result = recognise_image(saved, f.read())
        except (OSError, DigitlabError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else err
            print("digitlab: %s: %s" % (path, reason), file=sys.stderr)
            failures += 1
            continue
        if args.json:
            print(json.dumps(dict(file=path, **result)))
        else:
            best = result["digits"][0]
            print("%s: %s (%.1f%%)" % (path, result["text"], 100 * best["confidence"]))
    return 1 if failures else 0


def _load_set(data, split):
    from .data.store import load_set

    path = os.environ.get("DIGITLAB_MNIST", DEFAULT_MNIST) if data.startswith("mnist") else data
    if not os.path.exists(path):
        raise DigitlabError("no data set at %s (run `python build.py` to make the MNIST store)" % path)
    return load_set(path, split)


def _train(args):
    from .nn.model import Sequential
    from .nn.zoo import ARCHITECTURES
    from .train import TrainConfig, evaluate, fit

    if args.model not in ARCHITECTURES:
        raise DigitlabError("unknown model %r; choose from %s" % (args.model, ", ".join(ARCHITECTURES)))
    train_set, test_set = _load_set(args.data, "train"), _load_set(args.data, "test")
    config = TrainConfig(batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    if args.epochs is not None:
        config.epochs = args.epochs
    model = Sequential(ARCHITECTURES[args.model], train_set.images.shape[1:] + (1,), seed=args.seed)
    for event in fit(model, train_set, config, val_set=test_set):
        if event["event"] == "epoch" and not args.json:
            print("epoch %(epoch)d  loss %(loss).4f  acc %(accuracy).4f  val_acc %(val_accuracy).4f  "
                  "%(seconds).1fs  %(images_per_second).0f img/s" % event, flush=True)
    scores = evaluate(model, test_set)
    metrics = {"test_accuracy": scores["accuracy"], "train_config": config.as_dict()}
    save_model(args.out, model, train_set.label_names, name=args.model,
               weights_dtype="float16" if args.float16 else "float32", metrics=metrics)
    summary = {"out": args.out, "model": args.model, "accuracy": scores["accuracy"]}
    print(json.dumps(summary) if args.json else "test accuracy %.4f -> %s" % (scores["accuracy"], args.out))
    return 0


def _eval(args):
    from .train import evaluate

    saved = _read_model(args.model)
    scores = evaluate(saved.model, _load_set(args.data, "test"))
    if args.json:
        print(json.dumps(scores))
    else:
        print("accuracy %.4f" % scores["accuracy"])
        for label, acc in scores["per_class"].items():
            print("  %s: %.4f" % (label, acc))
    return 0
