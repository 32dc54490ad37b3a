"""Touching digits: where to cut a wide mark, chosen by the classifier's own confidence.

A mark wider than a digit usually is (relative to its height) may hold several digits whose
ink touches. Candidate cuts are the columns where the ink is thinnest (minima of the column
profile), and the bottoms of the notches in the mark's outline, from above or below: where two
digits touch side to side, a 4's arm against a 0's bowl, the ink is often no thinner than across
a digit's own bar, but the outline dips between their tops. Every run of columns between two
candidates (the mark's edges included) that is as wide as a digit can be is one candidate
piece; the classifier reads all of them in one batch (the pieces of marks read whole first and
found doubtful, in a second), and `best_pieces` picks the cuts whose pieces it reads best, all told:

    score(piece) = log p_T(best label | piece) - WIDTH_PENALTY * max(0, width / height - PLAUSIBLE_WIDTH)
                   - PIECE_COST    (and -inf for a piece too flat to be a digit)

summed over the pieces and maximised over the cuts by dynamic programming (the cost of a
piece keeps a digit whole unless cutting it makes the pieces clearly more legible); p_T is
the probability with the logits divided by TEMPERATURE. The constants were chosen on numbers
composed from held-out MNIST training digits, read by a model not trained on them
(tests/sets/numbers.py, tests/bench/bench_recipes.py's split), and on those digits alone.
"""
import numpy as np

from ..preprocess import INK_THRESHOLD

WIDE = 1.1  # a mark at least this wide (times its height) is tried as touching digits (from 0.9
           # to 1.3 the held-out numbers read the same: the higher, the fewer pieces to classify)
NARROWEST = 0.12  # no piece is narrower than this (a thin 1 is about 0.2)...
WIDEST = 1.5  # ...nor wider than this (MNIST's widest 1 % of digits are over 1.4)
FLAT = 0.4  # nor is a piece whose ink is less tall than this (times the mark's height): a tail, a cap
MAX_CUTS = 16  # candidate cuts per mark, the thinnest first (a marker's row of seven touching digits needs six,
               # and its digits' own thin columns vie with them: at 8, "1293924" read "?")...
CUTS_PER_HEIGHT = 2.5  # ...and no more than this many per height of width (fewer pieces to classify)
CUT_SPACING = 0.08  # two candidate cuts are at least this far apart (times the height)
VALLEYS = 2  # and at most this many more are where the outline dips deepest...
VALLEY_DEPTH = 0.25  # ...at least this deep (times the height). On numbers of held-out training digits, all
                     # with touching boxes (seeds 5/6, 400 each), they read 1-2 more of 400 clean ones right,
                     # 1-2 more photo ones, 6 more written with a marker, and no fewer of any other style.
                     # A mark alone is not cut there (segment's `_read_marks`): 2 of 200 photographed
                     # non-digits, a W and a zigzag, then read as digits, and held-out numbers read the same
PLAUSIBLE_WIDTH = 1.4  # pieces wider than this (times the height) pay...
WIDTH_PENALTY = 4.0  # ...this much log-probability per unit of extra width
PIECE_COST = 0.2  # what each piece costs: with it, a cut must buy confidence
TEMPERATURE = 3.0  # the logits are divided by this before the pieces' probabilities are compared


def is_wide(width, height):
    return width >= WIDE * height


def cut_candidates(ink, height, notches=True):
    """A mark's ink (H, W) -> its candidate cuts, in order: its thinnest columns (at most MAX_CUTS,
    and CUTS_PER_HEIGHT for each height of width), and with `notches` up to VALLEYS more of its
    outline's valleys."""
    profile = ink.sum(axis=0)  # (W,)
    width = len(profile)
    margin = max(1, int(NARROWEST * height))
    inner = np.arange(margin, width - margin)
    if not inner.size:
        return []
    here = profile[inner]
    minima = inner[(here < profile[inner - 1]) & (here <= profile[inner + 1])]  # a flat valley: its first column
    most = min(MAX_CUTS, max(2, int(round(CUTS_PER_HEIGHT * width / float(height)))))
    thinnest = _spaced(minima[np.argsort(profile[minima], kind="stable")], [], most, height)
    if not notches:
        return sorted(thinnest)
    valleys = outline_valleys(ink >= INK_THRESHOLD, inner, height)
    return sorted(thinnest + _spaced(valleys, thinnest, VALLEYS, height))


def outline_valleys(inked, columns, height):
    """The `columns` of a mark (H, W) where its outline, seen from above or from below, dips at least
    VALLEY_DEPTH below the highest ink on either side of it: the bottom of each notch, deepest first."""
    h = len(inked)
    has_ink = inked.any(axis=0)  # (W,)
    depths, bottoms = [], []
    for side in (inked, inked[::-1]):  # from above, then from below
        depth = np.where(has_ink, side.argmax(axis=0), h)  # (W,) rows from the edge to the first ink
        rim = np.maximum(np.minimum.accumulate(depth), np.minimum.accumulate(depth[::-1])[::-1])  # (W,)
        dip = (depth - rim)[columns]  # how far below the lower of the two sides' highest ink
        lowest = (depth[columns] >= depth[columns - 1]) & (depth[columns] >= depth[columns + 1])
        keep = lowest & (dip >= VALLEY_DEPTH * height)
        depths.append(dip[keep])
        bottoms.append(columns[keep])
    depths, bottoms = np.concatenate(depths), np.concatenate(bottoms)
    return bottoms[np.argsort(-depths, kind="stable")]


def _spaced(columns, taken, count, height):
    """Up to `count` of `columns`, in their order, each at least CUT_SPACING from `taken` and the others."""
    chosen = []
    for column in columns:
        if len(chosen) == count:
            break
        if all(abs(column - c) >= CUT_SPACING * height for c in list(taken) + chosen):
            chosen.append(int(column))
    return chosen


def candidate_pieces(width, height, cuts):
    """Every (start, end) column range between two of the edges and cuts that could be a digit."""
    edges = [0] + list(cuts) + [width]
    return [(edges[i], edges[j]) for i in range(len(edges)) for j in range(i + 1, len(edges))
            if NARROWEST * height <= edges[j] - edges[i] <= WIDEST * height]


def piece_score(probs, width, ink_height, height):
    """log p + the width prior - the piece's cost (see the module docstring); -inf for a flat piece.

    p is the best label's probability with the classifier's logits cooled by TEMPERATURE: a
    softmax saturates at 1 for two touching digits as for one, its logits' margin does not.
    """
    if ink_height < FLAT * height:
        return -np.inf
    excess = max(0.0, width / float(height) - PLAUSIBLE_WIDTH)
    cooled = np.log(np.maximum(probs, 1e-30)) / TEMPERATURE  # logits / T, up to a constant
    log_p = -float(np.log(np.exp(cooled - cooled.max()).sum()))  # the best label's cooled log-softmax
    return log_p - WIDTH_PENALTY * excess - PIECE_COST


def best_pieces(width, pieces, scores):
    """The column ranges covering 0..width with the highest total score, left to right.

    `pieces` are (start, end) ranges and `scores` their scores; returns None when no chain
    of pieces covers the whole mark.
    """
    best = {0: (0.0, [])}  # column -> (best total score, pieces) of a chain ending there
    for i in sorted(range(len(pieces)), key=lambda i: pieces[i][1]):  # chains grow left to right
        start, end = pieces[i]
        if start in best:
            total = best[start][0] + scores[i]
            if end not in best or total > best[end][0]:
                best[end] = (total, best[start][1] + [pieces[i]])
    return best[width][1] if width in best else None
