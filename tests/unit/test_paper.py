"""The paper in a picture: a sheet lying on a table, found in hand-made photos whose answer is known."""
import numpy as np
import pytest
from PIL import Image

from digitlab.paper import between, find_sheet, longer_side_to, otsu_threshold, typical_width, widen
from digitlab.preprocess import bounding_box, ink_map

PAPER, INK = 0.9, 0.15


def table(height, width, level, seed=0):
    """A table top: `level` with a grain of +-10 %."""
    grain = np.random.default_rng(seed).uniform(0.9, 1.1, (height // 8 + 1, width // 8 + 1)).astype(np.float32)
    return level * np.asarray(Image.fromarray(grain, mode="F").resize((width, height), Image.BICUBIC), np.float32)


def fill(gray, x, y, w, h, value):
    gray[y:y + h, x:x + w] = value
    return gray


def test_a_sheet_lying_on_a_dark_table_is_dark_writing_on_the_sheet():
    gray = fill(table(240, 360, 0.2), 60, 50, 240, 140, PAPER)  # a dark border: it used to mean light ink
    fill(gray, 150, 80, 10, 70, INK)  # a stroke on the sheet
    sheet = find_sheet(gray)
    assert sheet is not None and sheet[80:150, 150:160].all() and not sheet[:40].any()
    ink = ink_map(gray)
    assert bounding_box(ink) == (150, 80, 10, 70)
    assert ink[:, :60].max() == 0 and ink[200:].max() == 0  # the table, and the sheet's edges, are no ink


def test_a_digit_with_a_blot_of_ink_on_a_sheet_is_writing_and_the_sheet_is_found():
    gray = fill(table(240, 360, 0.2), 60, 40, 240, 160, PAPER)
    fill(gray, 110, 70, 130, 10, INK)  # a 7's bar...
    yy, xx = np.mgrid[0:240, 0:360]
    gray[(np.abs(xx - 210 + 0.45 * (yy - 80)) < 6) & (yy >= 75) & (yy < 190)] = INK  # ...its leaning stem...
    gray[np.hypot(yy - 78, xx - 112) < 22] = INK  # ...and a blot where the pen started, as wide as 4 strokes
    assert find_sheet(gray) is not None  # judged by the blot's width, the 7 was too short to be strokes
    assert bounding_box(ink_map(gray)) == (91, 57, 149, 133)  # the 7, not the sheet's edges


def test_a_table_along_one_side_of_the_frame_is_not_ink():
    gray = fill(table(200, 300, 0.35), 30, 0, 270, 200, PAPER)  # the page runs off the frame but on the left
    fill(gray, 150, 60, 9, 80, INK)
    assert bounding_box(ink_map(gray)) == (150, 60, 9, 80)  # the step from table to paper is no stroke


def test_writing_near_the_sheets_edge_is_as_dark_as_in_its_middle():
    gray = fill(table(240, 360, 0.15), 40, 40, 280, 160, PAPER)
    fill(gray, 180, 80, 8, 80, INK)  # in the middle
    fill(gray, 48, 80, 8, 80, INK)  # near the edge, where the table darkens paper_level's closing
    ink = ink_map(gray)
    assert ink[120, 48:56].max() > 0.97 * ink[120, 180:188].max()


def test_the_soft_edge_of_a_shadow_is_no_edge_of_a_sheet():
    gray = np.tile(np.interp(np.arange(300), [0, 150, 210, 300], [PAPER, PAPER, 0.4, 0.4]).astype(np.float32), (200, 1))
    fill(gray, 60, 50, 10, 90, INK)  # writing only in the light: the shadow holds none to tell it by
    assert find_sheet(gray) is None


def test_a_page_whose_shadow_has_a_sharp_edge_is_no_sheet_on_a_table():
    gray = fill(np.full((200, 300), PAPER, np.float32), 180, 0, 120, 200, 0.5)  # the right part in a hard shadow
    fill(gray, 60, 50, 10, 90, INK)  # a stroke in the light...
    fill(gray, 230, 50, 10, 90, 0.08)  # ...and one in the shadow: the page goes on there
    assert find_sheet(gray) is None
    ink = ink_map(gray)
    assert ink[95, 60:70].min() > 0.5 and ink[95, 230:240].min() > 0.5


@pytest.mark.parametrize("size", [28, 200])
def test_a_bold_light_digit_on_a_dark_ground_is_no_sheet(size):
    yy, xx = np.mgrid[0:size, 0:size] / size
    radius = np.hypot((yy - 0.5) / 0.8, xx - 0.5)
    gray = ((radius > 0.1) & (radius < 0.3)).astype(np.float32)  # a fat white 0 with a small dark hole
    assert find_sheet(gray) is None  # so ink_map turns it over: the ring is the ink


def test_mnist_digits_light_on_dark_are_never_taken_for_a_sheet():
    from tests.sets.numbers import load_digits

    images, _ = load_digits("train")
    sample = images[::16] / 255.0  # 500 digits, as MNIST itself shows them
    assert sum(find_sheet(digit) is not None for digit in sample) <= 1  # a digit inked into a blob may be


def test_the_sheet_is_found_in_nearly_every_photo_of_one_on_a_table():
    from digitlab.data.images import decode_image
    from tests.sets.numbers import load_digits, numbers

    photos = numbers(load_digits("train"), 60, seed=11, style="desk", lengths=[1])  # grained wood, grey, black
    found = sum(find_sheet(decode_image(photo.data)[0]) is not None for photo in photos)
    assert found >= 55  # 53 when the edge's sharpness was measured unsmoothed: grain and noise made edges soft


def test_a_drawing_is_never_searched_for_a_sheet(monkeypatch):
    import digitlab.paper as paper

    monkeypatch.setattr(paper, "sheet_above", lambda *args: pytest.fail("no table along the frame to look for"))
    gray = fill(np.full((200, 300), 1.0, np.float32), 100, 40, 12, 120, 0.0)
    assert find_sheet(gray) is None


@pytest.mark.parametrize("size, side, fitted", [((30, 60), 20, (10, 20)), ((61, 40), 122, (122, 80)),
                                                ((1000, 10), 28, (28, 1)), ((7, 7), 3, (3, 3))])
def test_the_longer_side_is_brought_to_its_length_and_the_shape_kept(size, side, fitted):
    assert longer_side_to(size, side) == fitted


def test_otsu_splits_two_levels_between_them():
    values = np.concatenate([np.full(300, 0.2), np.full(700, 0.8)]) + np.random.default_rng(0).normal(0, 0.03, 1000)
    assert 0.3 < otsu_threshold(np.clip(values, 0, 1)) < 0.7


def test_between_fills_what_a_convex_outline_holds_and_nothing_outside():
    ring = np.zeros((9, 9), bool)
    ring[1:8, 1:8] = True
    ring[3:6, 3:6] = False  # writing on a sheet
    filled = between(ring)
    assert filled[1:8, 1:8].all() and filled.sum() == 49


def test_numbers_cut_out_close_are_seldom_taken_for_a_sheet_on_a_table():
    from tests.sets.numbers import numbers

    found = 0
    for number in numbers("test", 100, seed=12, style="clean"):
        gray = np.asarray(number.cut_close().image(), np.float32) / 255.0
        found += find_sheet(gray) is not None
    assert found <= 2  # a digit against the frame was a strip of table, and lost, in 9 of 100


def test_a_strokes_typical_width_is_its_width_even_where_it_ends_in_a_blot():
    mask = np.zeros((60, 60), bool)
    mask[10:50, 20:25] = True  # five pixels wide
    assert 4.5 <= typical_width(mask) <= 5.5
    mask[40:53, 16:29] = True  # a blot 13 wide at its foot, a fifth of its ink
    assert typical_width(mask) <= 7.5
    assert typical_width(np.ones((5, 7), bool)) == 7  # all of it: it never narrows, and the answer is bounded


@pytest.mark.parametrize("reach", [1, 2])
def test_widening_grows_every_pixel_into_its_square_even_at_the_frame(reach):
    mask = np.zeros((9, 11), bool)
    mask[0, 0] = mask[4, 5] = mask[8, 10] = True  # two corners and a middle pixel
    expected = np.zeros_like(mask)
    for y, x in zip(*np.nonzero(mask)):
        expected[max(0, y - reach):y + reach + 1, max(0, x - reach):x + reach + 1] = True
    assert (widen(mask, reach) == expected).all()  # reach 1 is shifted, reach 2 summed in windows: the same squares
