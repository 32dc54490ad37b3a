"""Segmentation on hand-made ink maps whose digits and boxes are known, and on composed MNIST numbers."""
import os
from collections import deque

import numpy as np
import pytest

from digitlab.cli import DEFAULT_MODEL
from digitlab.errors import EmptyImageError
from digitlab.segment import MAX_DIGITS, find_digits
from digitlab.segment.components import Components
from digitlab.segment.layout import Mark, line_marks, line_tilt
from PIL import Image
from digitlab.segment.split import best_pieces, cut_candidates, outline_valleys


def flood_labels(mask):
    """A plain breadth-first 8-connected labelling, to check ours against."""
    labels = -np.ones(mask.shape, int)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if labels[start] >= 0:
            continue
        labels[start] = count
        queue = deque([start])
        while queue:
            y, x = queue.popleft()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and labels[ny, nx] < 0:
                        labels[ny, nx] = count
                        queue.append((ny, nx))
        count += 1
    return labels, count


@pytest.mark.parametrize("density", [0.1, 0.35, 0.6])
def test_components_match_a_flood_fill_on_random_masks(density):
    mask = np.random.default_rng(int(density * 100)).random((40, 57)) < density
    expected, count = flood_labels(mask)
    found = Components(mask)
    labels = found.label_image()
    assert found.count == count
    # The same partition: a one-to-one map between the two numberings.
    pairs = set(zip(labels[mask], expected[mask]))
    assert len(pairs) == count
    assert (labels[~mask] == -1).all()
    for k in range(found.count):
        ys, xs = np.nonzero(labels == k)
        assert tuple(found.boxes[k]) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert found.areas[k] == len(xs)


def test_diagonal_neighbours_are_one_component_and_a_blank_mask_has_none():
    mask = np.eye(6, dtype=bool)
    assert Components(mask).count == 1
    assert Components(np.zeros((5, 5), bool)).count == 0


def sheet(width=400, height=120):
    return np.zeros((height, width), np.float32)


def bar(ink, x, y, w, h):
    ink[y:y + h, x:x + w] = 1.0
    return ink


def marks_of(ink):
    marks, height = line_marks(Components(ink >= 0.25))
    return [m.box for m in marks], height


def test_marks_come_in_reading_order_with_their_boxes():
    ink = sheet()
    for x in (300, 20, 160):
        bar(ink, x, 20, 12, 80)
    boxes, height = marks_of(ink)
    assert boxes == [(20, 20, 32, 100), (160, 20, 172, 100), (300, 20, 312, 100)]
    assert height == 80


def test_a_cap_and_a_broken_off_piece_join_their_digit():
    ink = sheet()
    bar(ink, 20, 40, 40, 60)  # a body...
    bar(ink, 50, 28, 40, 8)  # ...and its cap, up and to the right, columns barely overlapping
    bar(ink, 200, 20, 30, 50)  # a digit broken in two: the upper half...
    bar(ink, 205, 75, 20, 25)  # ...and the lower, a gap of 5 px
    boxes, _ = marks_of(ink)
    assert boxes == [(20, 28, 90, 100), (200, 20, 230, 100)]


def test_a_digit_broken_into_stacked_halves_is_one_mark():
    ink = sheet(400, 160)
    bar(ink, 40, 20, 40, 55)  # the top of a broken 3...
    bar(ink, 38, 78, 44, 60)  # ...and its bottom, on the same columns, 3 rows lower: each is as tall as the line
    boxes, _ = marks_of(ink)
    assert boxes == [(38, 20, 82, 138)]


def test_neighbours_on_the_same_rows_are_not_stacked():
    ink = sheet(400, 160)
    bar(ink, 40, 20, 40, 55)  # the top of a broken 3...
    bar(ink, 38, 78, 44, 60)  # ...and its bottom
    bar(ink, 150, 20, 40, 118)  # a whole digit beside it
    bar(ink, 200, 20, 60, 12)  # a 7's long bar...
    bar(ink, 252, 20, 8, 118)  # ...on its stem...
    bar(ink, 235, 40, 10, 98)  # ...reaches over the 1 beside it, on the same rows
    boxes, _ = marks_of(ink)
    assert boxes == [(38, 20, 82, 138), (150, 20, 190, 138), (200, 20, 260, 138), (235, 40, 245, 138)]


