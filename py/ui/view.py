"""What the page says, as plain functions of engine replies (MicroPython and CPython).

Kept apart from main.py, which only touches the DOM, so it can be tested in CPython.
"""

MAX_UPLOAD_BYTES = 30 * 1024 * 1024


def runtime_line(info):
    """e.g. 'Pyodide 0.17.1 · Python 3.8.2 · numpy 1.17.5 · Pillow 8.0.1'."""
    parts = [info["runtime"]["label"], "Python " + info["python"],
             "numpy " + info["numpy"], "Pillow " + info["pillow"]]
    return " · ".join(parts)


def describe(reply):
    """An engine reply -> {"prediction", "confidence", "message"} texts for the page."""
    if not reply["ok"]:
        return {"prediction": "–", "confidence": "", "message": reply["error"]["message"]}
    best = reply["result"]["digits"][0]
    return {
        "prediction": reply["result"]["text"],
        "confidence": "%.1f%% sure" % (100 * best["confidence"]),
        "message": "",
    }


def upload_problem(size):
    """A reason to refuse a chosen file before reading it, or None."""
    if size == 0:
        return "The file is empty."
    if size > MAX_UPLOAD_BYTES:
        return "The file is %d MB; the limit is %d MB." % (size // 2 ** 20, MAX_UPLOAD_BYTES // 2 ** 20)
    return None


def percent(x):
    return "%.1f%%" % (100 * x)


def model_line(model, origin):
    """e.g. 'cnn · 206922 parameters · 98.6% on the test digits · built in'."""
    parts = [model["name"] or "unnamed model", "%d parameters" % model["parameters"]]
    accuracy = model.get("metrics", {}).get("test_accuracy")
    if accuracy is not None:
        parts.append(percent(accuracy) + " on the test digits")
    return " · ".join(parts + [origin])


def training_settings(model, epochs, batch_size, lr, per_label):
    """The training form's text values -> the trainer's payload (bad numbers fall back to defaults)."""
    settings = {"architecture": model, "epochs": _number(epochs, int, 3), "batch_size": _number(batch_size, int, 64),
                "lr": _number(lr, float, 0.002)}
    if per_label:
        settings["per_label"] = _number(per_label, int, 800)
    return settings


def _number(text, kind, default):
    try:
        return kind(text)
    except ValueError:
        return default


def progress_line(batch, total_steps):
    return "epoch %d · step %d of %d · loss %.3f" % (batch["epoch"] + 1, batch["step"], total_steps, batch["loss"])


def speed_line(epoch):
    return "%.0f images/s · %.1f s per epoch · validation accuracy %s" % (
        epoch["images_per_second"], epoch["seconds"], percent(epoch["val_accuracy"]))


def per_class_line(labels, per_class):
    """In label order (MicroPython's dicts do not keep insertion order); "–" for a label with no test images."""
    return " · ".join("%s: %s" % (label, "–" if per_class[label] is None else percent(per_class[label]))
                      for label in labels)


def mistake_items(mistakes):
    return [{"pixels": m["pixels"], "caption": "%s read as %s" % (m["truth"], m["predicted"])} for m in mistakes]


def sample_items(samples):
    return [{"pixels": s["pixels"], "caption": s["label"]} for s in samples]
