"""Things that are not digits, drawn as a hand would or typed: letters, symbols, shapes, lines, scribbles.

The model learns to be unsure of them (with_nondigits gives them NO_LABEL, and the loss
(nn/losses.py) makes their target every digit alike), so a letter B or a smiley is answered "?"
instead of "8, 100 %". Each glyph is a few strokes in a unit box (x right, y down); every drawing
of it is slanted, stretched, wobbled and drawn with its own pen width, then normalised exactly as
a digit is (preprocess.py). Letters and symbols are typed as well, in Pillow's own font (the
evaluation's typed ones are in others).

Left out on purpose: what a digit may look like (O, I, l, S, Z, a plain circle, a vertical
stroke, an exclamation mark), which no one could tell from a 0, 1, 5 or 2.
"""
import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..errors import EmptyImageError
from ..nn.losses import NO_LABEL
from ..preprocess import SIZE
from .folder import ink_digit
from .store import ImageSet, joined

CANVAS = 96  # glyphs are drawn at this size, twice over for smooth edges, then normalised
PIECE_SHARE = 0.3  # of the drawings, this share is only a slice of columns: what a wide mark cut in pieces shows
BLURRED_SHARE = 0.1  # of the non-digits, this share are digits blurred past reading...
BLUR = (0.15, 0.3)  # ...by a Gaussian of this share of the digit's size (a photo's blur is ten times less),
BLUR_SHEET = 8  # ...on a sheet this many times the digit's size (the ink map takes a blot filling it for paper)


def _arc(cx, cy, rx, ry, start, end, n=16):
    """Points on an ellipse from `start` to `end` degrees (0 = right, 90 = down)."""
    angles = np.radians(np.linspace(start, end, n))
    return list(zip(cx + rx * np.cos(angles), cy + ry * np.sin(angles)))


def _zigzag(n, low=0.1, high=0.9):
    return [(low + (high - low) * i / (n - 1), 0.2 if i % 2 == 0 else 0.8) for i in range(n)]


