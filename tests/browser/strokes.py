"""Hand-shaped strokes for each digit, as polylines in a 280x280 box of canvas coordinates, and
whole numbers written with them across the drawing canvas, each digit a little different."""
import math


def ellipse(cx, cy, rx, ry, n=40, start=0.0):
    return [(cx + rx * math.sin(start + 2 * math.pi * i / n), cy - ry * math.cos(start + 2 * math.pi * i / n))
            for i in range(n + 1)]


def arc(cx, cy, r, degrees_from, degrees_to, n=20):
    angles = [math.radians(degrees_from + (degrees_to - degrees_from) * i / n) for i in range(n + 1)]
    return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]


DIGITS = {
    "0": [ellipse(140, 140, 55, 90)],
    "1": [[(140, 45), (140, 235)]],
    "2": [arc(140, 95, 50, 200, 380) + [(90, 230), (200, 230)]],
    "3": [arc(140, 90, 45, 210, 450) + arc(140, 185, 50, 270, 510)],
    "4": [[(110, 45), (80, 160), (200, 160)], [(170, 90), (170, 240)]],
    "5": [[(195, 50), (100, 50), (95, 130)] + arc(140, 175, 55, 220, 500)],
    "6": [[(180, 50), (110, 120)] + ellipse(140, 185, 50, 50, start=math.pi * 1.6)],
    "7": [[(80, 55), (200, 55), (120, 235)]],
    "8": [ellipse(140, 90, 40, 45), ellipse(140, 185, 50, 50)],
    "9": [ellipse(140, 100, 45, 50), [(185, 100), (175, 235)]],
}


def densify(points, step=6.0):
    """Points every `step` px along a polyline, as a real pointer would report them."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) // step))
        out.extend((x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1))
    return out


CANVAS_WIDTH, CANVAS_HEIGHT = 960, 320  # the drawing canvas's own pixels (index.html)
TEMPLATE_CENTRE = (140, 142)  # the middle of the digits above


def number_strokes(text, rng):
    """Strokes that write `text` on one line across the canvas: each digit scaled, slanted and
    placed with its own jitter from `rng` (a random.Random), as a hand would."""
    cell = min(150.0, (CANVAS_WIDTH - 40.0) / len(text))
    size = cell / 150.0  # a digit's template is about 120 px wide: keep a gap between cells
    strokes = []
    for i, digit in enumerate(text):
        scale = size * rng.uniform(0.85, 1.1)
        slant = rng.uniform(-0.15, 0.15)
        cx = 20 + cell * (i + 0.5) + rng.uniform(-0.06, 0.06) * cell
        cy = CANVAS_HEIGHT / 2.0 + rng.uniform(-12, 12)
        for points in DIGITS[digit]:
            strokes.append([(cx + scale * ((x - TEMPLATE_CENTRE[0]) - slant * (y - TEMPLATE_CENTRE[1])),
                             cy + scale * (y - TEMPLATE_CENTRE[1])) for x, y in points])
    return strokes