def test_ink_drawn_inside_a_mark_is_part_of_it_but_a_speck_there_is_not():
    ink = sheet(300, 200)
    bar(ink, 40, 30, 140, 10), bar(ink, 40, 160, 140, 10)  # a face's outline...
    bar(ink, 40, 30, 10, 140), bar(ink, 170, 30, 10, 140)
    bar(ink, 80, 70, 14, 16), bar(ink, 126, 70, 14, 16)  # ...its eyes...
    bar(ink, 80, 120, 60, 8)  # ...and mouth
    bar(ink, 105, 100, 3, 3)  # a speck of dirt on its nose
    marks, _ = line_marks(Components(ink >= 0.25))
    assert [m.box for m in marks] == [(40, 30, 180, 170)]
    assert len(marks[0].ids) == 4  # the outline, two eyes and the mouth: not the speck
    seen = []
    digits, _ = find_digits(ink, lambda batch: seen.append(batch) or np.full((len(batch), 10), 0.1))
    assert len(digits) == 1 and seen[0][0, 10:20, 10:20].max() > 0.5  # the classifier sees the face's inside


def test_several_lines_of_writing_are_no_number():
    ink = sheet(400, 300)
    for row in (20, 120, 220):  # three lines of three marks: a page of text
        for x in (40, 140, 240):
            bar(ink, x, row + x // 20, 12, 60)  # each line a little slanted
    with pytest.raises(EmptyImageError, match="several lines"):
        find_digits(ink, lambda batch: np.full((len(batch), 10), 0.1))
    one_line = sheet(400, 300)
    for x, y in ((40, 100), (140, 118), (240, 96), (340, 112)):  # one line, its baseline wandering
        bar(one_line, x, y, 12, 60)
    bar(one_line, 300, 20, 10, 10), bar(one_line, 100, 250, 12, 12)  # and specks above and below
    digits, _ = find_digits(one_line, lambda batch: np.full((len(batch), 10), 0.1))
    assert len(digits) == 4


def test_faint_marks_along_a_sheets_edge_are_no_second_line():
    ink = sheet(500, 200)
    for x in (40, 140, 240):
        bar(ink, x, 20, 30, 80)
    ink[170:200, 60:140] = 0.3  # a light table's grain seen along the sheet's bottom edge, in two streaks
    ink[185:200, 160:200] = 0.3
    digits, _ = find_digits(ink, bar_classifier)
    assert [d.box for d in digits] == [(40, 20, 30, 80), (140, 20, 30, 80), (240, 20, 30, 80)]


def test_a_column_of_digits_one_a_line_is_no_number():
    column = sheet(200, 400)
    for y, x in ((20, 60), (140, 70), (260, 64)):  # three answers one below the other, a little out of true
        bar(column, x, y, 40, 90)
    with pytest.raises(EmptyImageError, match="several lines"):
        find_digits(column, lambda batch: np.full((len(batch), 10), 0.1))
    stepping = sheet(400, 400)
    for x, y in ((20, 100), (120, 180), (220, 260)):  # whole digits each lower than the last, none over another
        bar(stepping, x, y, 40, 90)
    bar(stepping, 230, 10, 20, 40)  # and a small mark far above the last (a tick): no whole digit, so no column
    digits, _ = find_digits(stepping, lambda batch: np.full((len(batch), 10), 0.1))
    assert len(digits) == 4  # one line: the tick is read with the digits, as any mark is


def test_specks_and_an_underline_are_dropped():
    ink = sheet(500, 160)
    for x in (40, 140, 240):
        bar(ink, x, 20, 30, 80)
    bar(ink, 20, 120, 300, 6)  # the underline
    for x, y in ((100, 5), (400, 60), (450, 140)):
        bar(ink, x, y, 3, 3)  # dust
    boxes, _ = marks_of(ink)
    assert boxes == [(40, 20, 70, 100), (140, 20, 170, 100), (240, 20, 270, 100)]


def touching_bars(ink, count, x=40, y=20, height=80):
    """`count` upright bars 16 px wide, 30 apart, joined by a bar across their middles: one component,
    as a marker's run of touching digits is."""
    for k in range(count):
        bar(ink, x + 30 * k, y, 16, height)
    return bar(ink, x, y + height // 2 - 3, 30 * (count - 1) + 16, 6)


def test_a_row_of_touching_digits_as_long_as_a_rule_is_kept_but_a_band_as_tall_is_not():
    row = touching_bars(sheet(400, 120), 10)  # 286 x 80: as long and thin as an underline
    assert marks_of(row)[0] == [(40, 20, 326, 100)]  # but its rows cross its ink ten times
    band = bar(sheet(400, 120), 40, 20, 286, 80)  # a shadow's band or a sheet's edge: crossed once
    assert marks_of(band)[0] == []
    grain = touching_bars(sheet(400, 120), 10, y=0)  # a table's grain along the photo's edge
    assert marks_of(grain)[0] == []
    with_digits = bar(bar(sheet(400, 240), 40, 20, 30, 80), 140, 20, 30, 80)
    assert marks_of(bar(with_digits, 20, 130, 300, 30))[0] == [(40, 20, 70, 100), (140, 20, 170, 100)]  # a bar under them

def test_a_notebooks_margin_line_is_dropped_but_a_tall_one_is_not():
    ink = sheet(500, 250)
    bar(ink, 30, 0, 4, 250)  # the margin, down the whole page
    for x in (120, 220, 320):
        bar(ink, x, 80, 30, 90)
    boxes, _ = marks_of(ink)
    assert boxes == [(120, 80, 150, 170), (220, 80, 250, 170), (320, 80, 350, 170)]
    one = sheet(120, 250)
    bar(one, 50, 10, 12, 230)  # a 1 alone, as tall as the picture
    assert marks_of(one)[0] == [(50, 10, 62, 240)]
    tall_one = sheet(400, 250)
    bar(tall_one, 60, 80, 30, 90)
    bar(tall_one, 140, 50, 10, 150)  # a 1 written taller than its small neighbours
    bar(tall_one, 200, 80, 30, 90)
    assert marks_of(tall_one) == ([(60, 80, 90, 170), (140, 50, 150, 200), (200, 80, 230, 170)], 90)
    bar(tall_one, 300, 50, 3, 150)  # but a hairline as tall is a margin
    assert marks_of(tall_one)[0] == [(60, 80, 90, 170), (140, 50, 150, 200), (200, 80, 230, 170)]


def test_the_dashes_of_a_broken_ruled_line_are_dropped_but_a_flat_stroke_is_not():
    ink = sheet(300, 250)
    bar(ink, 120, 80, 30, 90)  # a digit alone on the page
    bar(ink, 20, 60, 50, 2), bar(ink, 200, 180, 60, 2)  # what the light left of the ruled lines
    assert marks_of(ink)[0] == [(120, 80, 150, 170)]
    bar(ink, 200, 20, 60, 10)  # a stroke as thick as the digit's (a minus, a 7's bar)
    assert marks_of(ink)[0] == [(120, 80, 150, 170), (200, 20, 260, 30)]


def test_a_margin_line_broken_into_dashes_is_dropped_but_digits_one_below_the_other_are_not():
    ink = sheet(300, 250)
    bar(ink, 120, 80, 30, 90)  # a digit alone on the page
    for x, y in ((20, 0), (40, 80), (60, 160)):
        bar(ink, x, y, 3, 60)  # a margin on a page turned 14 degrees, faded in two places
    assert marks_of(ink)[0] == [(120, 80, 150, 170)]
    column = sheet(300, 300)
    bar(column, 120, 110, 30, 90)
    for x, y in ((20, 0), (24, 100), (28, 200)):
        bar(column, x, y, 10, 70)  # 1s written one below the other, as thick as the digit's strokes
    assert len(marks_of(column)[0]) == 4


def test_a_ring_drawn_round_a_number_is_no_part_of_it():
    from PIL import ImageDraw

    picture = Image.new("L", (600, 300), 0)
    ImageDraw.Draw(picture).ellipse((60, 20, 540, 280), outline=255, width=4)  # the answer, circled
    ink = np.asarray(picture, np.float32) / 255
    for x in (200, 290, 380):
        bar(ink, x, 90, 25, 120)
    digits, _ = find_digits(ink, lambda batch: np.full((len(batch), 10), 0.1))
    assert [d.box for d in digits] == [(200, 90, 25, 120), (290, 90, 25, 120), (380, 90, 25, 120)]


@pytest.mark.parametrize("turn", [0, 8])
def test_a_printed_box_round_a_number_is_no_part_of_it(turn):
    from PIL import ImageDraw

    picture = Image.new("L", (600, 300), 0)
    angle, middle = np.radians(turn), np.array([300, 150])
    turning = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = [tuple(middle + turning @ (np.array(c) - middle)) for c in ((40, 40), (560, 40), (560, 260), (40, 260), (40, 40))]
    ImageDraw.Draw(picture).line(corners, fill=255, width=3)  # a worksheet's answer box, turned as a photo may be
    ink = np.asarray(picture, np.float32) / 255
    for x in (150, 260, 370):
        bar(ink, x, 90, 30, 120)
    digits, _ = find_digits(ink, lambda batch: np.full((len(batch), 10), 0.1))
    assert [d.box for d in digits] == [(150, 90, 30, 120), (260, 90, 30, 120), (370, 90, 30, 120)]


def test_an_outline_has_no_ink_in_its_middle():
    from PIL import ImageDraw
    from digitlab.segment.outlines import outlines

    picture = Image.new("L", (400, 300), 0)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((20, 20, 380, 280), outline=255, width=3)
    draw.rectangle((280, 40, 320, 140), fill=255)  # writing in it, its own component (clear of the cross below)
    crossed = picture.copy()
    ImageDraw.Draw(crossed).line((20, 20, 380, 280), fill=255, width=3)  # the box crossed out
    for image, found in ((picture, [0]), (crossed, [])):
        components = Components(np.asarray(image) > 64)
        assert outlines(components, components.label_image()) == found


def test_thinnest_columns_are_the_candidate_cuts():
    profile = [5, 5, 5, 5, 1, 5, 5, 5, 0, 5, 5, 5, 5]
    ink = np.array([[1.0 if row < inked else 0.0 for inked in profile] for row in range(10)])  # (10, 13)
    assert cut_candidates(ink, height=10) == [4, 8]


def test_the_outlines_notches_are_found_where_two_digits_meet():
    from PIL import ImageDraw
    picture = Image.new("L", (50, 40), 0)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((2, 0, 9, 39), fill=255)  # a 1...
    draw.ellipse((10, 2, 47, 37), outline=255, width=4)  # ...against a 0's side, at column 10
    inked = np.asarray(picture) > 127  # (40, 50)
    assert list(outline_valleys(inked, np.arange(5, 45), height=40)) == [10, 10]  # from above, from below


def test_a_notch_is_a_candidate_cut_where_no_column_is_thin():
    ink = np.zeros((40, 41))
    ink[:21] = 1.0  # a band of ink 21 rows deep...
    ink[:, 20] = 0.0
    ink[15:36, 20] = 1.0  # ...notched from above at column 20, as deep there as anywhere
    for thin in (5, 30, 35):
        ink[5:21, thin] = 0.0  # three thin columns take the thinnest-column slots (3 for this width)
    assert cut_candidates(ink, height=40) == [5, 20, 30, 35]
    assert cut_candidates(ink, height=40, notches=False) == [5, 30, 35]


def test_a_mark_alone_is_not_cut_at_its_notches(monkeypatch):
    import digitlab.segment as segment
    asked = []

    def spy(ink, height, notches=True):
        asked.append(notches)
        return cut_candidates(ink, height, notches)

    monkeypatch.setattr(segment, "cut_candidates", spy)
    ink = bar(sheet(), 150, 20, 100, 80)  # a wide mark: cuts are looked for
    find_digits(ink.copy(), bar_classifier)
    assert asked == [False]  # a W's middle notch cuts it into a sure 4 and 1
    bar(ink, 40, 20, 25, 80)  # the same with a digit beside it
    find_digits(ink, bar_classifier)
    assert len(asked) > 1 and all(asked[1:])


def test_best_pieces_takes_the_highest_scoring_chain():
    pieces = [(0, 10), (0, 4), (4, 10), (0, 6), (6, 10)]
    scores = [-3.0, -0.5, -0.5, -0.1, -2.0]
    assert best_pieces(10, pieces, scores) == [(0, 4), (4, 10)]
    assert best_pieces(10, [(0, 4)], [0.0]) is None


def sure_up_to(widest):
    """A stand-in classifier sure of ink at most `widest` times as wide as it is tall, and unsure of wider ink."""
    def classify(batch):
        probs = []
        for digit in batch:
            rows, cols = np.nonzero(digit > 0.5 * digit.max())
            narrow = np.ptp(cols) <= widest * np.ptp(rows)
            p = np.full(10, 0.0001 if narrow else 0.1)
            p[1] = 0.9991 if narrow else 0.1
            probs.append(p)
        return np.array(probs)
    return classify


bar_classifier = sure_up_to(1.0)  # sure of upright bars


def test_digits_whose_boxes_abut_come_out_separate():
    ink = sheet()
    bar(ink, 50, 20, 20, 40)
    bar(ink, 70, 62, 20, 38)  # starts in the column after the first ends, two rows lower
    digits, note = find_digits(ink, bar_classifier)
    assert [d.box for d in digits] == [(50, 20, 20, 40), (70, 62, 20, 38)]
    assert note is None


def test_touching_digits_are_cut_where_the_pieces_read_best():
    ink = sheet()
    bar(ink, 50, 20, 50, 80)
    bar(ink, 100, 55, 1, 6)  # the ink that touches
    bar(ink, 101, 20, 50, 80)
    digits, _ = find_digits(ink, bar_classifier)
    left, right = [d.box for d in digits]
    assert left == (50, 20, 50, 80)
    assert right in [(100, 20, 51, 80), (101, 20, 50, 80)]  # the cut is at the touching column


def test_a_faint_mark_beside_written_ones_is_a_shadow_not_a_digit():
    ink = sheet(500, 160)
    for x in (40, 140, 240):
        bar(ink, x, 20, 30, 80)
    ink[30:90, 330:350] = 0.4  # the edge of a shadow: as big as a digit, but not as dark
    digits, _ = find_digits(ink, bar_classifier)
    assert [d.box for d in digits] == [(40, 20, 30, 80), (140, 20, 30, 80), (240, 20, 30, 80)]
    alone = sheet(500, 160)
    alone[30:90, 330:350] = 0.4  # by itself, the same mark is all there is to read
    assert [d.box for d in find_digits(alone, bar_classifier)[0]] == [(330, 30, 20, 60)]


def test_a_grey_patch_with_a_dark_speck_is_no_digit_but_a_digit_written_lighter_is():
    ink = sheet(500, 160)
    bar(ink, 40, 20, 30, 80)  # a digit
    ink[30:90, 120:126] = 0.7  # a thin one written lighter: its core 0.7 of the first's
    ink[20:100, 300:360] = 0.35  # a patch of shadow as big as a digit...
    ink[50:52, 320:322] = 0.9  # ...with a speck as dark as the pen: its strongest ink is no fainter than theirs
    digits, _ = find_digits(ink, bar_classifier)
    assert [d.box for d in digits] == [(40, 20, 30, 80), (120, 30, 6, 60)]


def lean(image):
    """Degrees from upright of the ink's long axis in an (H, W) image (its second moments)."""
    rows, cols = np.indices(image.shape)
    total = image.sum()
    dy, dx = rows - (rows * image).sum() / total, cols - (cols * image).sum() / total
    yy, xx, xy = (image * dy * dy).sum(), (image * dx * dx).sum(), (image * dx * dy).sum()
    return float(np.degrees(0.5 * np.arctan2(2 * xy, yy - xx)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])  # an ink map of a caller's own may be float64
def test_the_digits_of_a_line_photographed_askew_are_turned_level_before_they_are_read(dtype):
    ink = sheet(600, 300)
    for x in (150, 270, 390):
        bar(ink, x, 90, 16, 120)  # three upright 1s on a level line
    askew = np.asarray(Image.fromarray(ink, mode="F").rotate(8, Image.BILINEAR)).astype(dtype)  # the page turned 8 degrees
    seen = []
    digits, _ = find_digits(askew, lambda batch: seen.extend(batch) or bar_classifier(batch))
    assert len(digits) == 3
    assert all(abs(lean(image)) < 1.5 for image in seen), [lean(image) for image in seen]
    assert marks_of(askew)[0][0][1] > marks_of(askew)[0][2][1]  # the boxes stay where the ink is: rising


def test_hairlines_photographed_askew_are_read_as_they_stand_when_turning_would_lose_them():
    ink = sheet(3000, 1400)
    for x in (500, 1300, 2100):
        ink[200:1000, x] = 1.0  # three 1s a pixel wide and 800 high: shrunk to turn, they fade away
    askew = np.asarray(Image.fromarray(ink, mode="F").rotate(8, Image.BILINEAR))
    digits, _ = find_digits(askew, bar_classifier)
    assert len(digits) == 3


def test_a_tilt_is_measured_on_three_marks_or_more_and_up_to_twenty_degrees():
    def tilt_of(middles, side=20):
        return line_tilt([Mark([i], (x - side, y - side, x + side, y + side), 1, 1) for i, (x, y) in enumerate(middles)])

    assert tilt_of([(100, 100), (200, 110), (300, 120)]) == pytest.approx(np.degrees(np.arctan(0.1)))
    one_high = [(100, 100), (200, 110), (300, 120), (400, 130), (500, 60)]  # a 7 written high, say
    assert tilt_of(one_high) == pytest.approx(np.degrees(np.arctan(0.1)))
    assert tilt_of([(100, 100), (200, 110)]) == 0  # two digits' middles differ by their own height
    assert tilt_of([(100, 100), (200, 101), (300, 102)]) == 0  # under 2 degrees: level enough
    assert tilt_of([(100, 100), (200, 150), (300, 200)]) == 0  # 27 degrees: no line of writing


def test_a_blank_map_has_no_digit():
    with pytest.raises(EmptyImageError):
        find_digits(sheet(), bar_classifier)


def test_a_line_longer_than_the_cap_is_cut_off_with_a_note():
    ink = sheet(45 * 20 + 20, 60)
    for i in range(45):
        bar(ink, 10 + 20 * i, 10, 6, 40)
    digits, note = find_digits(ink, bar_classifier)
    assert len(digits) == MAX_DIGITS
    assert [d.box[0] for d in digits] == [10 + 20 * i for i in range(MAX_DIGITS)]
    assert note == "There is more here than a number of %d digits: the rest is not read." % MAX_DIGITS


def test_faint_marks_cost_a_long_line_no_digit_and_the_marks_past_the_cap_are_said():
    ink = sheet(45 * 20 + 20, 60)
    for i in range(45):
        bar(ink, 10 + 20 * i, 10, 6, 40)
    ink[:, :70] *= 0.3  # the first three bars: far fainter than the line's others, no writing
    digits, note = find_digits(ink, bar_classifier)
    assert [d.box[0] for d in digits] == [10 + 20 * i for i in range(3, 3 + MAX_DIGITS)]
    assert "the rest is not read" in note


def test_noise_gives_a_bounded_answer():
    noise = (np.random.default_rng(0).random((768, 1024)) < 0.3).astype(np.float32)
    digits, note = find_digits(noise, bar_classifier)
    assert len(digits) <= MAX_DIGITS and "the rest is not read" in note


@pytest.fixture(scope="module")
def default_model():
    from digitlab.model_file import load_model
    path = os.path.join(os.path.dirname(__file__), "..", "..", DEFAULT_MODEL)
    if not os.path.exists(path):
        pytest.skip("no built default model: run `python build.py`")
    with open(path, "rb") as f:
        return load_model(f.read())


def counted_and_exact(model, sample):
    """How many of the composed numbers `sample` the model reads with the right number of digits, and
    how many exactly: each picture read once."""
    from digitlab.recognise import recognise_image

    readings = [recognise_image(model, n.data) for n in sample]
    return (sum(len(reading["digits"]) == len(n.text) for reading, n in zip(readings, sample)),
            sum(reading["text"] == n.text for reading, n in zip(readings, sample)))


def test_composed_test_numbers_are_read_with_the_default_model(default_model):
    from tests.sets.numbers import numbers

    sample = numbers("test", 60, seed=5)
    counted, exact = counted_and_exact(default_model, sample)
    assert counted >= 0.93 * len(sample)  # segmentation: the right number of digits
    assert exact >= 0.85 * len(sample)  # and every digit read right (the classifier's errors count here)


@pytest.mark.parametrize("style", ["lined", "notebook"])
def test_numbers_photographed_on_a_ruled_or_squared_page_are_read_past_its_lines(default_model, style):
    from tests.sets.numbers import numbers

    sample = numbers("test", 60, seed=6, style=style, lengths=range(2, 7))  # a notebook's has a margin line too
    counted, exact = counted_and_exact(default_model, sample)
    assert counted >= 0.93 * len(sample)  # the lines crossing the digits join none of them, nor count as one
    assert exact >= 0.8 * len(sample)


def test_a_digit_alone_on_an_exercise_book_page_is_read_past_its_margin_line(default_model):
    from tests.sets.numbers import numbers

    sample = numbers("test", 120, seed=8, style="notebook", lengths=[1])
    counted, exact = counted_and_exact(default_model, sample)
    assert counted >= 0.93 * len(sample)  # the margin, whole or in dashes, is no 1 beside the digit
    assert exact >= 0.9 * len(sample)


def test_numbers_photographed_on_a_sheet_lying_on_a_table_are_read(default_model):
    from tests.sets.numbers import numbers

    sample = numbers("test", 60, seed=7, style="desk", lengths=range(2, 7))
    counted, exact = counted_and_exact(default_model, sample)
    assert counted >= 0.85 * len(sample)  # the table is no ink, the sheet's edge no digit...
    assert exact >= 0.75 * len(sample)  # ...and a dark table all round does not turn the ink over


def test_a_digit_on_a_sheet_lying_on_a_light_desk_is_read_past_the_shadows_on_it(default_model):
    from tests.sets.numbers import numbers

    sample = numbers("test", 80, seed=9, style="light desk", lengths=[1])
    counted, exact = counted_and_exact(default_model, sample)
    assert counted >= 76  # grey patches of shadow are no digits beside it (63 of 80 were one digit without GREY, 79 are)...
    assert exact >= 71  # ...and the digit is read (60 read right while the patches were digits)


def test_bold_digits_cut_out_close_are_read(default_model):
    from digitlab.recognise import recognise_image
    from tests.sets.numbers import numbers

    right = 0
    sample = numbers("test", 60, seed=13, style="thick", lengths=[1])
    for digit in sample:
        right += recognise_image(default_model, digit.cut_close().data)["text"] == digit.text
    assert right >= 0.85 * len(sample)  # their ink crosses the border: their strokes were hollow, and 29 read right


def test_a_flat_tail_is_never_cut_off_as_a_digit_of_its_own():
    def sure_of_parts(batch):  # sure of anything but ink wider than tall and not flat: it would cut the tail
        probs = []
        for digit in batch:
            rows, cols = np.nonzero(digit > 0.5 * digit.max())
            wide, flat = np.ptp(cols) > np.ptp(rows), np.ptp(rows) < 0.3 * np.ptp(cols)
            p = np.full(10, 0.1 if wide and not flat else 0.0001)
            p[1] = 0.1 if wide and not flat else 0.9991
            probs.append(p)
        return np.array(probs)

    ink = sheet()
    bar(ink, 50, 20, 40, 80)  # a digit...
    bar(ink, 90, 92, 60, 8)  # ...with a long flat tail along its foot
    digits, _ = find_digits(ink, sure_of_parts)
    assert [d.box for d in digits] == [(50, 20, 100, 80)]


def test_many_specks_beside_a_number_bring_no_note():
    ink = sheet(600, 200)
    for x in (40, 140, 240):
        bar(ink, x, 40, 30, 100)
    rng = np.random.default_rng(1)
    for x, y in zip(rng.integers(0, 598, 400), rng.integers(0, 198, 400)):
        ink[y, x] = 1.0  # paper texture: far more specks than MAX_MARKS
    digits, note = find_digits(ink, bar_classifier)
    assert [d.box[0] for d in digits] == [40, 140, 240] and note is None


def test_cooled_scores_tell_a_clear_reading_from_a_saturated_one():
    from digitlab.segment.split import piece_score

    def probs(best):
        p = np.full(10, (1 - best) / 9)
        p[3] = best
        return p

    # Both are "sure" by their softmax; only the clear one has a wide logit margin.
    clear, saturated = piece_score(probs(0.999999), 10, 20, 20), piece_score(probs(0.99), 10, 20, 20)
    assert clear - saturated > 0.5


narrow_classifier = sure_up_to(0.5)  # sure of a 1, unsure of two 1s that touch


def test_a_doubtful_mark_of_a_line_is_tried_as_two_touching_digits_though_not_wide():
    ink = sheet()
    bar(ink, 40, 20, 25, 80)  # a digit of the line
    bar(ink, 150, 20, 25, 80)  # two that touch: 51 px wide, under WIDE times their height...
    bar(ink, 175, 55, 1, 6)
    bar(ink, 176, 20, 25, 80)
    digits, _ = find_digits(ink, narrow_classifier, unsure_below=0.5)  # ...and read whole, doubtfully
    left = [d.box[0] for d in digits]
    assert left[:2] == [40, 150] and left[2:] in ([175], [176])  # the cut is at the touching column


def test_a_mark_of_a_line_read_fairly_sure_but_not_surely_is_tried_cut_too():
    def classify(batch):  # unsure of two 1s that touch, yet over the reading's threshold: a 1 against a 4 reads as a 4
        probs = narrow_classifier(batch)
        pairs = probs.max(axis=1) < 0.5
        probs[pairs] = (1 - 0.95) / 9
        probs[pairs, 4] = 0.95
        return probs

    ink = sheet()
    bar(ink, 40, 20, 35, 80)
    bar(ink, 150, 20, 35, 80)  # two that touch: 71 px wide, over DOUBTFUL_WIDE times their height
    bar(ink, 185, 55, 1, 6)
    bar(ink, 186, 20, 35, 80)
    digits, _ = find_digits(ink, classify, unsure_below=0.5)
    assert [d.box[0] for d in digits][:2] == [40, 150] and len(digits) == 3


def test_a_row_of_ten_touching_digits_is_cut_into_ten():
    digits, _ = find_digits(touching_bars(sheet(400, 120), 10), narrow_classifier)
    assert [d.box[0] + d.box[2] for d in digits] == [56 + 30 * k for k in range(10)]  # each ends with its bar
    assert all(d.probs.argmax() == 1 for d in digits)

def test_a_doubtful_mark_alone_is_not_cut():
    ink = sheet()
    bar(ink, 150, 20, 25, 80)
    bar(ink, 175, 55, 1, 6)
    bar(ink, 176, 20, 25, 80)
    digits, _ = find_digits(ink, narrow_classifier, unsure_below=0.5)  # a B cut in two reads as a sure 1 and 3
    assert [d.box for d in digits] == [(150, 20, 51, 80)]


def test_a_doubtful_mark_narrower_than_two_digits_is_not_cut():
    ink = sheet()
    bar(ink, 40, 20, 20, 80)
    bar(ink, 150, 20, 22, 80)  # two bars touching, 45 px: under TWO_WIDE times their height
    bar(ink, 172, 55, 1, 6)
    bar(ink, 173, 20, 22, 80)
    digits, _ = find_digits(ink, narrow_classifier, unsure_below=0.5)  # unsure of the pair, sure of each bar
    assert [d.box[0] for d in digits] == [40, 150]


def test_a_line_read_surely_is_classified_in_one_batch():
    ink = sheet()
    bar(ink, 40, 20, 25, 80)
    bar(ink, 150, 20, 25, 80)
    bar(ink, 175, 55, 1, 6)
    bar(ink, 176, 20, 25, 80)  # a pair as wide as two digits, but read surely whole
    batches = []
    digits, _ = find_digits(ink, lambda batch: batches.append(len(batch)) or bar_classifier(batch), unsure_below=0.5)
    assert [d.box[0] for d in digits] == [40, 150] and batches == [2]
