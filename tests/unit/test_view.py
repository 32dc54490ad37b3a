"""What the page says for engine replies (py/ui/view.py, shared with MicroPython)."""
import view

INFO = {"runtime": {"label": "Pyodide 0.17.1"}, "python": "3.8.2", "numpy": "1.17.5", "pillow": "8.0.1"}


def test_runtime_line_names_every_part():
    assert view.runtime_line(INFO) == "Pyodide 0.17.1 · Python 3.8.2 · numpy 1.17.5 · Pillow 8.0.1"


def test_a_prediction_shows_the_label_and_confidence():
    reply = {"ok": True, "result": {"text": "7", "digits": [{"label": "7", "confidence": 0.9871, "box": [1, 2, 3, 4]}]}}
    assert view.describe(reply) == {"prediction": "7", "confidence": "98.7% sure", "message": ""}


def test_an_error_shows_its_message_and_no_prediction():
    reply = {"ok": False, "error": {"type": "EmptyImageError", "message": "No digit found: the image is blank."}}
    shown = view.describe(reply)
    assert shown["prediction"] == "–" and shown["confidence"] == ""
    assert shown["message"] == "No digit found: the image is blank."


def test_uploads_are_refused_before_reading_when_empty_or_too_big():
    assert view.upload_problem(0) == "The file is empty."
    assert "limit is 30 MB" in view.upload_problem(view.MAX_UPLOAD_BYTES + 1)
    assert view.upload_problem(view.MAX_UPLOAD_BYTES) is None
