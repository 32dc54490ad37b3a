"""What the page says, as plain functions of engine replies (MicroPython and CPython).

Kept apart from main.py, which only touches the DOM, so it can be tested in CPython.
"""

UNSURE = "?"  # the label of a digit read with less confidence than the threshold (data/store.py)
TRANSFER = "transfer"  # the name of a model made by transfer learning (transfer.NAME)
MAYBE_FROM = 0.15  # a candidate at least this likely is named in "maybe 2 or 3"
PROMPT = "Write a number or upload a photo of one."  # before anything is read (index.html's too)
MNIST_DATA = "Data: the MNIST digits"  # the data panel on the built-in digits (index.html's too)


def runtime_line(info):
    """e.g. 'Pyodide 0.17.1 · Python 3.8.2 · numpy 1.17.5 · Pillow 8.0.1'."""
    parts = [info["runtime"]["label"], "Python " + info["python"],
             "numpy " + info["numpy"], "Pillow " + info["pillow"]]
    return " · ".join(parts)


def ready_line(ms):
    """The status once the page works, with the time since it was opened (performance.now())."""
    return "Ready in %.1f s" % (ms / 1000)


def describe(reply, threshold):
    """An engine reply -> {"prediction", "confidence", "message"} texts for the page, each digit
    read at `threshold` (the slider's)."""
    if not reply["ok"]:
        return {"prediction": "–", "confidence": "", "message": reply["error"]["message"]}
    result = reply["result"]
    digits = result["digits"]
    if not digits:
        return {"prediction": "–", "confidence": "", "message": result["note"]}  # the engine says why
    least = min(digit["confidence"] for digit in digits)
    if len(digits) == 1:
        confidence = "%s sure" % percent(least)
    else:
        confidence = "%d digits, each at least %s sure" % (len(digits), percent(least))
    labels = [reading(digit, threshold) for digit in digits]
    message = result.get("note", "")
    if not message:
        message = unsure_line(digits, labels)
    return {"prediction": "".join(labels), "confidence": confidence, "message": message}


def reading(digit, threshold):
    """A digit's label at `threshold`: its best candidate's, or UNSURE when that is less sure (the
    engine's rule, recognise.py, applied again for the page's own threshold)."""
    best = digit["candidates"][0]
    return best["label"] if best["confidence"] >= threshold else UNSURE


def likely(digit):
    """The labels of a digit's candidates likely enough to name, best first."""
    return [c["label"] for c in digit["candidates"] if c["confidence"] >= MAYBE_FROM]


def maybe(digit):
    """e.g. "maybe 2 or 3"; or "not a digit I know" when no candidate is likely."""
    names = likely(digit)
    return "maybe " + " or ".join(names) if names else "not a digit I know"


def unsure_line(digits, labels):
    """"? — maybe 2 or 3" for a digit read as UNSURE; for a number, each such digit by its place."""
    unsure = [i for i, label in enumerate(labels) if label == UNSURE]
    if not unsure:
        return ""
    if len(digits) == 1:
        return "%s — %s. Write it again, larger or more clearly." % (UNSURE, maybe(digits[0]))
    return "Not sure of " + "; ".join("digit %d: %s — %s" % (i + 1, UNSURE, maybe(digits[i])) for i in unsure) + "."


def digit_boxes(digits, width, height, threshold):
    """Each digit's box over a picture `width` x `height` source pixels: CSS placement in
    percentages (so it follows the picture's size on screen), its caption, and whether it is unsure."""
    boxes = []
    for digit in digits:
        x, y, w, h = digit["box"]
        label = reading(digit, threshold)
        if label == UNSURE:
            caption = " ".join([UNSURE] + ["/".join(likely(digit))]).strip()
        else:
            caption = "%s %s" % (label, percent(digit["confidence"], 0))
        boxes.append({
            "left": "%.2f%%" % (100.0 * x / width), "top": "%.2f%%" % (100.0 * y / height),
            "width": "%.2f%%" % (100.0 * w / width), "height": "%.2f%%" % (100.0 * h / height),
            "caption": caption, "unsure": label == UNSURE,
        })
    return boxes


def threshold_line(threshold):
    return "Say “not sure” below %.0f%%" % (100 * threshold)


