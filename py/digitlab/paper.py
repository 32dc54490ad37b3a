"""The paper in a picture: its light under every pixel and, in a photo of a sheet lying on a table,
where the sheet is.

Ink is what is darker than the paper around it (`preprocess.ink_map`), so the paper's own level
must be known everywhere: a photo's light falls off across a page, and a shadow darkens part of
it. A photo may also show what the sheet lies on: a table darker than paper, whose edge against
the sheet is no writing, and which, seen all around the sheet, would make the picture's border
look like the dark ground of light writing.
"""
import numpy as np
from PIL import Image, ImageFilter

PAPER_SIDE = 32  # the paper's light is estimated on the picture shrunk to this many pixels a side...
PAPER_FILTER = 5  # ...as its closing over 5x5 there: each pixel the brightest around it, then the darkest of
                  # those, so strokes go and the paper keeps its edges (an odd size, as Pillow's filters want)...
STROKE_SHARE = 0.45  # ...or, where the border is paper, in a filter as wide as a stroke of this share of the writing's height
EVEN_PAPER = 0.08  # even paper: the middle 80 % of the picture's border spans less light than this...
LIGHT_BORDER = 0.8  # ...or paper all the same: a border whose median is this light against the picture's lightest
                    # paper, the ink that crosses it aside. On held-out training digits cut out close (no margin), only
                    # even paper had bold strokes filled in: photographed 130, thick 83 of 150 read right, 146
                    # and 138 with this (149 and 147 with a margin of a twentieth); no set of whole pictures read fewer

SHEET_SIDE = 128  # a sheet on a table is looked for on the picture resized to this many pixels a side
MIN_TABLE_BORDER = 0.1  # the table is seen along at least this share of the picture's border
SHEET_OPENING = 0.1  # a sheet is light ground wider than twice this share of the shorter side (a stroke is thinner),
MIN_SHEET = 0.2  # covering at least this share of the picture...
MIN_TABLE = 0.01  # ...but not all of it: with less than this share of table around it, it is just the paper
SHEET_PAPER = 0.75  # at least this share of a sheet is light: paper with writing, not light writing on dark
FILLED = 0.9  # what is dark on a sheet may not span this share of the picture both ways (the rows and columns
              # holding more than FILLED_LINE of the fullest one's dark pixels): that is a picture cut close round
              # its writing, whose digit against the frame looked like a strip of table and was lost. Held-out
              # numbers cut out close: 181 of 200 read right, 190 with this; desk photos the same (at 0.8, 3 fewer)
FILLED_LINE = 0.1
MIN_WRITING_LENGTH = 5  # what is dark on a sheet is strokes, at least this many times longer than wide
TABLE_CONTRAST = 0.75  # a table is at most this bright against the sheet (not a gradient across one page)...
SHEET_EDGE = 0.75  # ...and meets it in a step: the light changes this much within NEAR_REACH pixels of the edge...
NEAR_REACH = 2
EDGE_REACH = 4  # ...as within this many (a shadow's edge spreads wider), on the picture smoothed over 3x3 (a
                # table's grain and a camera's noise made real edges look soft): on desk photos of training
                # digits sheets measure 0.70-0.99 (2 % under 0.81), an MNIST digit's strokes 0.60-0.68, a ramp 0.5
SHEET_RIM = 2  # the sheet's outermost pixels there count as table: a photo's edges are blurred
TABLE_BAND = PAPER_FILTER // 2 * SHEET_SIDE // PAPER_SIDE  # paper_level blurs a sheet's light this far over the table...
WRITING_INK = 0.75  # ...past which ink this strong against the sheet's strongest...
WRITING_SHARE = 0.0005  # ...on this share of the picture is writing: the page goes on in a shadow


def relative_ink(gray, paper):
    """How much darker each pixel is than `paper` (H, W), relative to it. `paper` is used up: the
    work is in place, as a photo's map is a million pixels."""
    ink = paper - gray
    ink /= np.maximum(paper, 0.05, out=paper)
    return ink


