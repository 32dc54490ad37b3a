"""Glyphs to name: what the feature network learns besides the digits, so that its features tell
strokes apart, not only digits.

A new head on a network's features (transfer.py) can only tell apart what those features do. The
digit network learnt ten classes and to be unsure of everything else (nondigits.py), so nothing
made its features tell an E from an F. The feature network is taught to name more: the non-digits'
own glyphs (letters, symbols, shapes and lines, drawn and typed), and MADE_UP classes of random
strokes, each drawn DRAWINGS_EACH times by a hand (nondigits.draw): many classes, each its own shape.

Left unnamed (to be unsure of, as the digit network is of every non-digit): the letters and shapes
our transfer benchmark (tests/bench/bench_transfer.py) asks a head to learn from five examples, so
its figures are for classes the network was never taught, as a user's own classes are. On folders
of those classes the benchmark does not score (tests/sets/classes.py, seeds 3-6), a head from five
examples a class read letters 92.5-94.7 % on the digit network and 95.0-96.0 % on one taught this
way (20 epochs, 12,000 named and 16,000 made up), shapes 94.2-94.4 % and 95.4-95.6 %. Named glyphs
alone (20,000) read shapes 94.7-94.9 %, made-up ones alone (24,000) letters 93.7-94.7 %.
"""
import numpy as np

from ..nn.losses import NO_LABEL
from .nondigits import TRAINED_KINDS, as_digit, draw, nondigits
from .store import ImageSet

MADE_UP = 400  # made-up classes...
DRAWINGS_EACH = 40  # ...each drawn this many times
MADE_UP_NODES = (3, 7)  # a made-up glyph's strokes pass through this many points in all (at least, at most)
UNNAMED_LETTERS = ["A", "B", "C", "D", "E", "F", "G", "H", "K", "M"]  # the benchmark's classes (tests/sets/classes.py)
UNNAMED_SHAPES = ["square", "triangle", "diamond", "star", "heart", "smiley", "arrow", "tick"]
UNNAMED = set(UNNAMED_LETTERS + UNNAMED_SHAPES)


def with_glyphs(digits, count, seed):
    """The digit set plus `count` drawn or typed non-digits named by their glyph (scribbles and
    UNNAMED glyphs with NO_LABEL) and MADE_UP made-up glyph classes: each glyph a label of its own
    after the digits'."""
    images, names = nondigits(count, seed, TRAINED_KINDS)
    named = sorted({name for kind, name in names if kind != "scribbles" and name not in UNNAMED})
    first = len(digits.label_names)
    labels = [first + named.index(name) if name in named else NO_LABEL for _, name in names]
    made_up = made_up_glyphs(seed)
    return ImageSet(np.concatenate([digits.images, images, made_up.images]),
                    np.concatenate([digits.labels, labels, first + len(named) + made_up.labels]),
                    digits.label_names + named + made_up.label_names)


def made_up_glyphs(seed):
    """MADE_UP classes of DRAWINGS_EACH drawings each, "made-up 1" to "made-up N", the same from the same seed."""
    rng = np.random.default_rng(seed)
    glyphs = [made_up_glyph(rng) for _ in range(MADE_UP)]
    images = np.array([as_digit(draw(glyph, rng)) for glyph in glyphs for _ in range(DRAWINGS_EACH)])  # (N, 28, 28)
    return ImageSet(images, np.repeat(np.arange(MADE_UP), DRAWINGS_EACH), ["made-up %d" % (k + 1) for k in range(MADE_UP)])


def made_up_glyph(rng):
    """One to three random strokes in the unit box through MADE_UP_NODES points in all: [[(x, y), ...], ...].
    Half of those of three points or more get eight points a node along the same lines, so the
    hand's wobble (nondigits.draw moves every point) bends them along their length."""
    strokes = []
    left = int(rng.integers(MADE_UP_NODES[0], MADE_UP_NODES[1] + 1))
    while left >= 2:
        count = int(rng.integers(2, min(4, left) + 1))
        left -= count
        nodes = rng.uniform(0.05, 0.95, (count, 2))  # (P, 2)
        if count > 2 and rng.random() < 0.5:  # (P, 2) -> (8P, 2)
            along, at = np.linspace(0, 1, 8 * count), np.linspace(0, 1, count)
            nodes = np.stack([np.interp(along, at, nodes[:, 0]), np.interp(along, at, nodes[:, 1])], axis=1)
        strokes.append([tuple(point) for point in nodes])
    return strokes
