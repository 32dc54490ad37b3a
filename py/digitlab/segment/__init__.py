"""Segmentation: the digits of a one-line number in an ink map, boxed, in reading order.

    ink map (H, W) -> mask -> components (components.py)
      -> the marks of one line: pieces merged, specks and rules dropped (layout.py)
      -> wide marks cut where the classifier reads the pieces best (split.py)
      -> per digit, its MNIST-normalised 28x28 image and its box

Every candidate digit of the image is classified in one batch.
"""
import numpy as np

from ..errors import EmptyImageError
from ..preprocess import INK_THRESHOLD, bounding_box, centre_in_frame, fit_box
from .components import Components
from .layout import line_marks
from .split import best_pieces, candidate_pieces, cut_candidates, is_wide, piece_score

MAX_DIGITS = 40  # a longer line is cut off here, and the reading says so
SCALE_FROM_LINE = 0.8  # a mark's widths are measured against at least this much of the line height


class Digit:
    """One digit found: its box (x, y, w, h) in the ink map's pixels and the classifier's probabilities."""

    def __init__(self, box, probs):
        self.box, self.probs = box, probs


def find_digits(ink, classify):
    """Ink map (H, W) in [0, 1] -> ([Digit, ...] in reading order, a note or None).

    `classify` maps an (N, 28, 28) float32 batch of normalised digits to (N, classes)
    probabilities. The note says what was left out when the picture has more marks than
    a number has.
    """
    components = Components(ink >= INK_THRESHOLD)
    marks, line = line_marks(components)
    if not marks:
        raise EmptyImageError("No digit found: the image is blank.")
    marks = marks[:MAX_DIGITS + 1]  # one more than is read, so that cutting off is noticed
    labels = components.label_image()  # (H, W)
    owned = [_own_ink(ink, labels, mark) for mark in marks]
    candidates = []  # (mark number, (start, end) columns of the mark, 28x28 image, box)
    for number, (mark, mine) in enumerate(zip(marks, owned)):
        for piece in _pieces(mark, mine, _scale(mark, line)):
            normalised = _normalised(mine, mark, piece)
            if normalised is not None:
                candidates.append((number, piece) + normalised)
    probs = classify(np.stack([c[2] for c in candidates]))  # (N, classes)
    digits = []
    for number, mark in enumerate(marks):
        mine = [i for i, c in enumerate(candidates) if c[0] == number]
        pieces = [candidates[i][1] for i in mine]
        scores = [piece_score(probs[i], end - start, candidates[i][3][3], _scale(mark, line))
                  for i, (start, end) in zip(mine, pieces)]
        chosen = best_pieces(mark.width, pieces, scores) or []
        digits += [Digit(candidates[i][3], probs[i]) for i in mine if candidates[i][1] in chosen]
    if len(digits) <= MAX_DIGITS:
        return digits, None
    return digits[:MAX_DIGITS], ("There is more here than a number of %d digits: only the first %d marks "
                                 "are read." % (MAX_DIGITS, MAX_DIGITS))


def _own_ink(ink, labels, mark):
    """The mark's own ink within its box (H', W'): its components and their faint edges, not a neighbour's."""
    x0, y0, x1, y1 = mark.box
    mine = np.isin(labels[y0:y1, x0:x1], mark.ids)  # (H', W')
    grown = mine.copy()  # grown by a pixel, for the anti-aliased edge below the ink threshold
    grown[1:] |= mine[:-1]
    grown[:-1] |= mine[1:]
    wide = grown.copy()
    wide[:, 1:] |= grown[:, :-1]
    wide[:, :-1] |= grown[:, 1:]
    return ink[y0:y1, x0:x1] * wide


def _scale(mark, line):
    """The height a mark's widths are measured against: its own, or the line's where it is flatter
    (a flat 2 is not two digits for being twice as wide as it is tall)."""
    return max(mark.height, SCALE_FROM_LINE * line)


def _pieces(mark, mine, height):
    """The column ranges of the mark to classify: the whole mark, and for a wide one its candidate pieces."""
    whole = (0, mark.width)
    if not is_wide(mark.width, height):
        return [whole]
    cuts = cut_candidates(mine.sum(axis=0), height)
    pieces = candidate_pieces(mark.width, height, cuts)
    return pieces if whole in pieces else pieces + [whole]


def _normalised(mine, mark, piece):
    """(28x28 digit, box in the ink map) for columns `piece` of the mark, or None where it has no ink."""
    start, end = piece
    crop = mine[:, start:end]
    try:
        x, y, w, h = bounding_box(crop)
    except EmptyImageError:
        return None
    box = (mark.box[0] + start + x, mark.box[1] + y, w, h)
    return centre_in_frame(fit_box(crop, (x, y, w, h))), box