LETTERS = {
    "A": [[(0.1, 0.95), (0.5, 0.05), (0.9, 0.95)], [(0.28, 0.6), (0.72, 0.6)]],
    "B": [[(0.2, 0.05), (0.2, 0.95)], [(0.2, 0.05)] + _arc(0.45, 0.27, 0.3, 0.22, -90, 90) + [(0.2, 0.49)],
          [(0.2, 0.49)] + _arc(0.5, 0.72, 0.35, 0.23, -90, 90) + [(0.2, 0.95)]],
    "C": [_arc(0.55, 0.5, 0.4, 0.45, -50, -310)],
    "D": [[(0.2, 0.05), (0.2, 0.95)], [(0.2, 0.05)] + _arc(0.35, 0.5, 0.5, 0.45, -90, 90) + [(0.2, 0.95)]],
    "E": [[(0.85, 0.05), (0.2, 0.05), (0.2, 0.95), (0.85, 0.95)], [(0.2, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0.05), (0.2, 0.05), (0.2, 0.95)], [(0.2, 0.5), (0.7, 0.5)]],
    "G": [_arc(0.5, 0.5, 0.4, 0.45, -40, -360) + [(0.9, 0.55), (0.6, 0.55)]],
    "H": [[(0.15, 0.05), (0.15, 0.95)], [(0.85, 0.05), (0.85, 0.95)], [(0.15, 0.5), (0.85, 0.5)]],
    "K": [[(0.2, 0.05), (0.2, 0.95)], [(0.85, 0.05), (0.2, 0.55)], [(0.35, 0.45), (0.85, 0.95)]],
    "M": [[(0.1, 0.95), (0.15, 0.05), (0.5, 0.6), (0.85, 0.05), (0.9, 0.95)]],
    "N": [[(0.15, 0.95), (0.15, 0.05), (0.85, 0.95), (0.85, 0.05)]],
    "P": [[(0.2, 0.95), (0.2, 0.05)], [(0.2, 0.05)] + _arc(0.45, 0.3, 0.35, 0.25, -90, 90) + [(0.2, 0.55)]],
    "R": [[(0.2, 0.95), (0.2, 0.05)], [(0.2, 0.05)] + _arc(0.45, 0.3, 0.35, 0.25, -90, 90) + [(0.2, 0.55)],
          [(0.4, 0.55), (0.85, 0.95)]],
    "T": [[(0.05, 0.08), (0.95, 0.08)], [(0.5, 0.08), (0.5, 0.95)]],
    "U": [[(0.15, 0.05)] + _arc(0.5, 0.6, 0.35, 0.35, 180, 0) + [(0.85, 0.05)]],
    "V": [[(0.1, 0.05), (0.5, 0.95), (0.9, 0.05)]],
    "W": [[(0.05, 0.05), (0.27, 0.95), (0.5, 0.35), (0.73, 0.95), (0.95, 0.05)]],
    "X": [[(0.1, 0.05), (0.9, 0.95)], [(0.9, 0.05), (0.1, 0.95)]],
    "Y": [[(0.1, 0.05), (0.5, 0.5), (0.9, 0.05)], [(0.5, 0.5), (0.5, 0.95)]],
    "a": [_arc(0.45, 0.65, 0.3, 0.3, 0, 360), [(0.75, 0.35), (0.78, 0.95)]],
    "a (two-storey)": [_arc(0.45, 0.3, 0.28, 0.2, 200, 360) + [(0.73, 0.95)], _arc(0.45, 0.72, 0.28, 0.22, -20, 340)],
    "b": [[(0.2, 0.02), (0.2, 0.95)], _arc(0.48, 0.68, 0.28, 0.27, 180, 540)],
    "c": [_arc(0.55, 0.65, 0.32, 0.3, -50, -310)],
    "d": [[(0.8, 0.02), (0.8, 0.95)], _arc(0.52, 0.68, 0.28, 0.27, 0, 360)],
    "f": [[(0.8, 0.1)] + _arc(0.6, 0.2, 0.2, 0.15, 0, -180) + [(0.4, 0.95)], [(0.15, 0.45), (0.75, 0.45)]],
    "p": [[(0.2, 0.3), (0.2, 0.98)], _arc(0.48, 0.45, 0.28, 0.17, 180, 540)],
    "u": [[(0.15, 0.35)] + _arc(0.5, 0.65, 0.35, 0.3, 180, 0) + [(0.85, 0.35), (0.85, 0.95)]],
    "v": [[(0.15, 0.35), (0.5, 0.95), (0.85, 0.35)]],
    "J": [[(0.3, 0.05), (0.9, 0.05)], [(0.65, 0.05), (0.65, 0.75)] + _arc(0.45, 0.75, 0.2, 0.2, 0, 180)],
    "e": [[(0.15, 0.6), (0.8, 0.6)] + _arc(0.48, 0.62, 0.33, 0.33, 0, -320)],
    "h": [[(0.2, 0.02), (0.2, 0.95)], [(0.2, 0.65)] + _arc(0.5, 0.62, 0.3, 0.25, 180, 360) + [(0.8, 0.95)]],
    "k": [[(0.2, 0.02), (0.2, 0.95)], [(0.75, 0.35), (0.2, 0.7)], [(0.35, 0.6), (0.8, 0.95)]],
    "m": [[(0.1, 0.95), (0.1, 0.4)] + _arc(0.3, 0.5, 0.2, 0.15, 180, 360) + [(0.5, 0.95)],
          [(0.5, 0.5)] + _arc(0.7, 0.5, 0.2, 0.15, 180, 360) + [(0.9, 0.95)]],
    "n": [[(0.2, 0.95), (0.2, 0.35)], [(0.2, 0.6)] + _arc(0.5, 0.6, 0.3, 0.25, 180, 360) + [(0.8, 0.95)]],
    "r": [[(0.3, 0.95), (0.3, 0.35)], [(0.3, 0.6)] + _arc(0.55, 0.55, 0.25, 0.18, 200, 320)],
    "t": [[(0.45, 0.05), (0.45, 0.85), (0.6, 0.95), (0.8, 0.9)], [(0.15, 0.35), (0.8, 0.35)]],
    "w": [[(0.05, 0.35), (0.27, 0.95), (0.5, 0.5), (0.73, 0.95), (0.95, 0.35)]],
    "x": [[(0.15, 0.35), (0.85, 0.95)], [(0.85, 0.35), (0.15, 0.95)]],
    "y": [[(0.15, 0.1), (0.5, 0.6)], [(0.85, 0.1), (0.3, 0.95)]],
}

