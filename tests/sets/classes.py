"""Folders of one's own classes that are not digits, for transfer learning (deterministic, seeded).

Two sets, as a teacher might make them:
- "letters": ten capital letters, half typed in a random font (DejaVu, Liberation, upright, bold and
  italic; pen strokes only when no font is installed), half drawn as pen strokes (slanted, stretched,
  wobbled, a fine liner to a marker);
- "shapes": eight simple drawn shapes.
Each picture is rotated up to 15 degrees and shown black on white or photographed (tinted paper, ink
colours, uneven light, grain, noise, blur, JPEG), as tests/sets/numbers.py photographs numbers.
Written as a folder: one sub-folder per class, as the CLI and the page read them.
"""
import os

import numpy as np
from PIL import Image

from digitlab.data.glyphs import UNNAMED_LETTERS, UNNAMED_SHAPES
from digitlab.data.nondigits import LETTERS, SHAPES, draw
from tests.sets.nondigits import FONTS, on_paper, typed
from tests.sets.numbers import render_clean, render_photo

KINDS = {"letters": UNNAMED_LETTERS, "shapes": UNNAMED_SHAPES}  # glyphs the feature network was never taught


def class_pictures(kind, per_class, seed):
    """{class name: [picture bytes]}, `per_class` of each, the same from the same seed."""
    rng = np.random.default_rng(seed)
    return {name: [_picture(kind, name, rng) for _ in range(per_class)] for name in KINDS[kind]}


def write_folder(root, pictures):
    """Write {class: [bytes]} as root/<class>/<n>.png|jpg; return root."""
    for name, items in pictures.items():
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i, data in enumerate(items):
            with open(os.path.join(root, name, "%03d.%s" % (i, "png" if data[:4] == b"\x89PNG" else "jpg")), "wb") as f:
                f.write(data)
    return root


def _picture(kind, name, rng):
    if kind == "letters" and FONTS and rng.random() < 0.5:
        ink = typed(name, FONTS[int(rng.integers(len(FONTS)))], int(rng.integers(40, 120)))
    else:
        ink = draw((LETTERS if kind == "letters" else SHAPES)[name], rng)
    ink = np.asarray(Image.fromarray(ink, mode="F").rotate(rng.uniform(-15, 15), Image.BILINEAR, expand=True))
    render = render_photo if rng.random() < 0.5 else render_clean
    return render(on_paper(np.clip(ink, 0, 1), rng), rng)
