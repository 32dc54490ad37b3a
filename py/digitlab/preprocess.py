"""MNIST's own normalisation, used alike by the CLI, the training data and the browser.

grayscale -> ink polarity -> tight bounding box -> longer side scaled to 20 px
(aspect kept) -> placed in 28x28 with the centre of mass at the centre.
"""
import numpy as np
from PIL import Image

from .errors import EmptyImageError
from .paper import (PAPER_FILTER, border_pixels, extended, find_sheet, is_even, is_light_border, longer_side_to,
                    paper_level, relative_ink, span, stroke_filter, widen)

SIZE = 28
INPUT_SHAPE = (SIZE, SIZE, 1)  # what a network reads: one normalised grey digit
BOX = 20
INK_THRESHOLD = 0.25  # fraction of the strongest ink that counts as part of the digit
BLANK = "No digit found: the image is blank."
BLANK_PEAK = 0.1  # a picture whose strongest ink is weaker than this against its paper is blank
BOLD_INK = 0.5  # a bold stroke's middle, found on paper, is ink this strong against the strongest at least
CUT_CLOSE_ROW = 0.2  # on a border light but not even (a picture cut close), a row of the writing holds more than this
                     # share of the fullest row's ink pixels: a sheet's edges on a lighter table, thin lines as tall as
                     # the picture, made a digit look as tall, and shadows were filled in (on even paper all ink is writing)
DARK_GROUND = 0.35  # a border darker than this is a dark ground with light ink; paper in a dim photo is lighter


def ink_map(gray):
    """Grayscale (1 = white) -> ink strength in [0, 1], whatever the polarity and the light.

    In a photo of a sheet lying on a table (`find_sheet`), the ink is what is dark on the sheet: the
    table, its grain and the sheet's edge are no writing. Otherwise the border tells the polarity:
    a dark one (below DARK_GROUND) means light ink on a dark ground, as in MNIST itself, which is
    turned over first; anything lighter is paper, however dim the photo or deep the shadow across
    it. Each pixel's ink is how much darker it is than the paper around it (`paper_level`),
    relative to that paper, so a shadow or a light gradient across a photo is not ink; where the
    border is paper (even, or light as a picture cut close round its writing is), bold strokes are
    ink through and through (`with_bold_middles`). The result is stretched so the strongest ink is 1.
    """
    if gray.size == 0:  # a video frame not yet ready is 0x0: nothing to read, not a fault
        raise EmptyImageError("No digit found: the image is empty (0 pixels).")
    sheet = find_sheet(gray)  # (H, W) bool, or None
    if sheet is not None:
        ink = relative_ink(gray, paper_level(extended(gray, sheet)))  # (H, W)
        ink[~sheet] = 0
    else:
        ink = _ink_on_paper(gray)
    peak = float(ink.max())
    if peak < BLANK_PEAK:
        raise EmptyImageError(BLANK)
    ink *= 1.0 / peak
    ink[ink < INK_THRESHOLD / 2] = 0  # drop faint paper texture and shadows (and the paper lighter than its level)
    return ink


def _ink_on_paper(gray):
    """ink_map's ink (H, W), not yet stretched, of a picture that is all paper (or all dark ground)."""
    border = border_pixels(gray)
    if float(np.median(border)) < DARK_GROUND:
        gray, border = 1.0 - gray, 1.0 - border
    paper = paper_level(gray)  # (H, W)
    lightest = float(paper.max())  # taken first: relative_ink uses `paper` up
    ink = relative_ink(gray, paper)  # (H, W)
    if is_even(border):
        return with_bold_middles(gray, ink)
    if is_light_border(border, lightest):  # cut close round its writing, whose ink crosses the border
        return with_bold_middles(gray, ink, CUT_CLOSE_ROW)
    return ink


def with_bold_middles(gray, ink, row_share=0.0):
    """`ink` (H, W) with the middles of strokes wider than paper_level's filter filled in, where it
    took them for paper, and their soft edges, which it found too faint: in writing that fills the
    picture (a digit cut out close, as MNIST's own 28x28 are) the filter, a share of the picture, is
    narrower than a bold stroke. Where the border is paper, the paper is estimated again with a
    filter as wide as a stroke may be in writing as tall as its rows (those holding more than
    `row_share` of the fullest row's ink pixels: on even paper, any ink); what that finds is kept
    where it is at least BOLD_INK of its strongest, as a stroke's middle is, and a pixel around,
    its edge; not the fainter rest (a sheet a little darker than the light table it lies on).
    MNIST's 28x28 training digits, as PNG files: 1.15 % read wrong without it, 0.45 % with it (every 4th; the test
    digits are in bench_photos)."""
    peak = float(ink.max())
    if peak < BLANK_PEAK:  # blank: said by ink_map
        return ink
    size = stroke_filter(span((ink >= INK_THRESHOLD * peak).sum(axis=1), row_share), gray.shape)
    if size == PAPER_FILTER:  # the writing is small in the picture: the filter closed over its strokes
        return ink
    wide = relative_ink(gray, paper_level(gray, size))  # (H, W)
    strokes = widen(wide >= BOLD_INK * float(wide.max()), 1)  # (H, W): and their edges
    return np.where(strokes, np.maximum(ink, wide), ink)


def bounding_box(ink):
    """Tight (x, y, w, h) box around the pixels with ink >= INK_THRESHOLD."""
    inked = ink >= INK_THRESHOLD  # (H, W)
    rows = np.flatnonzero(inked.any(axis=1))
    cols = np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        raise EmptyImageError(BLANK)
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def centre_of_mass(image):
    """(row, col) of the intensity-weighted mean pixel position."""
    total = image.sum()
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def fit_box(ink, box):
    """Crop to `box` and scale its longer side to BOX pixels, keeping the aspect ratio."""
    x, y, w, h = box
    crop = ink[y:y + h, x:x + w].astype(np.float32)
    resample = Image.LANCZOS if BOX < max(w, h) else Image.BILINEAR
    # reducing_gap: a quick box reduction down to 3x the size first; the same result to ~1e-3, far faster
    resized = Image.fromarray(crop, mode="F").resize(longer_side_to((w, h), BOX), resample, reducing_gap=3.0)
    return np.clip(np.asarray(resized, dtype=np.float32), 0, 1)


def centre_in_frame(digit):
    """Paste `digit` into a SIZE x SIZE frame so its centre of mass lands on the centre."""
    frame = np.zeros((SIZE, SIZE), np.float32)
    cy, cx = centre_of_mass(digit)
    top = int(round(SIZE / 2.0 - cy))  # MNIST's centre of mass sits at pixel (14, 14)
    left = int(round(SIZE / 2.0 - cx))
    h, w = digit.shape
    # Clip the paste to the frame (a very lopsided digit may lose an edge).
    fy0, fx0 = max(0, top), max(0, left)
    fy1, fx1 = min(SIZE, top + h), min(SIZE, left + w)
    frame[fy0:fy1, fx0:fx1] = digit[fy0 - top:fy1 - top, fx0 - left:fx1 - left]
    return frame


def normalise(gray):
    """Grayscale image -> (28x28 float32 ink image in [0, 1], bounding box in the input)."""
    ink = ink_map(gray)
    box = bounding_box(ink)
    return centre_in_frame(fit_box(ink, box)), box