def paper_level(gray, size=PAPER_FILTER):
    """The paper's brightness under every pixel (H, W): the picture shrunk to PAPER_SIDE pixels, its
    darker marks filled in by a closing (a maximum filter, then a minimum filter, `size` pixels
    there: strokes are thin at that scale and vanish, while the edge of a shadow, which is wide,
    goes back where it was instead of spreading the light side's level over the dark side),
    enlarged back."""
    h, w = gray.shape
    closed = _resized(gray, PAPER_SIDE).filter(ImageFilter.MaxFilter(size)).filter(ImageFilter.MinFilter(size))
    return np.array(closed.resize((w, h), Image.BILINEAR), dtype=np.float32)


def border_pixels(image):
    """The picture's outermost rows and columns, in one array (the corners twice)."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def is_even(border):
    """Whether the picture's border pixels are even paper: a drawing, a scan."""
    low, high = np.percentile(border, [10, 90])
    return high - low < EVEN_PAPER


def is_light_border(border, lightest):
    """Whether the picture's border, though not even, is mostly (its median) about as light as the
    picture's `lightest` paper: a picture cut close round its writing, whose ink crosses the border.
    A table round a sheet is darker."""
    return float(np.median(border)) >= LIGHT_BORDER * lightest


def stroke_filter(writing_height, shape):
    """The size of paper_level's filter that closes over a stroke STROKE_SHARE as wide as writing
    `writing_height` pixels tall, in a picture of `shape`; never under PAPER_FILTER (odd, as Pillow's)."""
    size = int(np.ceil(STROKE_SHARE * writing_height * PAPER_SIDE / float(max(shape))))
    return max(PAPER_FILTER, size + 1 - size % 2)


def find_sheet(gray):
    """Where a photo shows a sheet of paper lying on something darker, the sheet within its rim
    (H, W) bool; None when the picture is all paper, or light writing on a dark ground.

    Looked for on the picture resized to SHEET_SIDE, when what is darker than Otsu's threshold
    lies along the frame, as a table does: among the pixels lighter than that threshold, and than
    the one that splits those darker than it (`sheet_above`), as a part of the sheet in a shadow can
    be darker than the first and still lighter than the table. The larger sheet found is taken, or
    else the smaller, unless what is dark on it spans the picture (`fills_picture`: writing cut out
    close) or what lies around it holds writing (`writes_beyond`).
    """
    h, w = gray.shape
    small = np.asarray(_resized(gray, SHEET_SIDE, Image.BILINEAR))  # (h', w'): a small one smoothly enlarged
    level = otsu_threshold(small)
    border = border_pixels(small)
    if np.mean(border <= level) < MIN_TABLE_BORDER:
        return None  # a drawing, or a photo of a page alone
    found = [sheet_above(small, level), sheet_above(small, otsu_threshold(small[small <= level]))]
    sheets = sorted((sheet for sheet in found if sheet is not None), key=np.sum, reverse=True)
    ink = relative_ink(gray, paper_level(gray)) if sheets else None  # (H, W): the writing, were it all one page
    for sheet in sheets:
        if fills_picture(sheet & (small <= level)):
            continue  # writing cut out close: what lay against the frame is writing too
        inner = _enlarged(narrow(sheet, SHEET_RIM), (w, h))
        if not writes_beyond(ink, inner, _enlarged(_beyond(sheet), (w, h))):
            return inner
    return None


def sheet_above(small, level):
    """The sheet (h', w') bool that the pixels lighter than `level` make, or None when they make none.

    Specks go, then everything between two of them along a row or a column is filled in (a sheet
    is convex, its writing inside it), then what is narrower than a sheet goes (a light stroke). A
    sheet is most of the picture and mostly light (light strokes on a dark ground are mostly
    ground between them); the table around it is darker, and meets it at a sharp edge.
    """
    light = small > level  # (h', w')
    filled = between(widen(narrow(light, 1), 1))
    reach = max(1, int(round(SHEET_OPENING * min(small.shape))))
    sheet = widen(narrow(filled, reach), reach)
    share = sheet.mean()
    if share < MIN_SHEET or share > 1 - MIN_TABLE or light[sheet].mean() < SHEET_PAPER:
        return None
    if not is_writing(sheet & ~light):
        return None  # light strokes round the dark holes of their loops, however bold
    paper, table = float(np.median(small[sheet])), float(np.median(small[~sheet]))
    if table > TABLE_CONTRAST * paper or not sharp_edge(small, sheet):
        return None
    return sheet