SYMBOLS = {
    "+": [[(0.5, 0.1), (0.5, 0.9)], [(0.1, 0.5), (0.9, 0.5)]],
    "=": [[(0.1, 0.35), (0.9, 0.35)], [(0.1, 0.65), (0.9, 0.65)]],
    "-": [[(0.1, 0.5), (0.9, 0.5)]],
    "#": [[(0.35, 0.05), (0.3, 0.95)], [(0.7, 0.05), (0.65, 0.95)], [(0.1, 0.35), (0.9, 0.35)],
          [(0.1, 0.65), (0.9, 0.65)]],
    "*": [[(0.5, 0.1), (0.5, 0.9)], [(0.15, 0.3), (0.85, 0.7)], [(0.85, 0.3), (0.15, 0.7)]],
    "%": [_arc(0.25, 0.2, 0.15, 0.15, 0, 360), [(0.85, 0.05), (0.15, 0.95)], _arc(0.75, 0.8, 0.15, 0.15, 0, 360)],
    "&": [[(0.9, 0.95), (0.25, 0.35)] + _arc(0.4, 0.22, 0.17, 0.17, 150, 390) + [(0.25, 0.6)]
          + _arc(0.4, 0.75, 0.2, 0.2, 200, 90) + [(0.85, 0.5)]],
    "@": [_arc(0.5, 0.5, 0.17, 0.2, 0, 360), [(0.67, 0.3), (0.67, 0.65)] + _arc(0.5, 0.5, 0.42, 0.45, 30, 340)],
    "?": [_arc(0.5, 0.28, 0.3, 0.23, 180, 430) + [(0.5, 0.7)], [(0.5, 0.88), (0.5, 0.95)]],
    "$": [_arc(0.5, 0.3, 0.3, 0.2, -30, -270) + _arc(0.5, 0.7, 0.3, 0.2, -90, 150), [(0.5, 0.02), (0.5, 0.98)]],
    "<": [[(0.85, 0.1), (0.15, 0.5), (0.85, 0.9)]],
    ">": [[(0.15, 0.1), (0.85, 0.5), (0.15, 0.9)]],
    "~": [_arc(0.3, 0.55, 0.2, 0.15, 180, 360) + _arc(0.7, 0.45, 0.2, 0.15, 180, 0)],
    "÷": [[(0.1, 0.5), (0.9, 0.5)], [(0.5, 0.18), (0.5, 0.24)], [(0.5, 0.76), (0.5, 0.82)]],
}

SHAPES = {
    "square": [[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9), (0.1, 0.1)]],
    "triangle": [[(0.5, 0.08), (0.92, 0.9), (0.08, 0.9), (0.5, 0.08)]],
    "diamond": [[(0.5, 0.05), (0.9, 0.5), (0.5, 0.95), (0.1, 0.5), (0.5, 0.05)]],
    "star": [[(0.5 + 0.45 * math.sin(math.radians(144 * i)), 0.52 - 0.45 * math.cos(math.radians(144 * i)))
              for i in range(6)]],
    "heart": [[(0.5, 0.95), (0.1, 0.45)] + _arc(0.3, 0.3, 0.2, 0.2, 150, 360) + _arc(0.7, 0.3, 0.2, 0.2, 180, 390)
              + [(0.5, 0.95)]],
    "smiley": [_arc(0.5, 0.5, 0.45, 0.45, 0, 360), [(0.35, 0.33), (0.35, 0.4)], [(0.65, 0.33), (0.65, 0.4)],
               _arc(0.5, 0.55, 0.25, 0.2, 20, 160)],
    "crossed circle": [_arc(0.5, 0.5, 0.42, 0.42, 0, 360), [(0.2, 0.2), (0.8, 0.8)]],
    "arrow": [[(0.05, 0.5), (0.95, 0.5)], [(0.7, 0.25), (0.95, 0.5), (0.7, 0.75)]],
    "tick": [[(0.1, 0.55), (0.35, 0.9), (0.9, 0.1)]],
    "spiral": [[(0.5 + 0.045 * t * math.cos(t), 0.5 + 0.045 * t * math.sin(t)) for t in np.linspace(0, 10, 60)]],
    "grid": [[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9), (0.1, 0.1)], [(0.5, 0.1), (0.5, 0.9)],
             [(0.1, 0.5), (0.9, 0.5)]],
}

LINES = {
    "flat line": [[(0.05, 0.5), (0.95, 0.5)]],
    "wavy line": [_arc(0.25, 0.5, 0.2, 0.1, 180, 360) + _arc(0.65, 0.5, 0.2, 0.1, 180, 0)],
    "zigzag": [_zigzag(7)],
    "double line": [[(0.05, 0.4), (0.95, 0.4)], [(0.05, 0.6), (0.95, 0.6)]],
}

KINDS = {"letters": LETTERS, "symbols": SYMBOLS, "shapes": SHAPES, "lines": LINES, "scribbles": None}

# Letters and symbols typed, not drawn: a printed B or a bold U is as far from a pen's as from a
# digit (typed ones were most of the non-digits read as digits before they were trained on). The
# same rule leaves out what reads as a digit (O, I, l, S, Z, g, q, !, |).
TYPED = "ABCDEFGHJKLMNPQRTUVWXYabcdefhkmnprtuvwxy+=#*%&@?$<>~-"
DRAWN_KINDS = tuple(KINDS)
TRAINED_KINDS = DRAWN_KINDS + ("typed",)


