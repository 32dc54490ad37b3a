"""Numbers (and single digits) composed from real MNIST digits: our own evaluation set (deterministic, seeded).

Each digit is cut to its tight ink box and scaled with MNIST's own proportions kept (a 1 stays
narrow), its height jittered by up to 15 % and its baseline by up to 8 % of the line height;
gaps run from 0 (tight boxes abutting, no blank column, the ink often touching) to wide.
A number is rendered in one of these styles:
- "clean": black on white at one of a few sizes;
- "thick": the same written with a marker (strokes grown to 2-3 times MNIST's width, holes
  nearly closed);
- "photo": a photo-like picture: off-white paper with a texture, a pen of one of four colours
  (sometimes a thick one), rotation up to 12 degrees, a perspective tilt, a light gradient and
  sometimes a soft shadow, sensor noise, blur, JPEG;
- "lined": the same photo of a ruled or a squared page: light blue or grey lines, 1-2 pixels,
  0.6-1.3 line heights apart, 15-45 % opaque, crossing the digits;
- "notebook": the same lined page with an exercise book's red margin line down it, 1-3 pixels,
  70-100 % opaque, between the page's edge and the writing;
- "boxed": the same photo of a worksheet's printed answer box round the number: a thin black,
  grey or blue rectangle clear of the digits;
- "desk": the same photo of a sheet lying on a table (dark or light wood, grey, black, with a
  grain), either the whole sheet turned a little with the table all around it, or the page running
  off the frame with the table along one or two sides;
- "light desk": the same on a light table (white laminate, pale wood, light grey, a faint grain),
  which the sheet's own light, falling off across it, leaves darker than the table in places.
No camera exists here: the photos are synthesised, so they miss real lenses' distortion, glare,
motion blur and ink that bleeds. The evaluation set uses the test split
only; recipes are tuned on the same kinds of pictures made from the training split.
"""
import io
import os

import numpy as np
from PIL import Image, ImageFilter

from digitlab.data.sources import MNIST_STORE
from digitlab.recognise import read_shifted

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STORE = os.path.join(ROOT, MNIST_STORE)
HEIGHTS = (32, 64, 120, 220)  # line heights (px) of the clean renderings
TOUCHING_SHARE = 0.2  # numbers with at least one pair of abutting boxes
PAPERS = [(236, 232, 220), (245, 242, 235), (222, 218, 205), (250, 250, 250)]
INKS = [(25, 25, 30), (30, 45, 140), (70, 70, 75), (20, 60, 35)]
RULINGS = [(120, 150, 205), (150, 150, 150), (105, 165, 195), (95, 95, 100)]  # a page's lines: light blues, greys
MARGIN = (225, 85, 100)  # a notebook's margin line: red
PRINT = [(30, 30, 30), (90, 90, 90), (40, 60, 150)]  # a worksheet's printed boxes: black, grey, blue
TABLES = [(95, 62, 40), (150, 110, 75), (62, 62, 66), (32, 32, 34)]  # dark and light wood, grey, black
LIGHT_TABLES = [(225, 225, 220), (215, 205, 190), (200, 190, 170), (185, 185, 185)]  # laminate, pale wood, light grey
PHOTOS = ("photo", "lined", "notebook", "boxed", "desk", "light desk")  # the styles photographed, at 90-200 pixels a line


def load_digits(split):
    """The MNIST `split` ("train" or "test") as (uint8 images (N, 28, 28), labels (N,))."""
    with np.load(STORE) as store:
        return store[split + "_images"], store[split + "_labels"]


def read_alone(saved, split="test"):
    """(probabilities (N, classes), labels (N,)): each digit of the MNIST `split` read alone, as MNIST
    gives it (28x28, normalised), as the engine reads a digit."""
    images, labels = load_digits(split)
    return read_shifted(saved, images.astype(np.float32) / 255), labels


class Number:
    """A composed number: its picture (encoded bytes), the digits it shows and how it was made
    (`picks`: each digit's index in the images it was taken from)."""

    def __init__(self, data, text, touching, style, size, picks):
        self.data, self.text, self.touching, self.style, self.size = data, text, touching, style, size
        self.picks = picks

    def image(self):
        return Image.open(io.BytesIO(self.data))

    def cut_close(self, share=0.0):
        """The same number in a picture (PNG, grey) cut to its ink's box, with `share` of the box's
        height around it, as a user crops a photo before uploading it."""
        gray = np.asarray(self.image().convert("L"))  # (H, W) uint8
        rows, columns = np.nonzero(gray < 128)
        margin = int(round(share * (rows.max() - rows.min() + 1)))
        top, left = max(0, rows.min() - margin), max(0, columns.min() - margin)
        cut = gray[top:rows.max() + 1 + margin, left:columns.max() + 1 + margin]
        return Number(png(Image.fromarray(cut)), self.text, self.touching, self.style, cut.shape[::-1], self.picks)


