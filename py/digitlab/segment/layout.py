"""From components to the marks of one line of writing: pieces merged, specks and rules dropped.

A mark is one or more components that stand for one digit, or for several touching digits
(split.py cuts those). Every size here is relative to the line height, the typical height
of the larger components, so the same rules hold for a 40-pixel scan and a 1,000-pixel photo.
"""
import numpy as np

SPECK = 0.25  # a component smaller than this (height and width, times the line height) is a speck
INSIDE = 0.1  # a component within a larger one's box and at least this big (times that one's height) is part of it
SOLID = 0.3  # components with at least this share of the largest one's ink set the line height
MERGE_OVERLAP = 0.5  # a piece whose columns lie this much over a neighbour's belongs to it...
PIECE_HEIGHT = 0.7  # ...when it is shorter than this (times the line height): a broken-off dot or stroke,
PIECE_GAP = 0.25  # ...and no further above or below it than this (a speck of dirt on the paper is not)
CAP_HEIGHT = 0.4  # a piece this short (a 5's cap, or a bit of one) joins the nearest mark...
CAP_REACH = 0.15  # ...at most this far away (times the line height)
STACKED = 0.25  # two marks on the same columns that share at most this much of the shorter one's
                # rows are one digit broken across (a line of digits never stacks two)
FRAGMENT = 0.15  # a mark with less ink than this (times the median mark's) is a fragment of a stroke:
NEAR = 0.2  # it joins a neighbour at most this far away (times the line height), or is dropped
RULE_LENGTH = 1.5  # a component this long along the line (times the line height)...
MARGIN_LENGTH = 1.8  # ...or this long across it: a 1 can stand half as tall again as a small neighbour,
                     # and a margin down our notebook photos is 1.6-2.6 times the line (at 1.5, numbers of
                     # held-out training digits lost a tall 1 in 1 of 600; at 2.0, notebook photos lost 4 of 300)
RULE_THICKNESS = 0.3  # ...and this thin (across over along) is an underline, a ruled line or a page's margin,
ROW_HEIGHT = (0.7, 1.5)  # unless it lies along the line, this tall (times the line height), and its rows cross
ROW_CROSSINGS = 2.0      # its ink this many times on average: then it is a row of touching digits, a marker's
                         # (numbers of held-out training digits written with one, all with touching boxes, seeds
                         # 5/6, 300 each: 213 and 203 read right, not 212 and 200; of the 9 read as nothing or
                         # short of 2-5 digits, 4 are read right and 5 with a digit "?" or missing)
HAIRLINE = 0.05  # ink thinner than this on average (its area over its length, times the line height) is
                 # a ruled line's: in our notebook photos margins are 0.007-0.03 thick, written digits 0.09-0.3
DASH_SLACK = 0.1  # a margin's dashes may overlap by this much (times the line height), or stand this far off its slant
MAX_MARKS = 200  # the largest components considered: noise, text or a grid cannot make it hang
NEXT_LINE = 0.75  # marks whose middles are further apart than this (times the line height) are on two lines
TILT_MARKS = 3  # a line's tilt is measured on at least this many marks (two digits' middles differ by their own)...
TILT = (2.0, 20.0)  # ...and put right when it is this many degrees, or more, up to this many (past it: no line)


class Mark:
    """Components that make one digit (or touching digits): their ids, box, ink area and runs of ink."""

    def __init__(self, ids, box, area, runs):
        self.ids, self.box, self.area, self.runs = list(ids), tuple(int(v) for v in box), int(area), int(runs)

    @property
    def width(self):
        return self.box[2] - self.box[0]

    @property
    def height(self):
        return self.box[3] - self.box[1]

    @property
    def middle(self):
        """(x, y) of the box's centre."""
        return (self.box[0] + self.box[2]) / 2.0, (self.box[1] + self.box[3]) / 2.0

    def absorb(self, other):
        x0, y0, x1, y1 = self.box
        ox0, oy0, ox1, oy1 = other.box
        self.ids += other.ids
        self.box = (min(x0, ox0), min(y0, oy0), max(x1, ox1), max(y1, oy1))
        self.area += other.area
        self.runs += other.runs


