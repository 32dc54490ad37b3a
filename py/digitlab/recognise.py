"""From an image to what it says: decode, find the digits, normalise, classify. Shared by the CLI and the page.

A model whose labels are single characters (the digits) reads a line of them, each one found
and boxed (segment/). A model with longer labels (a folder of "cat" and "dog" pictures)
reads the whole picture as one thing, as it was trained.
"""
import numpy as np

from .data.images import decode_image, rgba_to_gray
from .data.nondigits import NONE_OF_THESE
from .data.store import UNSURE
from .errors import DigitlabError, EmptyImageError
from .nn.losses import softmax
from .preprocess import INPUT_SHAPE, ink_map, normalise
from .segment import Digit, find_digits

# A digit read with less (calibrated) confidence is "?": not sure, or not a digit. Chosen on
# held-out training digits (tests/bench/bench_recipes.py, the built-in recipe, seeds 0 and 1, the
# temperature fitted with calibrate.COPIES augmented passes): there 0.25-0.56 % of digits fall below
# it and 90-92 % of non-digits, leaving a margin for new writers, whose digits fall below it more often.
THRESHOLD = 0.5
CANDIDATES = 3  # the best labels kept for a digit, "?" or not
# A digit read less than REREAD sure is read again moved a pixel left and right, and the three
# readings' logits averaged. On pictures made from held-out training digits, two `wide` models trained
# apart read 0.3-1.3 % more single digits and (for one of them) numbers right, at the cost of at
# most 1 % more non-digits taken for digits; moving the digit up and down as well did no better
# (tests/bench/bench_recipes.py --moves). Reading again only the doubtful ones (under 0.8 or 0.95
# sure: the same figures) spares the page's engine, where each reading costs milliseconds.
MOVES = ((0, 1), (0, -1))  # (rows, columns): the readings besides the digit as it is
REREAD = 0.8


def reads_a_line(saved):
    """Whether the model reads a line of characters: each label is one ("none of these" aside)."""
    return all(len(label) == 1 for label in saved.labels if label != NONE_OF_THESE)


def check_picture_input(saved):
    """Raise DigitlabError unless `saved` reads what a picture is normalised to (INPUT_SHAPE): a
    model trained on an image store of another size can be scored on that store, not read pictures
    (nor be the network a folder's classifier starts from)."""
    if saved.model.input_shape != INPUT_SHAPE:
        raise DigitlabError("This model reads %dx%dx%d images, and pictures are read as %dx%dx%d digits: "
                            "it cannot read them." % (saved.model.input_shape + INPUT_SHAPE))


def check_reads_pictures(saved):
    """Raise DigitlabError unless `saved` reads pictures (check_picture_input) and its labels can
    name what it reads. A base network's own labels are never read (its head is replaced): the
    built-in one's glyphs include a ?."""
    check_picture_input(saved)
    if all(label == NONE_OF_THESE for label in saved.labels):
        raise DigitlabError("This model has no label but “%s”: it cannot name anything." % NONE_OF_THESE)
    if UNSURE in saved.labels:
        raise DigitlabError("This model has a label %s, which a reading says when not sure: its sure "
                            "answers would read as not sure." % UNSURE)


def recognise_gray(saved, gray, scale=(1.0, 1.0), threshold=THRESHOLD, origin=(0, 0)):
    """Grayscale image -> {"text", "digits": [{"label", "confidence", "box", "candidates"}], ["note"]}.

    `scale` maps boxes back to source pixels, and `origin` places them in the picture the image was
    cut from (a drawing sends only its inked part). A digit whose best label is less than `threshold`
    sure is labelled "?"; its candidates still say what it may be. Nothing found is an empty text
    with a note (always one), not an error.
    """
    check_reads_pictures(saved)
    # In a line, a piece that is "none of these" is one the model is not sure of: that class is left
    # out of the reading, and its share of the probability with it.
    in_a_line = reads_a_line(saved)
    labels = [label for label in saved.labels if not (in_a_line and label == NONE_OF_THESE)]
    try:
        digits, note = _digits(saved, gray, [saved.labels.index(label) for label in labels], threshold)
    except EmptyImageError as err:
        return {"text": "", "digits": [], "note": str(err)}
    entries = [_entry(labels, digit, scale, origin, threshold) for digit in digits]
    result = {"text": "".join(entry["label"] for entry in entries), "digits": entries}
    if note:
        result["note"] = note
    return result


def _digits(saved, gray, classes, threshold):
    def classify(batch):  # (N, 28, 28) -> (N, len(classes))
        return read_shifted(saved, batch)[:, classes]

    if reads_a_line(saved):
        return find_digits(ink_map(gray), classify, unsure_below=threshold)  # a mark that would read "?" is tried cut
    image, box = normalise(gray)
    return [Digit(box, classify(image[None])[0])], None


def read_shifted(saved, batch):
    """(N, 28, 28) normalised digits -> (N, classes) probabilities: each digit's calibrated logits,
    averaged with those of the digit moved by MOVES where it reads less than REREAD sure.

    A digit's frame has blank margins (its ink is BOX of SIZE pixels, centred by its mass), so rolling
    it a pixel moves its ink and wraps blank; only a very lopsided digit's ink reaches an edge.
    """
    logits = saved.logits(batch[..., None])  # (N, classes)
    doubtful = np.flatnonzero(softmax(logits).max(axis=1) < REREAD)  # (D,)
    if doubtful.size and MOVES:
        moved = np.concatenate([np.roll(batch[doubtful], move, axis=(1, 2)) for move in MOVES])  # (M*D, 28, 28)
        others = saved.logits(moved[..., None]).reshape(len(MOVES), doubtful.size, -1)  # (M, D, classes)
        logits[doubtful] = (logits[doubtful] + others.sum(axis=0)) / (1 + len(MOVES))
    return softmax(logits)


def _entry(labels, digit, scale, origin, threshold):
    ranked = np.argsort(-digit.probs, kind="stable")[:CANDIDATES]
    candidates = [{"label": labels[i], "confidence": float(digit.probs[i])} for i in ranked]
    best = candidates[0]
    x, y, w, h = digit.box
    sx, sy = scale
    left, top = origin
    box = [left + int(round(x * sx)), top + int(round(y * sy)), max(1, int(round(w * sx))), max(1, int(round(h * sy)))]
    return {"label": best["label"] if best["confidence"] >= threshold else UNSURE,
            "confidence": best["confidence"], "box": box, "candidates": candidates}


def recognise_image(saved, data, threshold=THRESHOLD):
    """Encoded image bytes (PNG, JPEG, ...) -> result dict."""
    gray, (width, height) = decode_image(data)
    return recognise_gray(saved, gray, (width / gray.shape[1], height / gray.shape[0]), threshold)


def recognise_rgba(saved, rgba, width, height, source_size, origin=(0, 0)):
    """Raw RGBA pixels (a canvas's inked part, or an image the browser decoded) -> result dict.

    `source_size` is the (W, H) of the original picture (the pixels' own where they are not a
    reduced copy); `origin` is where in the picture the pixels were cut from.
    """
    source_width, source_height = source_size
    return recognise_gray(saved, rgba_to_gray(rgba, width, height), (source_width / width, source_height / height),
                          origin=origin)
