"""From an image to digits: decode, normalise, classify. Shared by the CLI and the page."""
import numpy as np

from .data.images import decode_image, rgba_to_gray
from .preprocess import normalise


def classify(saved, digit):
    """A normalised 28x28 digit -> (label, confidence) from a SavedModel."""
    probs = saved.model.predict_proba(digit[None, :, :, None])[0]
    best = int(np.argmax(probs))
    return saved.labels[best], float(probs[best])


def recognise_gray(saved, gray, scale=(1.0, 1.0)):
    """Grayscale image -> result dict; `scale` maps the box back to source pixels."""
    digit, (x, y, w, h) = normalise(gray)
    label, confidence = classify(saved, digit)
    sx, sy = scale
    box = [int(round(x * sx)), int(round(y * sy)), max(1, int(round(w * sx))), max(1, int(round(h * sy)))]
    return {"text": label, "digits": [{"label": label, "confidence": confidence, "box": box}]}


def recognise_image(saved, data):
    """Encoded image bytes (PNG, JPEG, ...) -> result dict."""
    gray, (width, height) = decode_image(data)
    return recognise_gray(saved, gray, (width / gray.shape[1], height / gray.shape[0]))


def recognise_rgba(saved, rgba, width, height, source_size=None):
    """Raw RGBA pixels (a canvas, or an image the browser decoded) -> result dict.

    `source_size` is the (W, H) of the original when the pixels are a reduced copy.
    """
    source_width, source_height = source_size or (width, height)
    return recognise_gray(saved, rgba_to_gray(rgba, width, height), (source_width / width, source_height / height))