def line_marks(components):
    """Components -> (marks in reading order, the line height).

    Only the MAX_MARKS largest components are looked at: past those come specks of paper and
    noise, and a picture with more than that many real marks is no number anyway.
    """
    marks = [Mark([i], components.boxes[i], components.areas[i], components.run_counts[i]) for i in largest(components)]
    if not marks:
        return [], 0
    height = line_height(marks)
    marks = _join_enclosed(marks)  # before specks are dropped: the eyes of a drawn face are no specks
    # What is no writing goes first: specks would chain caps across the page, a margin's dashes join as pieces.
    # A row of touching digits as long as a rule is kept aside, joined to no piece: a band of shadow kept
    # so took in the digit below it, and segment's `_written` dropped the two as no pen's.
    rows = [m for m in marks if _is_rule(m, height) and _is_row(m, height, components.shape)]
    marks = [m for m in marks if not (_is_rule(m, height) or _is_speck(m, height) or _is_dash(m, height))]
    marks = _drop_broken_margin(marks, height)
    marks = _merge_pieces(sorted(marks, key=lambda m: m.box[0]), height)
    marks = _merge_stacked(marks, height)
    marks = _join_fragments(sorted(marks, key=lambda m: m.box[0]), height)
    return sorted(marks + rows, key=lambda m: m.middle[0]), height


def largest(components):
    """The numbers of the MAX_MARKS largest components, largest first."""
    return np.argsort(-components.areas, kind="stable")[:MAX_MARKS]


def line_count(marks, height):
    """How many lines the marks make: rows of marks, their middles sorted top to bottom, a row ending
    where the next middle is more than NEXT_LINE below the last. A row is a line when it holds two
    marks or more, or a whole digit standing over or under another row's (a column of answers,
    one a line). A number is one line; a page of text is many; a speck above a number is none."""
    rows = _rows(marks, height)
    return sum(1 for row in rows if len(row) >= 2 or _in_column(row, rows, height))


def _rows(marks, height):
    """The marks in rows, top to bottom: [[mark, ...], ...]."""
    ordered = sorted(marks, key=lambda m: m.middle[1])
    rows = [[ordered[0]]]
    for upper, lower in zip(ordered, ordered[1:]):
        if lower.middle[1] - upper.middle[1] > NEXT_LINE * height:
            rows.append([])
        rows[-1].append(lower)
    return rows


def _in_column(row, rows, height):
    """Whether a whole digit of `row` (at least PIECE_HEIGHT tall: a broken digit's halves are
    shorter, and joined by now) stands on the same columns as one of another row's."""
    def whole(marks):
        return [m for m in marks if m.height >= PIECE_HEIGHT * height]
    return any(_column_share(mine, theirs) >= MERGE_OVERLAP
               for other in rows if other is not row for mine in whole(row) for theirs in whole(other))


def line_tilt(marks):
    """The degrees to turn the line's digits by to level it, counter-clockwise as Pillow turns (0
    for fewer than TILT_MARKS marks, or a tilt outside TILT): a photo taken askew turns every
    digit with the line. The slope is the median of the slopes between pairs of mark middles,
    so one mark higher or lower than the others moves it little."""
    if len(marks) < TILT_MARKS:
        return 0.0
    middles = np.array([m.middle for m in marks])  # (N, 2)
    first, second = np.triu_indices(len(marks), 1)  # every pair
    run = middles[second, 0] - middles[first, 0]  # (P,)
    rise = middles[second, 1] - middles[first, 1]  # (P,) downwards, as rows count
    slopes = rise[run > 0] / run[run > 0]
    if not slopes.size:
        return 0.0
    degrees = float(np.degrees(np.arctan(np.median(slopes))))  # a line falling to the right turns back anticlockwise
    return degrees if TILT[0] <= abs(degrees) <= TILT[1] else 0.0