def fills_picture(dark):
    """Whether the dark pixels (h', w') on a sheet span FILLED of the picture's height and of its width."""
    return bool(dark.any()) and all(span(counts, FILLED_LINE) >= FILLED * len(counts)
                                    for counts in (dark.sum(axis=0), dark.sum(axis=1)))


def span(counts, share):
    """How many of `counts` (one per row or column, some above 0) lie from the first to the last
    holding more than `share` of the most: with `share` 0, from the first to the last holding any."""
    full = np.flatnonzero(counts > share * counts.max())
    return int(full[-1] - full[0] + 1)


def is_writing(dark):
    """Whether the dark pixels (h', w') on a sheet are strokes: their area at least MIN_WRITING_LENGTH
    squares of their typical width (a digit's strokes are long and thin; the round hole of a bold
    light loop is about 4, and one stretched three times as tall as wide about 5.4, which the checks
    after this one, the table's contrast and the sheet's sharp edge, are left to refuse)."""
    return bool(dark.any()) and dark.sum() >= MIN_WRITING_LENGTH * typical_width(dark) ** 2


def typical_width(mask):
    """The width of most of `mask` (pixels; it has some): four times the reach at which `narrow`
    has taken half of it, between the two reaches on either side. Narrowing a stroke of width w by
    r leaves w - 2r of it, half at r = w / 4; where strokes cross or end in a blot the mask is
    wider, but that is little of it (a digit's widest part, its loop blotted with ink, sank sheets
    when it stood for the whole)."""
    area, reach, left = float(mask.sum()), 0, 1.0
    while left > 0.5:
        if reach == max(mask.shape):
            return float(reach)  # a mask of every pixel never narrows (the frame's edge goes on past it)
        before, reach = left, reach + 1
        left = narrow(mask, reach).sum() / area
    return 4 * (reach - 1 + (before - 0.5) / (before - left))


def sharp_edge(small, sheet):
    """Whether the light across the sheet's edge (its edge pixels inside the picture: a sheet may go
    on past the frame) changes within NEAR_REACH by SHEET_EDGE of what it changes within
    EDGE_REACH, as at the edge of paper, and not spread wide, as at a shadow's."""
    edge = sheet & ~narrow(sheet, 1)
    if not edge.any():
        return False
    smooth = _window_sums(small.astype(np.float64), 1) / 9.0  # (h', w'): the 3x3 mean
    near, far = _spread(smooth, edge, NEAR_REACH), _spread(smooth, edge, EDGE_REACH)  # (E,) each
    return float(np.median(near)) >= SHEET_EDGE * float(np.median(far))


def _spread(small, at, reach):
    """The range of the light in the (2 reach + 1)^2 around each pixel `at` (E,)."""
    ys, xs = np.nonzero(at)
    padded = np.pad(small, reach, mode="edge")
    around = np.stack([padded[ys + dy, xs + dx] for dy in range(2 * reach + 1) for dx in range(2 * reach + 1)])
    return around.max(axis=0) - around.min(axis=0)


def writes_beyond(ink, sheet, beyond):
    """Whether there is writing `beyond` the sheet nearly as dark against its own paper as the
    darkest on the sheet: then the sheet is the lit part of a page, and beyond it the page goes
    on in a shadow."""
    strong = WRITING_INK * float(ink[sheet].max())
    return np.count_nonzero(ink[beyond] > strong) > WRITING_SHARE * ink.size


def _beyond(sheet):
    """The table (h', w') clear of the sheet's edge and of the frame's, by TABLE_BAND: paper_level
    spreads the sheet's light there, and closes a thin strip of table along the frame."""
    beyond = ~widen(sheet, TABLE_BAND)
    beyond[:TABLE_BAND], beyond[-TABLE_BAND:], beyond[:, :TABLE_BAND], beyond[:, -TABLE_BAND:] = False, False, False, False
    return beyond


