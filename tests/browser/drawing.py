"""Drawing on the page's canvas with real input: mouse, touch and pen."""
from strokes import DIGITS, densify, number_strokes

CANVAS = '[data-testid="draw-canvas"]'


def to_page(page, points):
    """Canvas coordinates -> viewport (CSS pixel) coordinates, with the canvas scrolled into view."""
    canvas = page.locator(CANVAS)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    scale = box["width"] / canvas.evaluate("c => c.width")
    return [(box["x"] + x * scale, box["y"] + y * scale) for x, y in points]


def mouse_stroke(page, points):
    path = to_page(page, densify(points))
    page.mouse.move(*path[0])
    page.mouse.down()
    for x, y in path[1:]:
        page.mouse.move(x, y)
    page.mouse.up()


def touch_stroke(page, points):
    """A finger stroke through Chromium's touch input pipeline (CDP), not a synthetic DOM event."""
    cdp = page.context.new_cdp_session(page)
    path = to_page(page, densify(points))
    for kind, (x, y) in [("touchStart", path[0])] + [("touchMove", p) for p in path[1:]]:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def pen_stroke(page, points):
    """A stylus stroke: mouse events that Chromium reports with pointerType "pen"."""
    cdp = page.context.new_cdp_session(page)
    path = to_page(page, densify(points))
    common = {"button": "left", "pointerType": "pen", "force": 0.5}
    cdp.send("Input.dispatchMouseEvent", dict(common, type="mousePressed", x=path[0][0], y=path[0][1], clickCount=1))
    for x, y in path[1:]:
        cdp.send("Input.dispatchMouseEvent", dict(common, type="mouseMoved", x=x, y=y, buttons=1))
    cdp.send("Input.dispatchMouseEvent", dict(common, type="mouseReleased", x=path[-1][0], y=path[-1][1], clickCount=1))
    cdp.detach()


def draw_digit(page, digit, stroke=mouse_stroke):
    for points in DIGITS[digit]:
        stroke(page, points)


def draw_number(page, text, rng, stroke=mouse_stroke):
    for points in number_strokes(text, rng):
        stroke(page, points)
