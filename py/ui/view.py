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
