"""Segmentation: the digits of a one-line number in an ink map, boxed, in reading order.

    ink map (H, W) -> mask -> components (components.py)
      -> the marks of one line: pieces merged, specks and rules dropped (layout.py)
      -> marks far fainter than the line's others dropped: the edge of a shadow is no writing
      -> the line's tilt (layout.py), by which each digit is turned level before it is read
      -> wide marks cut where the classifier reads the pieces best (split.py)
      -> per digit, its MNIST-normalised 28x28 image and its box

Every candidate digit of the image is classified in one batch.
"""
import numpy as np
from PIL import Image

from ..errors import EmptyImageError
from ..preprocess import BOX, INK_THRESHOLD, bounding_box, centre_in_frame, fit_box
from .components import Components
from .layout import line_count, line_marks, line_tilt
from .split import best_pieces, candidate_pieces, cut_candidates, is_wide, piece_score

MAX_DIGITS = 40  # a longer line is cut off here, and the reading says so
FAINT = 0.5  # a mark whose strongest ink is under this share of the line's typical mark's is no writing:
             # the edge of a shadow or a smudge (in our photos, under 0.4 where digits reach 0.9)
TURN_SIDE = 3 * BOX  # a digit to be turned level is first shrunk to this longer side (pixels)
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
    if line_count(marks, line) > 1:
        raise EmptyImageError("No number found: this is several lines of writing, and a number is one line.")
    labels = components.label_image()  # (H, W)
    marks = marks[:MAX_DIGITS + 1]  # one more than is read, so that cutting off is noticed
    owned = _written([(mark, _own_ink(ink, labels, mark)) for mark in marks])
    marks = [mark for mark, _ in owned]
    tilt = line_tilt(marks)
    candidates = [_candidates(mine, mark, _scale(mark, line), tilt) for mark, mine in owned]
    probs = classify(np.stack([image for found in candidates for _, image, _ in found]))  # (N, classes)
    digits, first = [], 0
    for mark, found in zip(marks, candidates):
        mark_probs, first = probs[first:first + len(found)], first + len(found)
        height = _scale(mark, line)
        scores = [piece_score(p, end - start, box[3], height) for ((start, end), _, box), p in zip(found, mark_probs)]
        chosen = best_pieces(mark.width, [piece for piece, _, _ in found], scores) or []
        digits += [Digit(box, p) for (piece, _, box), p in zip(found, mark_probs) if piece in chosen]
    if len(digits) <= MAX_DIGITS:
        return digits, None
    return digits[:MAX_DIGITS], ("There is more here than a number of %d digits: only the first %d marks "
                                 "are read." % (MAX_DIGITS, MAX_DIGITS))


def _written(owned):
    """The (mark, its own ink) pairs written with the line's pen: those whose strongest ink reaches
    FAINT of the median mark's (so a mark alone is always kept)."""
    peaks = [float(mine.max()) for _, mine in owned]
    typical = float(np.median(peaks))
    return [pair for pair, peak in zip(owned, peaks) if peak >= FAINT * typical]


def _candidates(mine, mark, height, tilt):
    """The mark's candidate digits, from its own ink `mine`, each turned by `tilt` degrees:
    [((start, end) columns of the mark, 28x28 image, box)]."""
    found = []
    for piece in _pieces(mark, mine, height):
        normalised = _normalised(mine, mark, piece, tilt)
        if normalised is not None:
            found.append((piece,) + normalised)
    return found


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


def _normalised(mine, mark, piece, tilt):
    """(28x28 digit, box in the ink map) for columns `piece` of the mark, turned by `tilt` degrees
    (Pillow's sense: counter-clockwise) before it is normalised; None where it has no ink. The box
    is the piece's as it stands in the picture."""
    start, end = piece
    crop = mine[:, start:end]
    try:
        x, y, w, h = bounding_box(crop)
    except EmptyImageError:
        return None
    box = (mark.box[0] + start + x, mark.box[1] + y, w, h)
    turned = _turned(crop[y:y + h, x:x + w], tilt) if tilt else None
    if turned is not None:
        crop, (x, y, w, h) = turned
    return centre_in_frame(fit_box(crop, (x, y, w, h))), box


def _turned(crop, tilt):
    """(the crop turned by `tilt` degrees, its ink's box), shrunk to TURN_SIDE first (turning a
    photo's full-size digit cost more than the rest of its reading); None where a hairline
    shrinks below the ink threshold, and the digit is read as it stands."""
    h, w = crop.shape
    scale = min(1.0, TURN_SIDE / float(max(w, h)))
    small = Image.fromarray(crop, mode="F").resize((max(1, int(round(w * scale))), max(1, int(round(h * scale)))),
                                                   Image.BOX)
    turned = np.asarray(small.rotate(tilt, Image.BILINEAR, expand=True))  # (H', W')
    try:
        return turned, bounding_box(turned)
    except EmptyImageError:
        return None