def line_height(marks):
    """The median height of the components, each counted by its ink: a digit broken in pieces, or a
    speck, moves it little. Components with less than SOLID of the largest one's ink are left out."""
    biggest = max(m.area for m in marks)
    solid = sorted((m.height, m.area) for m in marks if m.area >= SOLID * biggest)
    weights = np.cumsum([area for _, area in solid])
    return float(solid[int(np.searchsorted(weights, weights[-1] / 2.0))][0])


def _join_enclosed(marks):
    """Fold each mark lying wholly within a larger mark's box into the largest such mark, unless it
    is a mere speck beside it (under INSIDE of its height) or nearly as tall (PIECE_HEIGHT): ink
    drawn inside a mark is part of what it shows, as a face's eyes and mouth are, and what a
    face is differs from what its outline is."""
    boxes = np.array([m.box for m in marks])  # (N, 4): x0, y0, x1, y1
    areas = np.array([m.area for m in marks])  # (N,)
    sizes = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])  # (N,)
    within = ((boxes[None, :, 0] <= boxes[:, None, 0]) & (boxes[None, :, 1] <= boxes[:, None, 1])
              & (boxes[None, :, 2] >= boxes[:, None, 2]) & (boxes[None, :, 3] >= boxes[:, None, 3])
              & (areas[None, :] > areas[:, None]))  # (N inner, N host)
    heights = boxes[:, 3] - boxes[:, 1]
    within &= sizes[:, None] >= INSIDE * heights[None, :]
    within &= heights[:, None] < PIECE_HEIGHT * heights[None, :]  # a tall one is a digit under a 7's bar
    hosts = np.where(within.any(axis=1), np.argmax(np.where(within, areas[None, :], -1), axis=1), -1)  # (N,)
    for inner in np.flatnonzero(hosts >= 0):
        marks[hosts[inner]].absorb(marks[inner])
    return [mark for mark, host in zip(marks, hosts) if host < 0]


def _is_rule(mark, height):
    """A line longer than digits are tall, and thin: along the line (an underline, a ruled line) from
    RULE_LENGTH line heights; across it (a notebook's margin) from MARGIN_LENGTH, as a 1 may stand
    taller than its neighbours (a hairline margin goes from RULE_LENGTH: `_drop_broken_margin`)."""
    along, across = max(mark.width, mark.height), min(mark.width, mark.height)
    longest = RULE_LENGTH if mark.width >= mark.height else MARGIN_LENGTH
    return along >= longest * height and across <= RULE_THICKNESS * along


def _is_row(mark, height, shape):
    """Whether a mark is a row of touching digits: lying along the line, about as tall (ROW_HEIGHT),
    crossed by ROW_CROSSINGS strokes a row or more, and clear of the picture's (H, W) `shape` edges.
    An underline, a ruled line or a sheet's edge is crossed about once; a band of shadow crossed more
    is no pen's ink (segment's `_written`); a table's grain along a photo's edge can be as dark."""
    low, high = ROW_HEIGHT
    x0, y0, x1, y1 = mark.box
    inside = x0 > 0 and y0 > 0 and x1 < shape[1] and y1 < shape[0]
    flat = mark.width > mark.height
    return inside and flat and low * height <= mark.height <= high * height and mark.runs >= ROW_CROSSINGS * mark.height


def _is_hairline(mark, height):
    """Whether the mark's ink is, on average across it, under HAIRLINE line heights thick."""
    return mark.area <= HAIRLINE * height * max(mark.width, mark.height)


def _is_dash(mark, height):
    """Whether the mark is a flat hairline, of any length: a piece of a ruled line the light broke up
    (a digit's flat strokes, a 7's bar or a 5's cap, are written with the digit's pen)."""
    return mark.height <= RULE_THICKNESS * mark.width and _is_hairline(mark, height)


def _drop_broken_margin(marks, height):
    """The marks less any chain of upright hairlines standing one below the other, in line, over at
    least RULE_LENGTH line heights: a margin line, whole or broken into dashes by the photo's light
    (a written 1, however tall, is no hairline)."""
    upright = (m for m in marks if m.width <= RULE_THICKNESS * m.height and _is_hairline(m, height))
    chains = []
    for mark in sorted(upright, key=lambda m: m.box[1]):
        chain = next((c for c in chains if _continues(c[-1], mark, height)), None)
        if chain is None:
            chains.append([mark])
        else:
            chain.append(mark)
    dashes = {id(m) for c in chains if c[-1].box[3] - c[0].box[1] >= RULE_LENGTH * height for m in c}
    return [m for m in marks if id(m) not in dashes]


