"""Segmentation: the digits of a one-line number in an ink map, boxed, in reading order.

    ink map (H, W) -> mask -> components (components.py)
      -> a printed box or a ring round the writing dropped (outlines.py)
      -> the marks of one line: pieces merged, specks and rules dropped (layout.py)
      -> marks far fainter or greyer than the line's others dropped: a shadow is no writing
      -> the lines counted: several are text, not a number (layout.py)
      -> the line's tilt (layout.py), by which each digit is turned level before it is read
      -> wide marks cut where the classifier reads the pieces best (split.py), and so are marks
         of a line read whole and doubtfully, wide enough to be two digits
      -> per digit, its MNIST-normalised 28x28 image and its box

Every candidate digit of the image is classified in one batch (a second for the doubtful marks' pieces).
"""
import numpy as np
from PIL import Image

from ..errors import EmptyImageError
from ..paper import longer_side_to, widen
from ..preprocess import BLANK, BOX, INK_THRESHOLD, bounding_box, centre_in_frame, fit_box
from .components import Components
from .layout import line_count, line_marks, line_tilt
from .outlines import outlines
from .split import best_pieces, candidate_pieces, cut_candidates, is_wide, piece_score

MAX_DIGITS = 40  # a longer line is cut off here, and the reading says so
FAINT = 0.5  # a mark whose strongest ink is under this share of the line's typical mark's is no writing:
             # the edge of a shadow or a smudge (in our photos, under 0.4 where digits reach 0.9)
GREY = 0.6  # nor is a mark whose core (its ink's CORE-th percentile) is under this share of the strongest
            # mark's: a patch of shadow or a table's grain, speckled with a few pen-dark pixels. On our
            # photos of single held-out training digits on a sheet lying on a light desk (seeds 5/6),
            # 79.5/85.0 % read right without it, 92.0/94.5 % with it; at 0.7, 94.5/96.0 %, but a photographed
            # number lost a thin 4 beside bold digits (its core 0.69 of theirs)
CORE = 90  # (a percentile)
TURN_SIDE = 3 * BOX  # a digit to be turned level is first shrunk to this longer side (pixels)
SCALE_FROM_LINE = 0.8  # a mark's widths are measured against at least this much of the line height
TWO_WIDE = 0.6  # a mark of a line read whole unsure, at least this wide (times its `_scale`), is read cut as well:
                # two touching digits. On numbers of held-out training digits, 9 of 600 clean ones had
                # a count wrong, 3 with this, and photo numbers read 2 more of 900
DOUBTFUL = 0.99  # and so is one read whole less sure than this (a 1 touching a 4 reads as a 4, 0.94 sure)...
DOUBTFUL_WIDE = 0.8  # ...if at least this wide. On numbers of held-out training digits (300-400 a set, a fifth
                     # or all with touching boxes), this read 15 more of 3,600 right, and none fewer in any set:
                     # clean, photo, marker, desk, light desk (at 0.9 sure, 9 more). From 0.6 wide to 0.8 it reads
                     # the same, but a narrow 9 read 0.65 sure cost the 5-digit speed case a second batch, 3 ms


class Digit:
    """One digit found: its box (x, y, w, h) in the ink map's pixels and the classifier's probabilities."""

    def __init__(self, box, probs):
        self.box, self.probs = box, probs


def find_digits(ink, classify, unsure_below=0.0):
    """Ink map (H, W) in [0, 1] -> ([Digit, ...] in reading order, a note or None).

    `classify` maps an (N, 28, 28) float32 batch of normalised digits to (N, classes)
    probabilities. A mark of a line read whole doubtfully (less than DOUBTFUL sure, or than
    `unsure_below`, the reading's threshold, where it would read "?") is read cut as well, when it
    is wide enough for two digits (`_doubtful`).
    The note says what was left out when the picture has more marks than a number has.
    """
    owned, line = _line_of_marks(ink)
    cut_off = len(owned) > MAX_DIGITS
    owned = owned[:MAX_DIGITS]
    marks = [mark for mark, _ in owned]
    heights = [_scale(mark, line) for mark in marks]
    candidates, probs = _read_marks(owned, heights, line_tilt(marks), classify, unsure_below)
    digits = [digit for mark, height, found, mark_probs in zip(marks, heights, candidates, probs)
              for digit in _chosen(mark, height, found, mark_probs)]
    if not cut_off and len(digits) <= MAX_DIGITS:
        return digits, None
    return digits[:MAX_DIGITS], "There is more here than a number of %d digits: the rest is not read." % MAX_DIGITS


def _line_of_marks(ink):
    """The ink map's marks, each with its own ink ([(mark, (H', W')), ...] in reading order), and the
    line's height. EmptyImageError where there is no mark, or where the marks make several lines."""
    inked = ink >= INK_THRESHOLD  # (H, W)
    components = Components(inked)
    labels = components.label_image()  # (H, W)
    round_writing = outlines(components, labels)
    if round_writing:  # what they hold is read, not they
        components = Components(inked & ~np.isin(labels, round_writing))
        labels = components.label_image()
    marks, line = line_marks(components)
    if not marks:
        raise EmptyImageError(BLANK)
    owned = _written([(mark, _own_ink(ink, labels, mark)) for mark in marks])  # before the lines are counted:
    if line_count([mark for mark, _ in owned], line) > 1:  # a table's grain along a sheet's edge is no line
        raise EmptyImageError("No number found: this is several lines of writing, and a number is one line.")
    return owned, line