def numbers(split, count, seed=0, style="clean", lengths=range(2, 9)):
    """`count` numbers from the digits of `split` ("train", "test", or (images, labels) of a part of
    one), reproducibly from `seed`; `lengths=[1]` gives single digits."""
    images, labels = load_digits(split) if isinstance(split, str) else split
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        length = int(rng.choice(list(lengths)))
        picks = rng.integers(0, len(images), length)
        touching = bool(rng.random() < TOUCHING_SHARE) and length > 1
        height = int(rng.integers(90, 200)) if style in PHOTOS else int(rng.choice(HEIGHTS))
        ink = compose([images[i] for i in picks], height, touching, rng)
        data = RENDERINGS[style](ink, rng)
        out.append(Number(data, "".join(str(labels[i]) for i in picks), touching, style, ink.shape[::-1], picks))
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


def render_clean(ink, rng=None):
    return png(Image.fromarray(np.uint8(np.round(255 * (1 - ink)))))


def render_thick(ink, rng):
    """Black on white, written with a marker: every stroke grown by 7-12 % of the line's height."""
    return render_clean(thicken(ink, rng.uniform(0.07, 0.12)), rng)


def thicken(ink, share):
    """Ink (H, W) with its strokes grown by `share` of the line height (a grey dilation)."""
    height = ink.shape[0] / 2.4  # compose() leaves 0.4 of the height above and below, and 0.6 more for jitter
    size = 2 * int(round(share * height / 2)) + 1
    return np.asarray(Image.fromarray(ink, mode="F").filter(ImageFilter.MaxFilter(size)), np.float32)


def render_photo(ink, rng, printed=()):
    """Ink -> JPEG bytes of a photo-like picture of it on paper; on a lined page where `printed`
    holds the page's lines: (strength (H, W) in [0, 1], as `ink`, the RGB colours one is drawn from) each."""
    return _jpeg(_photo(ink, rng, printed), rng)


def _photo(ink, rng, printed=()):
    """render_photo's picture, before JPEG."""
    paper = np.array(PAPERS[rng.integers(len(PAPERS))], np.float32)
    pen = np.array(INKS[rng.integers(len(INKS))], np.float32)
    if rng.random() < 0.25:
        ink = thicken(ink, rng.uniform(0.03, 0.08))
    angle = rng.uniform(-12, 12)
    layers = _tilted([Image.fromarray(np.uint8(np.round(255 * layer))).rotate(angle, Image.BILINEAR, expand=True)
                      for layer in [ink] + [lines for lines, _ in printed]], rng)
    a = np.asarray(layers[0], np.float32)[..., None] / 255.0 * rng.uniform(0.75, 1.0)  # (H, W, 1)
    h, w = a.shape[:2]
    sheet = paper * _texture(h, w, rng)[..., None]  # (H, W, 3)
    for layer, (_, colours) in zip(layers[1:], printed):
        lines = np.asarray(layer, np.float32)[..., None] / 255.0  # (H, W, 1)
        sheet = sheet * (1 - lines) + np.array(colours[rng.integers(len(colours))], np.float32) * lines
    rgb = sheet * (1 - a) + pen * a  # (H, W, 3)
    rgb = rgb * _light(h, w, rng)[..., None] + rng.normal(0, rng.uniform(2, 8), rgb.shape)
    picture = Image.fromarray(np.uint8(np.clip(rgb, 0, 255)))
    return picture.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.5)))


def _jpeg(picture, rng):
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=int(rng.integers(50, 90)))
    return out.getvalue()


def render_lined(ink, rng):
    """Ink -> JPEG bytes of a photo of it written on a ruled or a squared page."""
    return render_photo(ink, rng, [(_ruling(ink.shape, rng), RULINGS)])


def render_notebook(ink, rng):
    """Ink -> JPEG bytes of a photo of it in an exercise book: a ruled or squared page with a red
    margin line down it, left of the writing."""
    return render_photo(ink, rng, [(_ruling(ink.shape, rng), RULINGS), (_margin(ink, rng), [MARGIN])])


def render_boxed(ink, rng):
    """Ink -> JPEG bytes of a photo of it written in a worksheet's printed answer box."""
    return render_photo(ink, rng, [(_answer_box(ink.shape, rng), PRINT)])


def _answer_box(shape, rng):
    """A printed rectangle (H, W) round the writing: 1-4 % of the sheet's height thick, 5-25 % of it
    in from the edges, so clear of the digits (compose() leaves a third of the height round them)."""
    h, w = shape
    inset, thick = int(rng.uniform(0.05, 0.25) * h / 2.4), max(1, int(rng.uniform(0.01, 0.04) * h / 2.4))
    box = np.zeros(shape, np.float32)
    box[inset:h - inset, inset:w - inset] = 1
    box[inset + thick:h - inset - thick, inset + thick:w - inset - thick] = 0
    return box


def _margin(ink, rng):
    """A notebook's margin line (H, W): down the whole page, 1-3 pixels wide, 70-100 % opaque,
    between the page's edge and the writing."""
    line = np.zeros(ink.shape, np.float32)
    x = int(rng.uniform(0.2, 0.8) * np.flatnonzero(ink.max(axis=0) > 0)[0])
    line[:, x:x + int(rng.integers(1, 4))] = rng.uniform(0.7, 1.0)
    return line


