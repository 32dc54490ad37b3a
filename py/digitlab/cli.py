"""Command line: python -m digitlab predict|train|eval|export|import."""
import argparse
import codecs
import io
import json
import os
import sys

from . import builtin
from .data.folder import HOLD_OUT_EVERY
from .data.glyphs import MADE_UP
from .data.sources import MNIST_TEST, MNIST_TRAIN
from .errors import DigitlabError
from .model_file import load_model, model_bytes
from .nn.optim import COOLDOWN, SCHEDULES
from .nn.zoo import ARCHITECTURES, DEFAULT, architecture, known

DEFAULT_MODEL = os.path.join(builtin.OUTPUT, builtin.MODEL)
FEATURE_MODEL = os.path.join(builtin.OUTPUT, builtin.FEATURES)  # the built-in base of transfer learning
EPOCH_LINE = "epoch %(epoch)d  loss %(loss).4f  acc %(accuracy).4f  %(seconds).1fs  %(images_per_second).0f img/s"
VAL_PART = "  val_acc %(val_accuracy).4f"
SUMMARY_LINE = "accuracy %(accuracy).4f on %(test_images)d held-out images -> %(out)s"
UNVALIDATED_LINE = "no images to validate on -> %(out)s"
BUILTIN_BASE = "builtin"  # --base: the built-in feature network, FEATURE_MODEL
NAME_ERRORS = "digitlab-names"  # the error handler print_any_file_name gives the streams
TRAIN_SETTINGS = ("epochs", "batch_size", "lr", "schedule", "warp", "photo")  # train's options that set a TrainConfig
# train's options that only training from scratch reads (a transfer head has its own, transfer.HEAD)
FROM_SCRATCH_ONLY = TRAIN_SETTINGS[1:] + ("nondigits", "glyphs", "calibrate")


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a reader gone (| head) is found here, not in the exit's flush
        return code
    except DigitlabError as err:
        print("digitlab: %s" % err, file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader stopped reading (| head): nothing more to say, and no one to say it to
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush finds a sink
        return 1
    except OSError as err:  # a file that cannot be read or written past the checks: said, not a traceback
        print("digitlab: %s" % (": ".join(str(part) for part in (err.filename, err.strerror) if part) or err),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("digitlab: interrupted", file=sys.stderr)
        return 130


def print_any_file_name():
    """Let the process's stdout and stderr print any file name (`python -m digitlab` sets them; a
    program that calls main() keeps its own). A name that is not UTF-8 reaches Python with its odd
    bytes as lone surrogates, which a UTF-8 stream refuses: the reading of that file, and of every
    one after it, was lost to a traceback."""
    codecs.register_error(NAME_ERRORS, _bytes_or_escapes)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=NAME_ERRORS)


def _bytes_or_escapes(err):
    """A name's odd bytes printed as the bytes they were, as `ls` prints them; any other character
    the stream cannot encode (a Japanese name on a Latin-1 terminal) as an escape, as Python's
    stderr always did."""
    odd = err.object[err.start:err.end]
    if isinstance(err, UnicodeEncodeError) and all(0xDC80 <= ord(char) <= 0xDCFF for char in odd):
        return codecs.lookup_error("surrogateescape")(err)
    return codecs.lookup_error("backslashreplace")(err)


def _default_model():
    """The model predict and eval read unless told: $DIGITLAB_MODEL, else the built-in one."""
    return os.environ.get("DIGITLAB_MODEL", DEFAULT_MODEL)


def _parser():
    parser = argparse.ArgumentParser(prog="digitlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    predict = commands.add_parser("predict", help="read the number (one or more digits) in image files")
    predict.add_argument("files", nargs="+", metavar="FILE")
    predict.add_argument("--model", default=_default_model())
    predict.add_argument("--json", action="store_true", help="one JSON object per file and line")
    predict.add_argument("--threshold", type=_fraction(True), default=None, metavar="T",
                         help="a digit less sure than this (0-1) is read as ? (default: the engine's)")
    predict.set_defaults(run=_predict)

    train = commands.add_parser("train", help="train a model")
    train.add_argument("--data", default=MNIST_TRAIN,
                       help="%s, a folder with one sub-folder of images per label, or a .npz image store" % MNIST_TRAIN)
    train.add_argument("--val", metavar="DIR", default=None,
                       help="a folder to validate on each epoch (labels matched by name); without it one "
                            "image in %d of each label of a folder is held out" % HOLD_OUT_EVERY)
    train.add_argument("--out", required=True, help="the model file to write (exactly this path)")
    train.add_argument("--base", default=None, metavar="builtin|none|MODEL",
                       help="transfer learning: train a new head on this network's features (default for "
                            "folders: builtin, the network taught digits and glyphs); none trains from scratch")
    train.add_argument("--model", default=DEFAULT, help="architecture from scratch: " + ", ".join(ARCHITECTURES))
    train.add_argument("--epochs", type=_positive(int), default=None)
    train.add_argument("--batch-size", type=_positive(int), default=None)
    train.add_argument("--lr", type=_positive(float), default=None)
    train.add_argument("--schedule", choices=sorted(SCHEDULES), default=None,
                       help="the learning rate over the run: steady (the default: full rate, then a cool-down over "
                            "the last %d %%%% of it) or cosine (a warm-up, then decay over the whole run)" % (100 * COOLDOWN))
    train.add_argument("--warp", type=_positive(float), default=None,
                       help="also warp the training images elastically, by up to this many pixels")
    train.add_argument("--photo", type=_fraction(False), default=None,
                       help="give this share of the training images a pen's and a photo's changes "
                            "(thickness, blur, ink level, noise)")
    train.add_argument("--nondigits", type=_positive(int), default=None, metavar="N",
                       help="also show the model N non-digits (letters, symbols, shapes, lines, scribbles drawn, "
                            "letters and symbols typed) to be unsure of")
    train.add_argument("--glyphs", type=_positive(int), default=None, metavar="N",
                       help="also teach the model to name glyphs: N non-digits drawn or typed, and %d made-up "
                            "glyph classes: the features transfer learning starts from (build.py's feature network)"
                            % MADE_UP)
    train.add_argument("--none-of-these", action="store_true",
                       help="for a folder: add a class 'none of these', of built-in scribbles and lines "
                            "(and the folder's own 'none of these' images, if it has some)")
    train.add_argument("--calibrate", type=_fraction(False), default=None, metavar="SHARE",
                       help="hold this share of the training images out of training to calibrate the "
                            "model's confidence on (a temperature)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--float16", action="store_true", help="store weights as float16 (half the size)")
    train.add_argument("--json", action="store_true", help="one JSON object per epoch and line, then a summary")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("eval", help="score a model on a labelled set")
    evaluate.add_argument("--model", default=_default_model())
    evaluate.add_argument("--data", default=MNIST_TEST,
                          help="%s, a folder with one sub-folder of images per label (all of it is scored), or a "
                               ".npz image store" % MNIST_TEST)
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(run=_eval)

    export = commands.add_parser("export", help="write a model for other tools: ONNX, or a TensorFlow.js layers model")
    export.add_argument("model", metavar="MODEL", help="a digitlab model file")
    export.add_argument("out", metavar="OUT", help="the .onnx file to write; for tfjs, the folder for model.json and "
                                                   "its weights")
    export.add_argument("--format", choices=["onnx", "tfjs"], default="onnx")
    export.add_argument("--float16", action="store_true", help="ONNX: store the weights as float16 (half the size)")
    export.set_defaults(run=_export)

    imports = commands.add_parser("import", help="make a digitlab model file of an ONNX image classifier")
    imports.add_argument("onnx", metavar="IN.onnx")
    imports.add_argument("out", metavar="OUT", help="the model file to write (exactly this path)")
    imports.set_defaults(run=_import)
    return parser


def _positive(kind):
    def parse(text):
        value = kind(text)
        if not 0 < value < float("inf"):  # "nan" and "inf" parse as floats: neither is a setting
            raise argparse.ArgumentTypeError("must be a number more than 0")
        return value
    parse.__name__ = kind.__name__  # argparse names it in "invalid float value: 'x'"
    return parse


def _fraction(ends_allowed):
    """A number from 0 to 1, the ends included or not (a share of the images must leave some)."""
    def parse(text):
        value = float(text)
        if not (0 <= value <= 1 if ends_allowed else 0 < value < 1):
            raise argparse.ArgumentTypeError("must be from 0 to 1" if ends_allowed else "must be between 0 and 1")
        return value
    parse.__name__ = "float"
    return parse


def _read_model(path, option="--model"):
    if not os.path.isfile(path):  # a folder would make open() fail with a traceback
        raise DigitlabError("no model at %s (run `python build.py` or pass %s)" % (path, option))
    with open(path, "rb") as f:
        return load_model(f.read())


def _check_out(path, folder=False):
    """Say now, not after the work, that the file (or with `folder`, the folder) `path` cannot be written."""
    parent = os.path.dirname(os.path.abspath(path))
    if not path or (not folder and not os.path.basename(path)):
        raise DigitlabError("cannot write %r: give a file name" % path)
    if not os.path.isdir(parent):
        raise DigitlabError("cannot write %s: no folder %s" % (path, parent))
    if folder and os.path.exists(path) and not os.path.isdir(path):
        raise DigitlabError("cannot write the folder %s: a file of that name is there" % path)
    if not folder and os.path.isdir(path):
        raise DigitlabError("cannot write %s: a folder of that name is there" % path)


def _write(path, data):
    """Write a file; a disk that is full or will not take it is said with the path, as any error is."""
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as err:
        raise DigitlabError("cannot write %s: %s" % (path, err.strerror or err))


def _export(args):
    from .interop.onnx_export import onnx_bytes
    from .interop.onnx_proto import OPSET
    from .interop.tfjs_export import tfjs_files

    saved = _read_model(args.model)
    _check_out(args.out, folder=args.format == "tfjs")
    if args.format == "onnx":
        files, folder = {os.path.basename(args.out): onnx_bytes(saved, float16=args.float16)}, os.path.dirname(args.out)
        said = "ONNX opset %d" % OPSET
    else:
        files, folder, said = tfjs_files(saved), args.out, "a TensorFlow.js layers model"
        os.makedirs(folder, exist_ok=True)
    for name, data in files.items():
        _write(os.path.join(folder, name), data)
    print("%s -> %s (%s; labels %s)" % (args.model, args.out, said, " ".join(saved.labels)))
    return 0


def _import(args):
    from .interop.onnx_import import import_onnx

    if not os.path.isfile(args.onnx):
        raise DigitlabError("no ONNX file at %s" % args.onnx)
    _check_out(args.out)
    with open(args.onnx, "rb") as f:
        data = import_onnx(f.read(), name=os.path.splitext(os.path.basename(args.onnx))[0])
    _write(args.out, data)
    saved = load_model(data)
    print("%s -> %s (%s; labels %s)" % (args.onnx, args.out, _layers(saved.model.spec), " ".join(saved.labels)))
    return 0


def _layers(spec):
    return ", ".join(layer["type"] for layer in spec)


def _predict(args):
    from .data.images import read_image_file
    from .recognise import THRESHOLD, check_reads_pictures, recognise_image

    saved = _read_model(args.model)
    check_reads_pictures(saved)  # once: a model that cannot read pictures is said once, not once a file
    threshold = THRESHOLD if args.threshold is None else args.threshold
    failures = 0
    for path in args.files:
        try:
            result = recognise_image(saved, read_image_file(path), threshold)
        except (OSError, DigitlabError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else err
            print("digitlab: %s: %s" % (path, reason), file=sys.stderr)
            failures += 1
            continue
        if args.json:
            print(json.dumps(dict(file=path, **result)))
        elif not result["digits"]:  # the note (there is one, when nothing is found) says why, as the reading
            print("%s: %s" % (path, result.pop("note")))
        else:
            sure = ", ".join(_percent(digit["confidence"]) for digit in result["digits"])
            print("%s: %s (%s)" % (path, result["text"], sure))
        if "note" in result:
            print("digitlab: %s: %s" % (path, result["note"]), file=sys.stderr)
    return 1 if failures else 0


def _percent(x):
    """x (0 to 1) to a tenth of a percent, never "100.0%" short of 1 (as the page shows it: a digit
    read as ? at --threshold 1 is not shown as all sure)."""
    return "%.1f%%" % (100 * x if x >= 1 else min(100 * x, 99.9))


def _warn(line):
    print("digitlab: warning: %s" % line, file=sys.stderr, flush=True)


def _train(args):
    from .data.sources import is_folder, training_sets
    from .data.store import check_trainable, unvalidated

    _check_out(args.out)
    base_name = args.base or (BUILTIN_BASE if is_folder(args.data) else "none")
    if base_name == "none":
        known(args.model)  # refused before the data is read
    skipped = []
    train_set, val_set = training_sets(args.data, lambda path, reason: _skip(skipped, path, reason), args.val)
    found = _counts(train_set, val_set if args.val is None else None)  # every image the folder gave
    if args.none_of_these:
        train_set, val_set = _with_none_of_these(args, train_set, val_set)
    check_trainable(train_set)
    if val_set is None:
        _warn("no images to validate on: every label needs %d images, or give --val DIR" % HOLD_OUT_EVERY)
    for label, count in unvalidated(train_set, val_set):
        _warn("label %s (%d image%s) cannot be validated: no image of it to validate on"
              % (label, count, "" if count == 1 else "s"))
    base = _base(base_name)
    run = _transfer if base is not None else _from_scratch
    model = run(args, base, train_set, val_set)
    summary = {"event": "summary", "out": args.out, "model": model.name, "labels": train_set.label_names,
               "train_images": len(train_set), "test_images": len(val_set) if val_set is not None else 0,
               "accuracy": model.meta["metrics"]["test_accuracy"], "base": base_name, "classes": found,
               "skipped": skipped}
    print(json.dumps(summary) if args.json else (SUMMARY_LINE if val_set is not None else UNVALIDATED_LINE) % summary)
    return 0


def _counts(*sets):
    """{label: images} over the sets given (None: none), in the first set's label order."""
    counts = sum(s.counts() for s in sets if s is not None)
    return dict(zip(sets[0].label_names, counts.tolist()))


def _with_none_of_these(args, train_set, val_set):
    from .data.nondigits import with_none_of_these
    from .data.sources import is_folder

    if not is_folder(args.data):
        raise DigitlabError("--none-of-these goes with a folder of images (--data DIR)")
    return with_none_of_these(train_set, val_set, args.seed)


def _skip(skipped, path, reason):
    skipped.append({"file": path, "reason": reason})
    _warn("skipped %s: %s" % (path, reason))


def _base(name):
    """The network `name` (--base) to transfer from, as a SavedModel; None to train from scratch."""
    if name == "none":
        return None
    return _read_model(FEATURE_MODEL if name == BUILTIN_BASE else name, "--base")


def _transfer(args, base, train_set, val_set):
    from .train import check_reads
    from .transfer import BASE_NETWORK, HEAD, NAME, fit_head, with_new_head

    check_reads(base.model, train_set, BASE_NETWORK)
    unused = ["--" + name.replace("_", "-") for name in FROM_SCRATCH_ONLY if getattr(args, name) is not None]
    if args.model != DEFAULT:
        unused.insert(0, "--model")
    if unused:
        _warn("%s: not used by a new head on a network's features, which trains at learning rate %g, batch %d "
              "(--base none trains from scratch with them)" % (", ".join(unused), HEAD.lr, HEAD.batch_size))
    model = with_new_head(base.model, train_set.label_names, seed=args.seed)
    accuracy = _report(args, fit_head(model, train_set, val_set, seed=args.seed, epochs=args.epochs))
    metrics = {"test_accuracy": accuracy, "base": base.name}
    return _save(args, model, train_set.label_names, NAME, metrics, None)


def _from_scratch(args, base, train_set, val_set):
    from .calibrate import calibration_logits, fit_temperature
    from .data.glyphs import with_glyphs
    from .data.nondigits import with_nondigits
    from .data.store import match_labels, split_off
    from .nn.model import Sequential
    from .train import TrainConfig, fit

    calibration_set = None
    if args.calibrate:
        labelled = train_set.counts() > 0
        train_set, calibration_set = split_off(train_set, args.calibrate, args.seed)
        if not len(calibration_set):  # the model would be saved uncalibrated, and nothing said
            raise DigitlabError("--calibrate %g of %d training images holds out none to calibrate on: give a larger "
                                "share." % (args.calibrate, len(train_set)))
        if (labelled > (train_set.counts() > 0)).any():  # all held out ended in a ZeroDivisionError traceback
            raise DigitlabError("--calibrate %g holds out every training image of a label: give a smaller share."
                                % args.calibrate)
    if args.nondigits:
        train_set = with_nondigits(train_set, args.nondigits, args.seed)
    if args.glyphs:
        train_set = with_glyphs(train_set, args.glyphs, args.seed)
        val_set = val_set and match_labels(val_set, train_set.label_names)  # scored by a model of more labels
    config = TrainConfig(seed=args.seed)
    for name in TRAIN_SETTINGS:  # unset options keep TrainConfig's defaults
        if getattr(args, name) is not None:
            setattr(config, name, getattr(args, name))
    labels = train_set.label_names
    model = Sequential(architecture(args.model, len(labels)), train_set.input_shape, seed=args.seed)
    accuracy = _report(args, fit(model, train_set, config, val_set=val_set))
    metrics = {"test_accuracy": accuracy, "train_config": config.as_dict(), "nondigits": args.nondigits or 0,
               "glyphs": args.glyphs or 0}
    temperature = fit_temperature(*calibration_logits(model, calibration_set, config)) if calibration_set else None
    return _save(args, model, labels, args.model, metrics, temperature)


def _report(args, events):
    """Print each epoch; -> the last epoch's validation accuracy (the final weights'), None without one."""
    last = {}
    for event in events:
        if event["event"] == "epoch":
            counted = dict(event, epoch=event["epoch"] + 1)  # the events count from 0, people from 1
            line = EPOCH_LINE % counted + (VAL_PART % event if "val_accuracy" in event else "")
            print(json.dumps(event) if args.json else line, flush=True)
            last = event
    return last.get("val_accuracy")


def _save(args, model, labels, name, metrics, temperature):
    data = model_bytes(model, labels, name=name, temperature=temperature,
                       weights_dtype="float16" if args.float16 else "float32", metrics=metrics)
    _write(args.out, data)
    return load_model(data)


def _eval(args):
    from .data.sources import test_set
    from .train import check_reads, evaluate

    saved = _read_model(args.model)
    data = test_set(args.data, lambda path, reason: _warn("skipped %s: %s" % (path, reason)), saved.labels)
    check_reads(saved.model, data)
    scores = evaluate(saved.model, data)
    if args.json:
        print(json.dumps(scores))
    else:
        print("accuracy %.4f" % scores["accuracy"])
        for label, accuracy in scores["per_class"].items():
            print("  %s: %s" % (label, "no images" if accuracy is None else "%.4f" % accuracy))
    return 0
