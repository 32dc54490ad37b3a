"""MNIST-style normalisation on hand-made grayscale images whose answer is known."""
import numpy as np
import pytest

from digitlab.errors import EmptyImageError
from digitlab.preprocess import BOX, INK_THRESHOLD, SIZE, bounding_box, centre_of_mass, ink_map, normalise

PAPER, INK = 1.0, 0.0


def sheet(height, width, value=PAPER):
    return np.full((height, width), value, np.float32)


def draw(gray, x, y, w, h, value=INK):
    gray[y:y + h, x:x + w] = value
    return gray


def extent(digit, level=0.5):
    """(width, height) of the region where the digit is darker than `level`."""
    rows = np.flatnonzero((digit > level).any(axis=1))
    cols = np.flatnonzero((digit > level).any(axis=0))
    return cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1


def l_shape(height, width, x, y):
    """An off-centre, lopsided stroke: a long upright and a short foot."""
    gray = sheet(height, width)
    draw(gray, x, y, 6, 40)
    return draw(gray, x, y + 34, 25, 6)


def test_output_is_28x28_float32_in_unit_range():
    digit, _ = normalise(l_shape(90, 70, 10, 20))
    assert digit.shape == (SIZE, SIZE)
    assert digit.dtype == np.float32
    assert digit.min() >= 0.0 and digit.max() <= 1.0
    assert digit.max() > 0.9  # the stroke is there at full strength


@pytest.mark.parametrize("ink, paper", [(0.0, 1.0), (0.2, 0.9)])
def test_dark_on_light_and_light_on_dark_give_the_same_digit(ink, paper):
    dark_on_light = draw(sheet(80, 100, paper), 30, 15, 12, 45, ink)
    draw(dark_on_light, 30, 15, 35, 8, ink)
    light_on_dark = 1.0 - dark_on_light
    digit_a, box_a = normalise(dark_on_light)
    digit_b, box_b = normalise(light_on_dark)
    assert box_a == box_b
    np.testing.assert_allclose(digit_a, digit_b, atol=1e-6)
    assert digit_a.sum() > 10  # ink, not background, was kept


def test_bounding_box_is_tight_around_a_drawn_rectangle():
    gray = draw(sheet(80, 100), 17, 23, 31, 12)
    _, box = normalise(gray)
    assert box == (17, 23, 31, 12)


def test_bounding_box_ignores_a_faint_halo_below_the_threshold():
    gray = draw(sheet(80, 100), 15, 21, 35, 16, value=0.9)  # ink strength 0.1 of the peak
    draw(gray, 17, 23, 31, 12)
    assert bounding_box(ink_map(gray)) == (17, 23, 31, 12)


@pytest.mark.parametrize("w, h, expected", [
    (40, 10, (20, 5)),   # wide bar, scaled down
    (10, 40, (5, 20)),   # tall bar, scaled down
    (36, 12, (20, 7)),   # non-integer scale: 12 * 20 / 36 = 6.67 -> 7
    (8, 4, (20, 10)),    # small mark, scaled up
])
def test_longer_side_becomes_20_px_keeping_the_aspect_ratio(w, h, expected):
    gray = draw(sheet(100, 100), 30, 40, w, h)
    digit, _ = normalise(gray)
    assert max(expected) == BOX
    assert extent(digit) == expected


@pytest.mark.parametrize("x, y", [(2, 3), (40, 45), (5, 50)])
def test_centre_of_mass_lands_on_the_centre_for_off_centre_digits(x, y):
    digit, _ = normalise(l_shape(100, 80, x, y))
    row, col = centre_of_mass(digit)
    assert abs(row - SIZE / 2) <= 0.5
    assert abs(col - SIZE / 2) <= 0.5


def test_centre_of_mass_of_a_lopsided_digit_is_not_its_box_centre():
    digit, _ = normalise(l_shape(100, 80, 20, 20))
    cols = np.flatnonzero((digit > 0.05).any(axis=0))
    box_centre_col = (cols[0] + cols[-1]) / 2.0
    _, col = centre_of_mass(digit)
    assert abs(col - SIZE / 2) <= 0.5
    assert box_centre_col > SIZE / 2 + 1  # placed by mass, so the long foot sticks out right


@pytest.mark.parametrize("gray", [
    sheet(50, 60),
    sheet(50, 60, 0.0),
    sheet(50, 60, 0.6),
], ids=["white", "black", "gray"])
def test_blank_image_is_refused(gray):
    with pytest.raises(EmptyImageError, match="blank"):
        normalise(gray)


@pytest.mark.parametrize("shape", [(0, 0), (0, 40), (40, 0)])
def test_an_image_of_no_pixels_is_refused(shape):
    with pytest.raises(EmptyImageError, match="empty"):
        normalise(np.zeros(shape, np.float32))