def nondigits(count, seed=0, kinds=DRAWN_KINDS):
    """`count` 28x28 uint8 drawings of non-digits of `kinds` (of DRAWN_KINDS, or "typed"),
    MNIST-normalised, the same from the same seed, and each one's (kind, name)."""
    rng = np.random.default_rng(seed)
    images, names = np.zeros((count, SIZE, SIZE), np.uint8), []
    for i in range(count):
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind == "typed":
            name = TYPED[int(rng.integers(len(TYPED)))]
            ink = typed(name, rng)
        else:
            name, strokes = pick(kind, rng)
            ink = draw(strokes, rng)
        if rng.random() < PIECE_SHARE:
            ink = _columns(ink, rng)
        images[i] = as_digit(ink)
        names.append((kind, name))
    return images, names


def pick(kind, rng):
    """A random glyph of `kind` (or a fresh scribble): (name, strokes)."""
    if KINDS[kind] is None:
        return "scribble", scribble(rng)
    name = sorted(KINDS[kind])[int(rng.integers(len(KINDS[kind])))]
    return name, KINDS[kind][name]


def _columns(ink, rng):
    """A slice of the drawing's columns, 35-70 % of its inked width: the segmentation cuts a mark
    wider than a digit into such pieces, and the pieces of a non-digit must not read as digits."""
    cols = np.flatnonzero(ink.max(axis=0) > 0.25)
    width = cols[-1] - cols[0] + 1
    keep = max(2, int(width * rng.uniform(0.35, 0.7)))
    start = cols[0] + int(rng.integers(0, width - keep + 1))
    piece = np.zeros_like(ink)
    piece[:, start:start + keep] = ink[:, start:start + keep]
    return piece if piece.max() > 0.25 else ink


def scribble(rng):
    """A random smooth stroke that turns many times: a doodle, a crossing-out."""
    turns = int(rng.integers(4, 12))
    nodes = rng.uniform(0.05, 0.95, (turns, 2))
    t = np.linspace(0, 1, turns * 8)
    at = np.linspace(0, 1, turns)
    return [list(zip(np.interp(t, at, nodes[:, 0]), np.interp(t, at, nodes[:, 1])))]


def draw(strokes, rng):
    """Unit-box strokes -> ink (CANVAS, CANVAS) in [0, 1], as one hand drew them: slanted, stretched,
    rotated, wobbled, with a pen between a fine liner and a marker."""
    degrees = rng.uniform(-15, 15)
    slant, stretch = rng.uniform(-0.3, 0.3), rng.uniform(0.6, 1.4)
    matrix = _turned_and_slanted(degrees, stretch, slant)
    side, picture = _double_canvas()
    pen = int(round(side * rng.uniform(0.02, 0.07)))
    pencil = ImageDraw.Draw(picture)
    for stroke in strokes:
        points = np.asarray(stroke, np.float64) - 0.5  # (P, 2), about the box's centre
        points = points @ matrix.T + rng.normal(0, 0.012, points.shape)
        points = (0.5 + 0.33 * points) * side  # within the canvas, whatever the rotation
        pencil.line([tuple(p) for p in points], fill=255, width=pen, joint="curve")
        for end in (points[0], points[-1]):  # round pen ends
            pencil.ellipse([end[0] - pen / 2, end[1] - pen / 2, end[0] + pen / 2, end[1] + pen / 2], fill=255)
    return _as_ink(picture)