def _continues(upper, lower, height):
    """Whether `lower` starts below `upper` ends, its middle no further to the side than a line
    leaning TILT[1] degrees would take it."""
    (ux, uy), (lx, ly) = upper.middle, lower.middle
    slant = np.tan(np.radians(TILT[1]))
    return (lower.box[1] >= upper.box[3] - DASH_SLACK * height
            and abs(lx - ux) <= slant * (ly - uy) + DASH_SLACK * height)


def _is_speck(mark, height):
    return mark.height < SPECK * height and mark.width < SPECK * height


def _merge_pieces(marks, height):
    """Fold each short piece into the mark its columns overlap most, shortest pieces first."""
    for piece in sorted(marks, key=lambda m: m.height):
        if piece.height >= PIECE_HEIGHT * height:
            break
        host = _best_host(piece, marks, height)
        if host is not None:
            host.absorb(piece)
            marks.remove(piece)
    return marks


def _merge_stacked(marks, height):
    """Join marks that stand one above the other on the same columns, as halves of a broken 3 do."""
    gone = set()  # ids of marks absorbed
    for upper in marks:
        for lower in marks:
            if upper is not lower and not {id(upper), id(lower)} & gone and _stacked(upper, lower, height):
                upper.absorb(lower)
                gone.add(id(lower))
    return [mark for mark in marks if id(mark) not in gone]


def _stacked(upper, lower, height):
    """`lower` below `upper` (within PIECE_GAP), on most of the narrower one's columns, few rows shared."""
    shared_rows = upper.box[3] - lower.box[1]  # negative: a gap between them
    return (upper.box[1] < lower.box[1] and _column_share(upper, lower) >= MERGE_OVERLAP
            and -PIECE_GAP * height <= shared_rows <= STACKED * min(upper.height, lower.height))


def _best_host(piece, marks, height):
    """The mark `piece` belongs to, or None: for a cap the nearest mark within CAP_REACH; for a taller
    piece the nearby mark whose columns cover most of its own (at least MERGE_OVERLAP)."""
    others = [mark for mark in marks if mark is not piece]
    if piece.height < CAP_HEIGHT * height and others:
        distance, host = min((_distance(piece, mark), i) for i, mark in enumerate(others))
        return others[host] if distance <= CAP_REACH * height else None
    best, best_share = None, MERGE_OVERLAP
    for mark in others:
        gap = max(piece.box[1] - mark.box[3], mark.box[1] - piece.box[3])
        if gap > PIECE_GAP * height:
            continue
        share = _column_share(piece, mark)
        if share >= best_share:
            best, best_share = mark, share
    return best


def _join_fragments(marks, height):
    """Join each fragment to its nearest neighbour within NEAR, or drop it (marks sorted by left edge)."""
    if len(marks) < 2:
        return marks
    small = FRAGMENT * float(np.median([m.area for m in marks]))
    for fragment in sorted(marks, key=lambda m: m.area):
        if fragment.area >= small:
            break
        distance, host = min((_distance(fragment, m), i) for i, m in enumerate(marks) if m is not fragment)
        if distance <= NEAR * height:
            marks[host].absorb(fragment)
        marks.remove(fragment)
    return marks


def _overlap(a, b):
    """How many columns the two marks' boxes share (negative: the gap between them)."""
    return min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])


def _column_share(a, b):
    """The share of the narrower mark's columns that the two marks' boxes share."""
    return _overlap(a, b) / float(min(a.width, b.width))


def _distance(a, b):
    """The gap between two boxes (0 where they overlap), the larger of the horizontal and vertical one."""
    dx = max(a.box[0] - b.box[2], b.box[0] - a.box[2], 0)
    dy = max(a.box[1] - b.box[3], b.box[1] - a.box[3], 0)
    return max(dx, dy)