def test_faint_noise_alone_is_refused():
    rng = np.random.default_rng(0)
    gray = (PAPER - 0.08 * rng.random((60, 60))).astype(np.float32)  # paper texture, no stroke
    with pytest.raises(EmptyImageError):
        normalise(gray)


def test_a_stroke_on_the_same_faint_noise_is_found():
    rng = np.random.default_rng(0)
    gray = (PAPER - 0.08 * rng.random((60, 60))).astype(np.float32)
    _, box = normalise(draw(gray, 20, 10, 6, 30))
    assert box == (20, 10, 6, 30)


def test_a_light_gradient_across_the_paper_is_not_ink():
    from digitlab.segment import find_digits

    gray = np.tile(np.linspace(1.0, 0.45, 300, dtype=np.float32), (120, 1))  # paper from white to grey
    draw(gray, 200, 20, 12, 80, 0.15)  # a stroke in the shadowed part, darker than its own paper
    ink = ink_map(gray)
    assert bounding_box(ink) == (200, 20, 12, 80)
    digits, _ = find_digits(ink, lambda batch: np.full((len(batch), 10), 0.1))
    assert [d.box for d in digits] == [(200, 20, 12, 80)]


@pytest.mark.parametrize("paper, ink", [(1.0, 0.0), (0.0, 1.0)], ids=["dark on light", "light on dark, as MNIST"])
def test_a_bold_stroke_cut_out_close_on_even_paper_is_ink_through_and_through(paper, ink):
    gray = draw(sheet(28, 28, paper), 9, 4, 7, 20, ink)  # 7 px wide: wider than the paper estimate's filter there
    gray[4:24, 9] = gray[4:24, 15] = (paper + ink) / 2  # anti-aliased edges
    ink = ink_map(gray)
    assert ink[4:24, 10:15].min() == 1.0 and np.allclose(ink[4:24, [9, 15]], 0.5, atol=0.05)  # its edges as soft


def test_a_bold_ring_cut_out_close_is_ink_through_and_through_though_it_crosses_the_border():
    yy, xx = np.mgrid[0:28, 0:28]
    radius = np.hypot(yy - 13.5, xx - 13.5)
    gray = np.where((radius > 6.5) & (radius < 14.5), 0.0, 1.0).astype(np.float32)  # a third of the border is ink:
    ink = ink_map(gray)  # not even paper, yet paper (its bold strokes lost their middles)
    assert ink[(radius > 8.5) & (radius < 12.5)].min() == 1.0


def test_mnists_own_digits_come_through_the_ink_map_as_they_are():
    """Light on dark, filling a 28x28 picture, bold strokes and soft edges: the ink map is the digit
    (but for what ink_map drops as too faint to be writing). Its bold strokes lost their middles, and
    thin ones their soft edges, when the paper under them was estimated as under a photo's."""
    from tests.sets.numbers import load_digits

    images, _ = load_digits("train")
    for digit in images[::16] / 255.0:  # 500 digits
        expected = np.where(digit >= INK_THRESHOLD / 2, digit / digit.max(), 0)
        assert np.abs(ink_map(digit.astype(np.float32)) - expected).sum() < 0.02 * expected.sum()


def test_a_faint_patch_beside_writing_that_fills_even_paper_is_not_ink():
    gray = draw(sheet(120, 120, 0.95), 20, 45, 30, 30, 0.7)  # a shadow, or a sticker darker than the paper
    draw(gray, 70, 5, 12, 110, 0.1)  # a stroke filling the picture: the paper is estimated again, wider
    ink = ink_map(gray)
    assert bounding_box(ink) == (70, 5, 12, 110) and ink[5:115, 70:82].min() == 1.0


def lit(gray, columns, bright, dim):
    """The light across the sheet: `bright` left of `columns` (start, end), `dim` right of them, a
    penumbra between (a shadow's edge is soft in any photo)."""
    start, end = columns
    gray[:, :start] = bright
    gray[:, start:end] = np.linspace(bright, dim, end - start, dtype=np.float32)
    gray[:, end:] = dim
    return gray


def test_the_edge_of_a_shadow_is_not_ink():
    gray = lit(sheet(200, 300), (135, 150), 0.9, 0.5)  # a shadow over the right half, 45 % darker
    draw(gray, 60, 50, 10, 90, 0.1)  # a stroke in the light
    draw(gray, 220, 50, 10, 90, 0.05)  # and one in the shadow
    ink = ink_map(gray)
    assert (ink[:, 71:215] == 0).all()  # nothing between the two strokes, the shadow's edge included
    assert ink[95, 60:70].min() > 0.5 and ink[95, 220:230].min() > 0.5


def test_grey_paper_in_a_dim_photo_is_still_paper():
    gray = lit(sheet(120, 100), (25, 35), 0.8, 0.45)  # under a shadow but for a strip: a border darker than mid-grey
    draw(gray, 50, 20, 8, 80, 0.15)  # dark ink
    assert bounding_box(ink_map(gray)) == (50, 20, 8, 80)