def _chosen(mark, height, found, probs):
    """The mark's digits: of its candidates `found` (read as `probs`), the pieces that cover it with
    the best score all told (split.py; the whole mark alone is one such chain)."""
    scores = [piece_score(p, end - start, box[3], height) for ((start, end), _, box), p in zip(found, probs)]
    chosen = best_pieces(mark.width, [piece for piece, _, _ in found], scores)
    return [Digit(box, p) for (piece, _, box), p in zip(found, probs) if piece in chosen]


def _read_marks(owned, heights, tilt, classify, unsure_below):
    """Each mark's candidate digits and their probabilities: ([[candidate, ...] per mark], [(N_mark, classes)]).

    `heights` holds, per mark, the height its widths are measured against (`_scale`). A mark of a
    line of several, read whole doubtfully (`_doubtful`) and wide enough to be two digits, is
    read again cut as a wide mark is: two digits that touch can be narrower than a wide mark (a 1
    beside a 2). A mark alone is not, nor is it cut at its outline's notches (split.py): a letter B
    cut in two reads as a confident 1 and 3, a W as a 4 and a 1.
    """
    in_line = len(owned) >= 2
    candidates = [_candidates(mine, mark, height, tilt, notches=in_line)
                  for (mark, mine), height in zip(owned, heights)]
    probs = _classified(candidates, classify)
    if not in_line:
        return candidates, probs
    again, pieces = [], []
    for i, ((mark, mine), height, found, mark_probs) in enumerate(zip(owned, heights, candidates, probs)):
        if _doubtful(mark, height, found, mark_probs, unsure_below):
            cut = _candidates(mine, mark, height, tilt, cut=True)
            if cut:
                again.append(i)
                pieces.append(cut)
    if not pieces:
        return candidates, probs
    for i, more, more_probs in zip(again, pieces, _classified(pieces, classify)):
        candidates[i], probs[i] = candidates[i] + more, np.concatenate([probs[i], more_probs])
    return candidates, probs


def _classified(candidates, classify):
    """[[candidate, ...] per mark], at least one in all -> [(N_mark, classes) per mark], in one batch."""
    probs = classify(np.stack([image for found in candidates for _, image, _ in found]))  # (N, classes)
    return np.split(probs, np.cumsum([len(found) for found in candidates])[:-1])


def _doubtful(mark, height, found, probs, unsure_below):
    """Whether a mark read whole (not cut) is wide enough to be two digits for how sure it is read:
    TWO_WIDE where it would read "?" (under `unsure_below`), DOUBTFUL_WIDE where under DOUBTFUL."""
    if len(found) != 1:  # cut already: the one candidate of a mark read whole is the mark
        return False
    sure = probs[0].max()
    widest = TWO_WIDE if sure < unsure_below else DOUBTFUL_WIDE if sure < DOUBTFUL else np.inf
    return mark.width >= widest * height


def _written(owned):
    """The (mark, its own ink) pairs written with the line's pen: those whose strongest ink reaches
    FAINT of the median mark's, and whose core reaches GREY of the strongest core among those (so a
    mark alone is always kept)."""
    peaks = [float(mine.max()) for _, mine in owned]
    typical = float(np.median(peaks))
    strong = [pair for pair, peak in zip(owned, peaks) if peak >= FAINT * typical]
    cores = [_core(mine) for _, mine in strong]
    return [pair for pair, core in zip(strong, cores) if core >= GREY * max(cores)]


def _core(mine):
    """How dark a mark's pen is: the CORE-th percentile of its inked pixels (a stroke's middle is about
    as dark as its darkest speck; a grey patch's speckle is not)."""
    return float(np.percentile(mine[mine >= INK_THRESHOLD], CORE))


def _candidates(mine, mark, height, tilt, cut=False, notches=True):
    """The mark's candidate digits, from its own ink `mine`, each turned by `tilt` degrees:
    [((start, end) columns of the mark, 28x28 image, box)]: the whole mark and, for a wide one,
    its pieces (cut at its outline's notches too, with `notches`); with `cut`, its pieces alone."""
    found = []
    for piece in _pieces(mark, mine, height, cut, notches):
        normalised = _normalised(mine, mark, piece, tilt)
        if normalised is not None:
            found.append((piece,) + normalised)
    return found


def _own_ink(ink, labels, mark):
    """The mark's own ink within its box (H', W'): its components and their faint edges, not a neighbour's."""
    x0, y0, x1, y1 = mark.box
    mine = np.isin(labels[y0:y1, x0:x1], mark.ids)  # (H', W')
    return ink[y0:y1, x0:x1] * widen(mine, 1)  # grown by a pixel: the anti-aliased edge below the ink threshold


def _scale(mark, line):
    """The height a mark's widths are measured against: its own, or the line's where it is flatter
    (a flat 2 is not two digits for being twice as wide as it is tall)."""
    return max(mark.height, SCALE_FROM_LINE * line)


def _pieces(mark, mine, height, cut, notches):
    """The column ranges of the mark to classify: the whole mark, and for a wide one its candidate
    pieces; with `cut`, the candidate pieces alone (the whole is read already)."""
    whole = (0, mark.width)
    if not (cut or is_wide(mark.width, height)):
        return [whole]
    cuts = cut_candidates(mine, height, notches)
    pieces = [piece for piece in candidate_pieces(mark.width, height, cuts) if piece != whole]
    return pieces if cut else pieces + [whole]


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
    size = longer_side_to((w, h), min(TURN_SIDE, max(w, h)))  # shrunk, never enlarged
    small = Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.BOX)  # mode F reads float32 bytes
    turned = np.asarray(small.rotate(tilt, Image.BILINEAR, expand=True))  # (H', W')
    try:
        return turned, bounding_box(turned)
    except EmptyImageError:
        return None