def extended(gray, region):
    """`gray` with every pixel outside the convex `region` given the value of the region's nearest
    pixel along its row (above or below the region, along the nearest row it covers), so the
    paper's level near the region's edge is the paper's, whatever lies beyond it."""
    h, w = gray.shape
    rows = np.flatnonzero(region.any(axis=1))
    row_of = np.clip(np.arange(h), rows[0], rows[-1])  # (H,)
    first, last = (ends[row_of] for ends in _row_ends(region))  # (H,) each
    columns = np.clip(np.arange(w)[None, :], first[:, None], last[:, None])  # (H, W)
    return gray[row_of[:, None], columns]


def otsu_threshold(values):
    """The level that best splits `values` (in [0, 1]) into a dark and a light class: Otsu's, the
    largest spread between the two classes' means, weighted by their sizes."""
    counts, edges = np.histogram(values, bins=64, range=(0.0, 1.0))
    levels = (edges[:-1] + edges[1:]) / 2  # (64,)
    below, below_sum = np.cumsum(counts), np.cumsum(counts * levels)  # (64,) at or below each bin
    above, above_sum = below[-1] - below, below_sum[-1] - below_sum
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.nan_to_num(below * above * (below_sum / below - above_sum / above) ** 2)
    best = np.flatnonzero(spread >= spread.max())  # every level in an empty gap between the classes splits alike:
    return float(edges[1 + best[len(best) // 2]])  # the middle one


def narrow(mask, reach):
    """Erosion by a (2 reach + 1)^2 square; the picture's edge pixels go on past the frame."""
    return _window_counts(mask, reach) == (2 * reach + 1) ** 2


def widen(mask, reach):
    """Dilation of the bool `mask` by a (2 reach + 1)^2 square. A reach of 1, the most asked for (a
    stroke's soft edge), shifts the mask instead: on a digit's box, 17 times faster than window sums."""
    if reach != 1:
        return _window_counts(mask, reach) > 0
    rows = mask.copy()
    rows[1:] |= mask[:-1]
    rows[:-1] |= mask[1:]
    grown = rows.copy()
    grown[:, 1:] |= rows[:, :-1]
    grown[:, :-1] |= rows[:, 1:]
    return grown


def between(mask):
    """(H, W) bool: the pixels with True on both sides of them along their row, or their column."""
    def along_rows(m):
        first, last = (ends[:, None] for ends in _row_ends(m))  # (H, 1) each
        return m.any(axis=1)[:, None] & (np.arange(m.shape[1]) >= first) & (np.arange(m.shape[1]) <= last)
    return along_rows(mask) | along_rows(mask.T).T


def _row_ends(mask):
    """(first, last) (H,) each: the first and the last column holding True in each row (0 and W - 1 in a row with none)."""
    return np.argmax(mask, axis=1), mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)


def _window_counts(mask, reach):
    """(H, W): how many True pixels in each (2 reach + 1)^2 window."""
    return _window_sums(mask.astype(np.int32), reach)


def _window_sums(values, reach):
    """(H, W): the sum of `values` in each (2 reach + 1)^2 window, from the summed-area table."""
    k = 2 * reach + 1
    sums = np.zeros((values.shape[0] + k, values.shape[1] + k), values.dtype)
    sums[1:, 1:] = np.pad(values, reach, mode="edge").cumsum(0).cumsum(1)
    return sums[k:, k:] - sums[:-k, k:] - sums[k:, :-k] + sums[:-k, :-k]


def longer_side_to(size, side):
    """The (width, height) of a picture of `size` (width, height) scaled, its shape kept, so that its
    longer side is `side` pixels; neither below 1."""
    w, h = size
    scale = side / float(max(w, h))
    return max(1, int(round(w * scale))), max(1, int(round(h * scale)))


def _resized(gray, side, enlarging=Image.BOX):
    """The picture as a Pillow float image whose longer side is `side`: each pixel a box's mean, or
    made by `enlarging` where a small picture is enlarged."""
    h, w = gray.shape
    resample = Image.BOX if side <= max(h, w) else enlarging
    return Image.fromarray(gray.astype(np.float32), mode="F").resize(longer_side_to((w, h), side), resample)


def _enlarged(mask, size):
    return np.asarray(Image.fromarray(np.uint8(mask)).resize(size, Image.NEAREST), bool)