def render_desk(ink, rng, tables=TABLES, grain=0.3):
    """Ink -> JPEG bytes of a photo of it on a sheet lying on a table of one of `tables`' colours,
    its grain changing the light by up to `grain`: half the time the whole sheet, turned up to 8
    degrees, with 8-30 % of its size of table around it; else the page running off the frame, the
    table along one side (6-20 % of the width) and sometimes above or below it."""
    sheet = _photo(ink, rng)
    w, h = sheet.size
    if rng.random() < 0.5:
        margin = rng.uniform(0.08, 0.3)
        table = _table(int(h * (1 + 2 * margin)), int(w * (1 + 2 * margin)), rng, tables, grain)
        angle = rng.uniform(-8, 8)
        outline = Image.new("L", sheet.size, 255).rotate(angle, Image.BILINEAR, expand=True)
        sheet = sheet.rotate(angle, Image.BILINEAR, expand=True)
        table.paste(sheet, ((table.size[0] - sheet.size[0]) // 2, (table.size[1] - sheet.size[1]) // 2), outline)
    else:
        across, down = rng.uniform(0.06, 0.2), (rng.uniform(0.05, 0.15) if rng.random() < 0.5 else 0.0)
        table = _table(int(h * (1 + down)), int(w * (1 + across)), rng, tables, grain)
        table.paste(sheet, (int(rng.integers(2)) * (table.size[0] - w), int(rng.integers(2)) * (table.size[1] - h)))
    return _jpeg(table, rng)


def render_light_desk(ink, rng):
    """A desk photo (`render_desk`) on a light table with a faint grain."""
    return render_desk(ink, rng, LIGHT_TABLES, 0.1)


def _table(h, w, rng, tables, grain):
    """A table top (H, W) in one of `tables`' colours, with a grain along it changing its light by up to `grain`."""
    light = 1 - grain / 2 + grain * _grain(h, w, (6, 40), rng)[..., None] / 255.0  # (H, W, 1): along its length
    colour = np.array(tables[rng.integers(len(tables))], np.float32)
    return Image.fromarray(np.uint8(np.clip(colour * light + rng.normal(0, 3, (h, w, 3)), 0, 255)))


def _ruling(shape, rng):
    """A ruled or (half the time) squared page's lines (H, W): 1-2 pixels wide, 0.6-1.3 line heights
    apart, 15-45 % opaque."""
    h, w = shape
    step = max(4, int(rng.uniform(0.6, 1.3) * h / 2.4))  # compose() makes the sheet 2.4 line heights tall
    width = int(rng.integers(1, 3))
    lines = np.zeros(shape, np.float32)
    lines[(np.arange(h) - rng.integers(step)) % step < width] = 1
    if rng.random() < 0.5:
        lines[:, (np.arange(w) - rng.integers(step)) % step < width] = 1
    return lines * rng.uniform(0.15, 0.45)


def _tilted(images, rng):
    """The same-sized pictures seen from a little off square, alike: each corner moved by up to 6 % of the side."""
    w, h = images[0].size
    corners = np.array([[0, 0], [0, h], [w, h], [w, 0]], np.float64)
    moved = corners + rng.uniform(-0.06, 0.06, (4, 2)) * [w, h]
    return [image.transform((w, h), Image.QUAD, tuple(moved.ravel()), Image.BILINEAR) for image in images]


def _texture(h, w, rng):
    """Paper's grain: a soft random pattern of +-4 % brightness."""
    return 0.96 + 0.08 * _grain(h, w, (8, 8), rng) / 255.0


def _grain(h, w, cell, rng):
    """A soft random pattern (H, W) of 0-255: random levels every `cell` (rows, columns) pixels, smoothly between."""
    levels = Image.fromarray(np.uint8(rng.integers(0, 256, (max(2, h // cell[0]), max(2, w // cell[1])))))
    return np.asarray(levels.resize((w, h), Image.BICUBIC), np.float32)


def _light(h, w, rng):
    """The light across the sheet (H, W): a gradient, and in a third of the pictures a soft shadow."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    light = 1.0 - rng.uniform(0.1, 0.4) * (ramp - ramp.min()) / max(1e-6, float(np.ptp(ramp)))
    if rng.random() < 1 / 3:  # a hand's or a phone's shadow: darker beyond a soft edge
        edge_angle, edge_at = rng.uniform(0, 2 * np.pi), rng.uniform(0.3, 0.7)
        across = np.cos(edge_angle) * (xx / w - 0.5) + np.sin(edge_angle) * (yy / h - 0.5) + 0.5 - edge_at
        light = light * (1 - rng.uniform(0.2, 0.45) / (1 + np.exp(-across / 0.05)))
    return light


RENDERINGS = {"clean": render_clean, "thick": render_thick, "photo": render_photo, "lined": render_lined,
              "notebook": render_notebook, "boxed": render_boxed, "desk": render_desk, "light desk": render_light_desk}


def png(image):
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
