"""The glyphs the feature network learns to name (data/glyphs.py)."""
import numpy as np

from digitlab.data import glyphs
from digitlab.data.store import ImageSet
from digitlab.nn.losses import NO_LABEL


def digits(count=6):
    return ImageSet(np.zeros((count, 28, 28), np.uint8), np.arange(count) % 3, ["0", "1", "2"])


def test_each_glyph_gets_a_label_after_the_digits_but_the_unnamed_ones(monkeypatch):
    monkeypatch.setattr(glyphs, "MADE_UP", 4)
    monkeypatch.setattr(glyphs, "DRAWINGS_EACH", 3)
    taught = glyphs.with_glyphs(digits(), 300, seed=1)
    names = taught.label_names
    assert names[:3] == ["0", "1", "2"] and names[-4:] == ["made-up 1", "made-up 2", "made-up 3", "made-up 4"]
    assert not glyphs.UNNAMED & set(names) and "scribble" not in names
    assert len(taught) == 6 + 300 + 4 * 3 and taught.images.dtype == np.uint8
    np.testing.assert_array_equal(taught.labels[:6], digits().labels)
    drawn = taught.labels[6:306]
    assert (drawn == NO_LABEL).sum() > 30  # scribbles and the benchmark's letters and shapes
    assert set(drawn[drawn != NO_LABEL]) == set(range(3, len(names) - 4))  # every glyph named is drawn
    np.testing.assert_array_equal(taught.labels[306:], np.repeat(np.arange(4), 3) + len(names) - 4)


def test_a_made_up_class_is_one_glyph_drawn_apart_and_classes_differ(monkeypatch):
    monkeypatch.setattr(glyphs, "MADE_UP", 3)
    monkeypatch.setattr(glyphs, "DRAWINGS_EACH", 2)
    made_up = glyphs.made_up_glyphs(seed=5)
    again = glyphs.made_up_glyphs(seed=5)
    np.testing.assert_array_equal(made_up.images, again.images)
    assert not np.array_equal(made_up.images, glyphs.made_up_glyphs(seed=6).images)
    assert all(image.max() == 255 for image in made_up.images)  # drawn and normalised as a digit is

    def apart(i, j):
        return np.abs(made_up.images[i].astype(int) - made_up.images[j]).mean()
    # two drawings of a class are nearer each other than drawings of two classes, on the whole
    within = np.mean([apart(0, 1), apart(2, 3), apart(4, 5)])
    between = np.mean([apart(i, j) for i in range(0, 6, 2) for j in range(0, 6, 2) if i != j])
    assert within < between


def test_a_made_up_glyph_has_its_points_in_the_unit_box():
    rng = np.random.default_rng(0)
    for _ in range(50):
        strokes = glyphs.made_up_glyph(rng)
        points = np.concatenate([np.asarray(stroke) for stroke in strokes])
        assert 1 <= len(strokes) <= 3 and all(len(stroke) >= 2 for stroke in strokes)
        assert points.min() >= 0.05 and points.max() <= 0.95