def typed(char, rng):
    """`char` typed in Pillow's own font -> ink (CANVAS, CANVAS) in [0, 1], in a random weight from
    regular to heavy, upright or italic, narrowed or widened, a little turned."""
    side, picture = _double_canvas()
    weight = int(rng.integers(0, side // 24))  # an outline this wide: bold to black
    ImageDraw.Draw(picture).text((side / 2, side / 2), char, fill=255, font=_font(side // 2), anchor="mm",
                                 stroke_width=weight, stroke_fill=255)
    italic = rng.uniform(0.1, 0.3) if rng.random() < 0.5 else 0.0
    matrix = _turned_and_slanted(rng.uniform(-8, 8), rng.uniform(0.75, 1.3), -italic)
    return _as_ink(about_centre(picture, matrix))


def _double_canvas():
    """A blank picture twice CANVAS a side, and that side: glyphs are drawn on it, then _as_ink."""
    side = 2 * CANVAS
    return side, Image.new("L", (side, side), 0)


def _as_ink(picture):
    """A glyph drawn on _double_canvas -> ink (CANVAS, CANVAS) in [0, 1], box-averaged: smooth edges."""
    return np.asarray(picture.resize((CANVAS, CANVAS), Image.BOX), np.float32) / 255.0


@functools.lru_cache(maxsize=None)
def _font(size):
    return ImageFont.load_default(size=size)  # Pillow 10.1's scalable font (a bitmap of one size before)


def _turned_and_slanted(degrees, stretch, slant):
    """The 2x2 map (x right, y down) that widens by `stretch`, shears x by `slant` per unit of y,
    then turns by `degrees`."""
    angle = math.radians(degrees)
    return np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) \
        @ np.array([[stretch, slant], [0.0, 1.0]])


def about_centre(picture, matrix):
    """`picture` mapped by the 2x2 `matrix` (x right, y down) about its centre. Pillow asks, for each
    pixel drawn, where it comes from: the inverse map."""
    inverse = np.linalg.inv(matrix)
    centre = np.array(picture.size) / 2
    shift = centre - inverse @ centre
    return picture.transform(picture.size, Image.AFFINE, (*inverse[0], shift[0], *inverse[1], shift[1]),
                             Image.BILINEAR)


def blurred(images, count, rng):
    """Up to `count` of the 28x28 uint8 digit `images`, each blurred past reading and normalised again:
    a blot where a digit was (a camera far out of focus) is no digit to name. A thin mark that the
    blur wipes out, even at half of it, is left out."""
    out = []
    for k in rng.integers(0, len(images), count):
        sigma = rng.uniform(*BLUR) * images.shape[1]
        for blur in (sigma, sigma / 2):  # a thin 1 blurred that much is gone: half as much still leaves no digit
            try:
                out.append(_blot(images[k], blur))
                break
            except EmptyImageError:
                continue
    return np.array(out, np.uint8).reshape(-1, SIZE, SIZE)


def _blot(image, sigma):
    side = image.shape[0]
    sheet = Image.new("L", (BLUR_SHEET * side, BLUR_SHEET * side), 0)  # paper all around, as a photo has
    sheet.paste(Image.fromarray(image), ((BLUR_SHEET - 1) * side // 2,) * 2)
    return as_digit(np.asarray(sheet.filter(ImageFilter.GaussianBlur(sigma)), np.float32) / 255)


def as_digit(ink):
    """Ink (H, W) in [0, 1] -> a uint8 SIZE x SIZE image normalised as a digit is, through the
    same path a picture takes (ink on white paper)."""
    return ink_digit(1.0 - ink)


def with_nondigits(image_set, count, seed, kinds=TRAINED_KINDS):
    """The set plus `count` non-digits labelled NO_LABEL, to be unsure of, not to be named: drawings
    and typed characters (of `kinds`), and a BLURRED_SHARE of the set's own digits blurred past reading."""
    images = _strays(image_set, count, seed, kinds)
    return joined(image_set, ImageSet(images, np.full(len(images), NO_LABEL), image_set.label_names))


def _strays(image_set, count, seed, kinds):
    """About `count` images that are none of the set's classes: drawings of `kinds`, and a
    BLURRED_SHARE of the set's own images blurred past reading."""
    blots = int(round(BLURRED_SHARE * count))
    drawings, _ = nondigits(count - blots, seed, kinds)
    return np.concatenate([drawings, blurred(image_set.images, blots, np.random.default_rng(seed))])


NONE_OF_THESE = "none of these"  # the label of an own-class model's class for everything else
NONE_KINDS = ("scribbles", "lines")  # no one's class: letters, symbols or shapes may be someone's
MIN_NONE = 10  # built-in examples of "none of these", at the fewest


def with_none_of_these(train_set, val_set, seed):
    """-> (train, validation) sets (the validation set may be None), each with a class NONE_OF_THESE
    fed with its own built-in strokes, drawn from its own seed."""
    return _with_none_of_these(train_set, seed), (None if val_set is None else _with_none_of_these(val_set, seed + 1))


def _with_none_of_these(image_set, seed):
    """The set with a class NONE_OF_THESE (after the others, or the set's own of that name) fed with
    built-in strokes that are none of its classes: scribbles, lines, and its own images blurred
    past reading; as many as its largest class has images, MIN_NONE at the fewest."""
    names = list(image_set.label_names)
    if NONE_OF_THESE not in names:
        names.append(NONE_OF_THESE)
    images = _strays(image_set, max(MIN_NONE, int(image_set.counts().max())), seed, NONE_KINDS)
    relabelled = ImageSet(image_set.images, image_set.labels, names)
    return joined(relabelled, ImageSet(images, np.full(len(images), names.index(NONE_OF_THESE)), names))
