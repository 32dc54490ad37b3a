"""Touch first and accessible, at tablet sizes and on a phone: control sizes, names, no sideways
scrolling, axe-core's check, and palm rejection on the drawing pad."""
import os

import pytest

import build
from drawing import CANVAS, draw_digit, to_page, touch_stroke

TABLETS = [(768, 1024), (1024, 768), (800, 1280), (1024, 1366)]
PHONE = (390, 844)
MIN_TARGET = 44  # CSS px each way
NAMED_ROLES = {"button", "checkbox", "textbox", "combobox", "slider", "spinbutton", "progressbar", "radio"}

# Each visible control's touch target: its own box, or the label that holds it (a click on the
# label is a click on the control: how a checkbox or a hidden file input is given its size).
TARGETS = """() => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
  .map((el) => ({ el, target: el.closest('label') || el }))
  .filter(({ target }) => target.checkVisibility() && target.getBoundingClientRect().width > 0)
  .map(({ el, target }) => { const r = target.getBoundingClientRect();
    return { id: el.dataset.testid || el.textContent.trim() || el.type, width: r.width, height: r.height }; })"""


def small_targets(page):
    return [t for t in page.evaluate(TARGETS) if t["width"] < MIN_TARGET - 0.5 or t["height"] < MIN_TARGET - 0.5]


def unnamed_controls(page):
    """Controls in Chromium's accessibility tree with no accessible name."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    return [n["role"]["value"] for n in nodes if not n.get("ignored") and n.get("role", {}).get("value") in NAMED_ROLES
            and not (n.get("name") or {}).get("value", "").strip()]


@pytest.mark.parametrize("size", TABLETS + [PHONE], ids=lambda s: "%dx%d" % s)
def test_every_control_is_big_enough_to_touch_and_named_with_no_sideways_scrolling(app, size):
    app.set_viewport_size({"width": size[0], "height": size[1]})
    app.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth")
    app.click('[data-testid="show-samples"]')  # shows more of the page: the training panel's galleries
    assert small_targets(app) == []
    assert unnamed_controls(app) == []
    canvas = app.locator(CANVAS).bounding_box()
    assert canvas["width"] >= size[0] - 100  # the drawing area takes the width the layout has


def test_axe_finds_no_serious_accessibility_problem(app):
    folder = os.path.join(build.CACHE, "axe")
    os.makedirs(folder, exist_ok=True)
    build.extract("axe", folder, ["package/axe.min.js"])
    app.add_script_tag(path=os.path.join(folder, "axe.min.js"))
    violations = app.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_a_palm_on_the_pad_while_a_pen_draws_leaves_no_ink(app):
    (pen_start, pen_end, palm_start, palm_end) = to_page(app, [(100, 160), (400, 160), (700, 60), (850, 250)])
    cdp = app.context.new_cdp_session(app)
    pen = {"button": "left", "pointerType": "pen", "force": 0.5}
    cdp.send("Input.dispatchMouseEvent", dict(pen, type="mousePressed", x=pen_start[0], y=pen_start[1], clickCount=1))
    for kind in ("touchStart", "touchMove", "touchEnd"):  # the palm lands, slides and lifts mid-stroke
        point = palm_start if kind == "touchStart" else palm_end
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else
                                              [{"x": point[0], "y": point[1], "radiusX": 20, "radiusY": 20}]})
    cdp.send("Input.dispatchMouseEvent", dict(pen, type="mouseMoved", x=pen_end[0], y=pen_end[1], buttons=1))
    cdp.send("Input.dispatchMouseEvent", dict(pen, type="mouseReleased", x=pen_end[0], y=pen_end[1], clickCount=1))
    cdp.detach()
    ink = "([x0, y0, x1, y1]) => { const d = digitlab.pad.ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;" \
          " let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] < 128; return n; }"
    assert app.evaluate(ink, [120, 150, 380, 170]) > 1000  # the pen's line
    assert app.evaluate(ink, [600, 0, 960, 320]) == 0  # nothing where the palm was


def test_on_a_phone_a_digit_drawn_with_a_finger_is_read(app):
    app.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    app.wait_for_function("document.querySelector('[data-testid=draw-canvas]')?.getBoundingClientRect().width < 390")
    draw_digit(app, "7", touch_stroke)
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")
