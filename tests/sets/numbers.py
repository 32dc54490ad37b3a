"""Numbers of 2-8 digits composed from real MNIST digits: our own evaluation set (deterministic, seeded).

Each digit is cut to its tight ink box and scaled with MNIST's own proportions kept (a 1 stays
narrow), its height jittered by up to 15 % and its baseline by up to 8 % of the line height;
gaps run from 0 (tight boxes abutting, no blank column, the ink often touching) to wide.
A number is rendered black on white at one of a few sizes ("clean"), or as a photo-like picture
("photo": off-white paper, coloured ink, rotation up to 12 degrees, uneven light, noise, blur,
JPEG). The evaluation set uses the test split only; recipes are tuned on numbers made from the
training split.
"""
import io
import os

import numpy as np
from PIL import Image, ImageFilter

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STORE = os.path.join(ROOT, "build", "data", "mnist.npz")
HEIGHTS = (32, 64, 120, 220)  # line heights (px) of the clean renderings
TOUCHING_SHARE = 0.2  # numbers with at least one pair of abutting boxes
PAPERS = [(236, 232, 220), (245, 242, 235), (222, 218, 205), (250, 250, 250)]
INKS = [(25, 25, 30), (30, 45, 140), (70, 70, 75), (20, 60, 35)]


def load_digits(split):
    """The MNIST `split` ("train" or "test") as (uint8 images (N, 28, 28), labels (N,))."""
    with np.load(STORE) as store:
        return store[split + "_images"], store[split + "_labels"]


class Number:
    """A composed number: its picture (encoded bytes), the digits it shows and how it was made."""

    def __init__(self, data, text, touching, style, size):
        self.data, self.text, self.touching, self.style, self.size = data, text, touching, style, size

    def image(self):
        return Image.open(io.BytesIO(self.data))


def numbers(split, count, seed=0, style="clean", lengths=range(2, 9)):
    """`count` numbers from the digits of `split`, reproducibly from `seed`."""
    images, labels = load_digits(split)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        length = int(rng.choice(list(lengths)))
        picks = rng.integers(0, len(images), length)
        touching = bool(rng.random() < TOUCHING_SHARE)
        height = int(rng.choice(HEIGHTS)) if style == "clean" else int(rng.integers(90, 200))
        ink = compose([images[i] for i in picks], height, touching, rng)
        data = render_clean(ink) if style == "clean" else render_photo(ink, rng)
        out.append(Number(data, "".join(str(labels[i]) for i in picks), touching, style, ink.shape[::-1]))
    return out


def compose(digits, height, touching, rng):
    """uint8 MNIST digits -> float32 ink (H, W) in [0, 1] with the digits side by side."""
    scale = height / 20.0  # MNIST fits a digit's longer side to 20 px
    crops = [_scaled(_tight(d), scale * rng.uniform(0.85, 1.15)) for d in digits]
    gaps = _gaps(len(crops), height, touching, rng)
    margin = int(0.4 * height)
    width = sum(c.shape[1] for c in crops) + sum(gaps) + 2 * margin
    sheet = np.zeros((int(1.6 * height) + 2 * margin, width), np.float32)
    x = margin
    for crop, gap in zip(crops, gaps + [0]):
        h, w = crop.shape
        top = margin + int(0.3 * height) + int((height - h) / 2 + rng.uniform(-0.08, 0.08) * height)
        sheet[top:top + h, x:x + w] = np.maximum(sheet[top:top + h, x:x + w], crop)
        x += w + gap
    return sheet


def _tight(digit):
    rows = np.flatnonzero(digit.max(axis=1) > 0)
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    return digit[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _scaled(digit, scale):
    h, w = digit.shape
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return np.asarray(Image.fromarray(digit).resize(size, Image.BILINEAR), np.float32) / 255.0


def _gaps(count, height, touching, rng):
    """Blank columns between neighbours: some 0 in a touching number, else 8-70 % of the height."""
    gaps = [int(rng.uniform(0.08, 0.7) * height) for _ in range(count - 1)]
    if touching:
        abut = [i for i in range(count - 1) if rng.random() < 0.5] or [int(rng.integers(0, count - 1))]
        for i in abut:
            gaps[i] = 0
    return gaps


def render_clean(ink):
    return _png(Image.fromarray(np.uint8(np.round(255 * (1 - ink)))))


def render_photo(ink, rng):
    """Ink -> JPEG bytes of a photo-like picture of it on paper."""
    paper = np.array(PAPERS[rng.integers(len(PAPERS))], np.float32)
    pen = np.array(INKS[rng.integers(len(INKS))], np.float32)
    alpha = Image.fromarray(np.uint8(np.round(255 * ink)))
    alpha = alpha.rotate(rng.uniform(-12, 12), Image.BILINEAR, expand=True)
    a = np.asarray(alpha, np.float32)[..., None] / 255.0 * rng.uniform(0.75, 1.0)  # (H, W, 1)
    rgb = paper * (1 - a) + pen * a  # (H, W, 3)
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)  # a light gradient across the sheet
    light = 1.0 - rng.uniform(0.1, 0.4) * (ramp - ramp.min()) / max(1e-6, float(np.ptp(ramp)))
    rgb = rgb * light[..., None] + rng.normal(0, rng.uniform(2, 8), rgb.shape)
    picture = Image.fromarray(np.uint8(np.clip(rgb, 0, 255)))
    picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.5)))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=int(rng.integers(50, 90)))
    return out.getvalue()


def _png(image):
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
