"""Pictures of things that are not digits: our evaluation set for "not a digit" (deterministic, seeded).

Two sources, each rendered "clean" (black on white) or "photo" (as tests/sets/numbers.py photographs):
- "drawn": the hand-drawn letters, symbols, shapes, lines and scribbles of digitlab.data.nondigits,
  drawn afresh from seeds the model never trained on (the same kinds of things, new drawings);
- "printed": letters and symbols typed in fonts the model never saw (DejaVu, Liberation; skipped when
  neither is installed): it trains on typed ones only in Pillow's own font.
- "unseen": characters of other alphabets and signs (Greek, Cyrillic, arrows, suits, marks), typed in
  DejaVu Sans: kinds of things the model never saw one of, for how far its "?" reaches past what it
  was taught.
Characters no one could tell from a digit (O, I, l, S, Z, g, q, !, |; in "unseen" ο, ζ, δ, σ, Θ, З, б,
Б, Ч, Э, ∞, §) are left out.
"""
import glob

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitlab.data.nondigits import KINDS, draw, pick
from tests.sets.numbers import render_clean, render_photo

PRINTED = "ABCDEFGHJKLMNPRTUVWXYabcdefhkmnprtuvwxy+=#*%&@?$<>~÷-"
UNSEEN = "αβγεηλμπφψωΓΔΛΞΠΣΦΨΩГДЖИЛФЦШЩЫЮЯ♠♣♥♦★☺✓✗→←↑↓≈≠±√∑∫€£¥©"
UNSEEN_FONTS = sorted(f for f in glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSans*.ttf")
                      if "Mono" not in f and "ExtraLight" not in f)  # the faces that have them all
FONTS = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/DejaVu*.ttf")
               + glob.glob("/usr/share/fonts/truetype/liberation/Liberation*.ttf"))
MARGIN = 0.5  # blank paper around the thing, as a share of its size


class Picture:
    def __init__(self, data, source, kind, name):
        self.data, self.source, self.kind, self.name = data, source, kind, name


def nondigit_pictures(count, seed, style="clean", source="drawn"):
    """`count` pictures (encoded bytes) of non-digits, the same from the same seed."""
    rng = np.random.default_rng(seed)
    render = render_clean if style == "clean" else render_photo
    out = []
    for _ in range(count):
        if source == "drawn":
            kind = sorted(KINDS)[int(rng.integers(len(KINDS)))]
            name, strokes = pick(kind, rng)
            ink = draw(strokes, rng)
        else:
            characters, fonts = (PRINTED, FONTS) if source == "printed" else (UNSEEN, UNSEEN_FONTS)
            kind, name = source, characters[int(rng.integers(len(characters)))]
            ink = typed(name, fonts[int(rng.integers(len(fonts)))], int(rng.integers(40, 160)))
        out.append(Picture(render(on_paper(ink, rng), rng), source, kind, name))
    return out


def highest_confidence(result):
    """The confidence of the surest digit read in a picture (0 when none is found): a non-digit is
    answered "?" or nothing at every threshold above it."""
    return max([digit["confidence"] for digit in result["digits"]] or [0.0])


def typed(char, font_path, size):
    font = ImageFont.truetype(font_path, size)
    picture = Image.new("L", (2 * size, 2 * size), 0)
    ImageDraw.Draw(picture).text((size // 2, size // 4), char, fill=255, font=font)
    return np.asarray(picture, np.float32) / 255.0


def on_paper(ink, rng):
    """The ink cropped to itself, scaled to a random size, with blank paper around."""
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = rng.uniform(40, 200) / max(crop.shape)
    size = (max(1, int(crop.shape[1] * scale)), max(1, int(crop.shape[0] * scale)))
    crop = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.BILINEAR), np.float32)
    margin = int(MARGIN * max(crop.shape))
    return np.pad(np.clip(crop, 0, 1), margin)