def upload_problem(size, limit):
    """A reason to refuse a chosen file before reading it, or None; `limit`: the engine's max_upload_bytes."""
    if size == 0:
        return "The file is empty."
    if size > limit:
        tenths = -(-size * 10 // 2 ** 20)  # rounded up: a file over the limit never reads as the limit
        return "The file is %d.%d MB; the limit is %d MB." % (tenths // 10, tenths % 10, limit // 2 ** 20)
    return None


def percent(x, decimals=1):
    """x (0 to 1) as a percentage to `decimals` places; short of 1 it is never "100.0%", which beside
    a "?" (a threshold of 100 %) would read as a contradiction. The CLI shows confidences by this rule."""
    shown = 100 * x if x >= 1 else min(100 * x, 100 - 10 ** -decimals)
    return ("%." + str(decimals) + "f%%") % shown


def model_line(model, origin):
    """e.g. 'cnn · 206922 parameters · 98.6% on the test digits · built in'."""
    parts = [model["name"] or "unnamed model", "%d parameters" % model["parameters"]]
    accuracy = model.get("metrics", {}).get("test_accuracy")
    if accuracy is not None:
        parts.append(percent(accuracy) + (" on the test digits" if reads_digits(model) else " on its test images"))
    return " · ".join(parts + [origin])


def labels_line(model):
    """e.g. 'Reads the digits 0 to 9' or 'Reads: circle, cross, square'."""
    if reads_digits(model):
        return "Reads the digits 0 to 9"
    return "Reads: " + ", ".join(model["labels"])


def reads_digits(model):
    return model["labels"] == [str(d) for d in range(10)]


FIELDS = {"epochs": "train-epochs", "batch_size": "train-batch", "lr": "train-lr"}  # setting -> its field


NETWORK_IN_PYTHON = "python"  # the model choice that trains the network written in the page (index.html's
# option, digitlab.nn.editable.NAME in the engine: tests/build/test_output.py checks they agree)
FIRST_EXAMPLE = "cnn"  # the network the code panel opens on: the page's default model (digitlab.nn.zoo.DEFAULT)


def training_settings(model, numbers, per_label, transfer, none_of_these, settings, code=None):
    """The training form -> (the trainer's payload, {setting: what is wrong with its value}).

    `numbers` holds the fields' texts by setting name; `settings` is the engine's definition of each
    (default, min, max, kind), which the engine applies again. With `transfer`, a folder's classes
    are learnt on the built-in feature network's; with `none_of_these`, a class for everything else
    is added (MNIST ignores both). The model `python` trains `code`, the network written in the
    page, from scratch.
    """
    payload = {"architecture": model, "base": bool(transfer), "none_of_these": bool(none_of_these)}
    if model == NETWORK_IN_PYTHON:
        payload.update(code=code or "", base=False)
    problems = {}
    for name, text in numbers.items():
        value, problem = setting_value(text, settings[name])
        if problem:
            problems[name] = problem
        payload[name] = value
    if per_label:
        payload["per_label"] = int(per_label)
    return payload, problems


def setting_value(text, setting):
    """A field's text -> (its value, None) or (None, what is wrong), by the engine's `setting`."""
    whole = setting["kind"] == "int"
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = None
    if value is None or not setting["min"] <= value <= setting["max"]:
        return None, "%s from %g to %g" % ("A whole number" if whole else "A number", setting["min"], setting["max"])
    return value, None


def network_line(checked):
    """A checked network, e.g. 'Checked: 28x28x1 → 14x14x16 → … → 10 · 12,858 parameters.'"""
    shapes = ["x".join(str(d) for d in shape) for shape in checked["shapes"]]
    return "Checked: %s · %s parameters. Train it with “The network in Python”." % (
        " → ".join(shapes), "{:,}".format(checked["params"]))


def training_line(started):
    """A train_start result, e.g. 'Training cnn on 8000 images'."""
    if started["architecture"] == TRANSFER:  # its rate and batch are the head's own, not the form's
        return "Training a new classifier on the built-in network's features, %d images (learning rate %g, batch %d)" % (
            started["images"], started["config"]["lr"], started["config"]["batch_size"])
    return "Training %s on %d images" % (started["architecture"], started["images"])


def progress_line(batch, total_steps):
    return "epoch %d · step %d of %d · loss %.3f" % (batch["epoch"] + 1, batch["step"], total_steps, batch["loss"])


def caching_line(caching):
    """How far a transfer run's feature caching has got: its images and their augmented copies."""
    return "Reading every image and its varied copies through the built-in network: %d of %d" % (
        caching["done"], caching["total"])


def speed_line(epoch):
    line = "%.0f images/s · %.1f s per epoch" % (epoch["images_per_second"], epoch["seconds"])
    if "val_accuracy" in epoch:  # a folder too small to hold images out, and no validation folder: none
        line += " · validation accuracy " + percent(epoch["val_accuracy"])
    return line


def mnist_line(data):
    """A load_data result, e.g. 'Data: the MNIST digits: 8000 to train, 2000 to test'."""
    return "%s: %d to train, %d to test" % (MNIST_DATA, data["train"], data["test"])


def folder_line(data):
    """A folder_done result for the training folder: its name, labels and split."""
    name = _folder_name(data)
    tested = "%d held out to test" % data["test"] if data["test"] else "none held out to test (too few)"
    return "Data: %s: %s (%s), %s to train, %s" % (
        name, counted(len(data["labels"]), "label"), ", ".join(data["labels"]), counted(data["train"], "image"), tested)


def counted(count, noun):
    """'1 label', '3 labels': a folder of one label is said before Start refuses it."""
    return "%d %s%s" % (count, noun, "" if count == 1 else "s")


HELD_OUT_LINE = "Validation: the images held out of the training folder"


def _folder_name(data):
    return "the folder “%s”" % data["name"] if data["name"] else "your folder"


def validation_line(data):
    """A folder_done result for the validation folder: how many images test which labels."""
    name = _folder_name(data)
    line = "Validation: %s: %s to test on; every training image is trained on" % (name, counted(data["test"], "image"))
    if data["unvalidated"]:
        line += "; no image of %s to test" % ", ".join(data["unvalidated"])
    return line


def skipped_lines(skipped, most=20):
    """One line per file left out ({"file", "reason"}), at most `most`, then how many more."""
    lines = ["Skipped %s: %s" % (item["file"], item["reason"]) for item in skipped[:most]]
    if len(skipped) > most:
        lines.append("… and %d more" % (len(skipped) - most))
    return lines


def accepted_line(name, not_kept=None):
    """A model made the one in use; `not_kept`: why the browser would not keep it, if it would not."""
    if not_kept is None:
        return "Now recognising with %s." % name
    return "Now recognising with %s, but it is not kept in this browser: %s. Download it to keep it." % (name, not_kept)


def restarted_line(kept_name, why=None):
    """The engine started again reading with the kept model (`kept_name`) or, when None, the built-in
    one, not with the model in use before; `why`: why the kept model was not used, if it was not."""
    now = "The engine started again, recognising with %s" % ("the kept model %s" % kept_name if kept_name
                                                            else "the built-in model")
    if why:
        return "%s. %s" % (now, why)
    return "%s: the model in use before was not kept in this browser, so it is gone. Load or train it again." % now


def saved_line(saved, which):
    """A download's answer, naming the model it holds: e.g. 'Downloading deep.npz (812 KB): the model in
    use.' (the page hands the file to the browser, which may still ask where to keep it)"""
    return "Downloading %s (%d KB): %s." % (saved["filename"], saved["bytes"] // 1024, which)


MIN_DRAWN_CLASSES = 2


def class_name_problem(name, classes):
    """Why a drawn class cannot take this name (it names a folder), or None; `classes` holds the names taken."""
    if not name:
        return "Give the class a name first."
    if "/" in name or "\\" in name or name.startswith("."):
        return "A class name cannot hold / or \\ or start with a dot: it names a folder."
    if name == UNSURE:
        return "A class cannot be named %s: a reading says %s when it is not sure." % (UNSURE, UNSURE)
    if name == "__MACOSX":  # the engine skips it, as a folder of a Mac zip's extras (data/folder.hidden)
        return "A class cannot be named __MACOSX: a folder of that name holds a Mac zip's extras, and is skipped."
    if name in classes:
        return "There is a class “%s” already." % name
    return None


def classes_ready(counts):
    """Whether the drawn classes ({name: drawings}) can be trained on: two with a drawing, at least."""
    return len([n for n in counts.values() if n]) >= MIN_DRAWN_CLASSES


NOTHING_DRAWN = "The pad is blank: draw an example first, then add it to its class."


def classes_line(counts):
    """What the drawn classes need next, or that they are ready."""
    if not counts:
        return ""
    empty = sorted(name for name, n in counts.items() if not n)
    if not classes_ready(counts):
        line = "Draw examples of at least %d classes to train on them." % MIN_DRAWN_CLASSES
    else:
        line = "Ready: %d drawings of %d classes." % (sum(counts.values()), len(counts) - len(empty))
    if empty:
        line += " No drawing yet of %s." % ", ".join(empty)
    return line


def trained_here(model):
    """How the evaluation names a model the trainer just made (its model info)."""
    if model["name"] == TRANSFER:
        return "the new classifier on the built-in network's features"
    return "the model trained here"


def accuracy_line(report, whose):
    """The headline of a test report; `whose` names the model, e.g. "the model in use"."""
    if report["accuracy"] is None:
        return ("%s is trained but not tested: no images to test it on (give each label more images, "
                "or a validation folder)" % (whose[:1].upper() + whose[1:]))
    images = sum(sum(row) for row in report["confusion"])
    return "Test accuracy of %s: %s on %d test images" % (whose, percent(report["accuracy"]), images)


def unknown_labels_line(labels):
    """The test images a model was not scored on: those of labels it does not know ("" if none)."""
    if not labels:
        return ""
    return "Not scored: the images labelled %s, which the model does not know." % ", ".join(labels)


def per_class_line(labels, per_class):
    """In label order (MicroPython's dicts do not keep insertion order); "–" for a label with no test images."""
    return " · ".join("%s: %s" % (label, "–" if per_class[label] is None else percent(per_class[label]))
                      for label in labels)


def mistake_items(mistakes):
    return [{"pixels": m["pixels"], "caption": "%s read as %s" % (m["truth"], m["predicted"])} for m in mistakes]


def sample_items(samples):
    return [{"pixels": s["pixels"], "caption": s["label"]} for s in samples]


def yes_no(flag):
    return "yes" if flag else "no"


def connection_line(offline):
    """Said quietly in the header while the server cannot be reached and the page runs from the copy kept
    in this browser."""
    return "Offline: running from the copy kept in this browser" if offline else ""


KEEPING_OFFLINE = "keeping the app's files in this browser…"
RESET_LOSES_TRAINED = ("The model trained here is neither downloaded nor kept in this browser: going back to the "
                       "built-in model reloads the page, and it is lost. Go back anyway?")
RESET_CANCELLED = "Nothing changed: the model trained here is still at hand."


def install_hint(status):
    """What the line at the top of an iPad's page says once offline.js has answered: None (it stays
    as it is) unless the app can never be kept from this address."""
    if status.get("insecure"):
        return "Offline use is not possible from here: %s." % status["reason"]
    return None


def offline_line(status):
    """Whether the app will open with the network off, from offline.js's answer."""
    return "yes: the whole app is kept in this browser" if status["kept"] else "no: " + status["reason"]


def device_lines(matmul):
    """The engine's GPU as the page shows it: WebGL2, renderer, float render targets."""
    return {"gpu-webgl2": yes_no(matmul.get("webgl2")), "gpu-renderer": matmul.get("renderer") or "–",
            "gpu-float": yes_no(matmul.get("floatRenderTarget"))}


def kernel_lines(matmul):
    """The trainer's matrix kernel: whether it is used, its crossover, and how training uses it."""
    if not matmul["active"]:
        reason = matmul["reason"] or "it is not in use."
        return {"gpu-kernel": "NumPy only: " + reason, "gpu-crossover": "–",
                "gpu-training": "no" + _products(matmul)}
    kept = [shape for shape in matmul["shapes"] if shape["on_kernel"]]
    return {
        "gpu-kernel": "WebGL, checked against NumPy (largest relative error %.1e)" % matmul["max_error"],
        "gpu-crossover": _crossover(matmul),
        "gpu-training": ("yes" if matmul["products"]["kernel"] else "not yet") + _products(matmul) + (
            " · %d of %d product shapes faster on WebGL" % (len(kept), len(matmul["shapes"]))
            if matmul["shapes"] else ""),
    }


def _crossover(matmul):
    if matmul["always"]:
        return "none: every product goes to WebGL (?kernel=on)"
    crossover = matmul["crossover"]
    timing = [row for row in matmul["calibration"] if row["size"] == crossover][0]
    return "%d×%d×%d: WebGL %.1f ms, NumPy %.1f ms; smaller products stay in NumPy" % (
        crossover, crossover, crossover, timing["kernel_ms"], timing["numpy_ms"])


def _products(matmul):
    counts = matmul["products"]
    if not counts["kernel"] + counts["numpy"]:
        return ""
    return " · %d products on WebGL, %d in NumPy" % (counts["kernel"], counts["numpy"])


LIVE_FRAMES = 3  # the camera's live mode keeps a reading only when this many frames in a row agree


def live_reading(history, reply, threshold):
    """Add a frame's reading to `history` (the last LIVE_FRAMES are kept); return the text to show
    when the last LIVE_FRAMES frames all read it with every digit sure, else None."""
    text = None
    if reply["ok"] and reply["result"]["digits"]:
        labels = [reading(digit, threshold) for digit in reply["result"]["digits"]]
        text = None if UNSURE in labels else "".join(labels)
    history.append(text)
    del history[:-LIVE_FRAMES]
    if text is not None and len(history) == LIVE_FRAMES and all(seen == text for seen in history):
        return text
    return None


def camera_line(opened):
    """`opened`: the camera's reply."""
    return "Camera on: %s." % opened["result"]["label"] if opened["ok"] else opened["error"]["message"]
