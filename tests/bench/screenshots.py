"""The README's tablet screenshots (not a test): the built page in Chromium at an iPad's size, upright
and on its side, a number drawn with touch strokes and read.

    python tests/bench/screenshots.py   # writes docs/tablet-portrait.png and docs/tablet-landscape.png
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..", "..", "py"), os.path.join(HERE, "..", "browser")]

from built_page import ready_page  # noqa: E402
from drawing import draw_number, touch_stroke  # noqa: E402

DOCS = os.path.join(HERE, "..", "..", "docs")
SIZES = {"tablet-portrait.png": (768, 1024), "tablet-landscape.png": (1024, 768)}


def main():
    for name, (width, height) in SIZES.items():
        with ready_page(viewport={"width": width, "height": height}, has_touch=True) as page:
            draw_number(page, "314", np.random.default_rng(1), touch_stroke)
            # Read once more, after the last stroke: an earlier stroke's reading may already say 314.
            answers = page.evaluate("+document.querySelector('[data-testid=result]').dataset.answers")
            page.click('[data-testid="recognise"]')
            page.wait_for_function("n => +document.querySelector('[data-testid=result]')?.dataset.answers > n",
                                   arg=answers, timeout=60000)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=os.path.join(DOCS, name))
            print("wrote docs/%s (%dx%d)" % (name, width, height))


if __name__ == "__main__":
    main()
