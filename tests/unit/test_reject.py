"""Saying "not sure": temperature calibration, the non-digit drawings, and training to be unsure of them."""
import numpy as np
import pytest
from PIL import Image

from digitlab import calibrate
from digitlab.calibrate import calibration_logits, fit_temperature, logits_of
from digitlab.data.augment import photo_like
from digitlab.data.nondigits import KINDS, TRAINED_KINDS, TYPED, about_centre, blurred, nondigits, with_nondigits
from digitlab.data.store import ImageSet, split_off
from digitlab.nn.losses import NO_LABEL, softmax
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import ARCHITECTURES
from digitlab.preprocess import centre_of_mass
from digitlab.train import TrainConfig, fit

LABELS = [str(d) for d in range(10)]


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 3.0])
def test_fit_temperature_finds_the_temperature_the_labels_were_drawn_at(true_temperature):
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (20000, 10))
    p = softmax(logits / true_temperature)
    labels = (p.cumsum(axis=1) > rng.random((20000, 1))).argmax(axis=1)  # one draw per row from p
    assert fit_temperature(logits, labels) == pytest.approx(true_temperature, rel=0.05)


def test_an_over_confident_model_is_cooled():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 5000)
    logits = rng.normal(0, 1, (5000, 10))
    logits[np.arange(5000), labels] += 3.0
    wrong = rng.random(5000) < 0.2  # a fifth of the time the favourite is another class...
    logits[wrong] = np.roll(logits[wrong], 1, axis=1)
    logits *= 10  # ...yet the softmax says near 100 %
    assert fit_temperature(logits, labels) > 5


def test_logits_of_scores_every_image_in_order():
    images = np.random.default_rng(2).integers(0, 255, (300, 28, 28)).astype(np.uint8)
    image_set = ImageSet(images, np.arange(300) % 10, LABELS)
    model = Sequential(ARCHITECTURES["logreg"], (28, 28, 1), seed=0)
    logits, labels = logits_of(model, image_set, batch_size=64)
    np.testing.assert_allclose(logits, model.forward(images[..., None].astype(np.float32) / 255), atol=1e-5)
    np.testing.assert_array_equal(labels, image_set.labels)


def centre_reader():
    """A logistic regression that reads an image's centre pixel c as the class nearest 10 c
    (logit k = 10 c k - k^2 / 2), and whose class 0 also holds a hundredth of its corner pixel."""
    model = Sequential(ARCHITECTURES["logreg"], (28, 28, 1), seed=0)
    dense = model.layers[1]
    dense.params["w"][...] = 0
    dense.params["w"][14 * 28 + 14] = 10 * np.arange(10)
    dense.params["w"][0, 0] = 0.01
    dense.params["b"][...] = -np.arange(10) ** 2 / 2
    return model


def test_calibration_reads_the_held_out_digits_as_they_are_then_augmented_with_their_labels():
    labels = np.arange(200) % 10
    images = np.repeat(np.uint8(np.round(labels * 25.5)), 28 * 28).reshape(200, 28, 28)  # flat: label / 10
    image_set = ImageSet(images, labels, LABELS)
    model = centre_reader()
    config = TrainConfig(warp=1.5, seed=3)  # moved and warped, the centre of a flat image stays its value
    logits, read_labels = calibration_logits(model, image_set, config)
    assert logits.shape == ((1 + calibrate.COPIES) * 200, 10)
    np.testing.assert_allclose(logits[:200], logits_of(model, image_set)[0])  # first as they are, in order
    assert not np.array_equal(read_labels[200:400], labels)  # then each pass in its own order...
    np.testing.assert_array_equal(logits.argmax(axis=1), read_labels)  # ...each row with its own label
    corner = 100 * logits[:, 0]  # the corner pixel
    np.testing.assert_allclose(corner[:200], labels / 10, atol=0.01)
    assert np.mean(np.abs(corner[200:] - read_labels[200:] / 10) > 0.05) > 0.5  # moved: paper in the corner
    plain = calibration_logits(model, image_set, TrainConfig(augment=False))
    np.testing.assert_allclose(plain[0], logits[:200])  # a model trained without augmentation: as they are


def test_non_digits_are_normalised_like_digits_and_reproducible():
    images, names = nondigits(60, 4, TRAINED_KINDS)
    again, _ = nondigits(60, 4, TRAINED_KINDS)
    np.testing.assert_array_equal(images, again)
    assert not np.array_equal(images, nondigits(60, 5, TRAINED_KINDS)[0])
    assert images.shape == (60, 28, 28) and images.dtype == np.uint8
    assert {kind for kind, _ in names} == set(TRAINED_KINDS)  # drawn and typed
    for image in images:
        ink = image.astype(np.float64) / 255
        rows, cols = np.flatnonzero(ink.max(axis=1) > 0.25), np.flatnonzero(ink.max(axis=0) > 0.25)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)  # MNIST's 20-pixel box
        assert np.allclose(centre_of_mass(ink), (14, 14), atol=1.0)


@pytest.mark.parametrize("matrix, source, target", [
    ([[0, -1], [1, 0]], (70, 50), (50, 70)),  # a quarter turn (y down): right of the centre goes below it
    ([[2, 0], [0, 1]], (60, 50), (70, 50)),  # twice as wide
    ([[1, -0.5], [0, 1]], (50, 30), (60, 30)),  # italic: the top leans right
])
def test_a_typed_glyph_is_turned_and_slanted_about_its_centre(matrix, source, target):
    picture = Image.new("L", (101, 101), 0)
    picture.putpixel(source, 255)
    moved = np.asarray(about_centre(picture, np.array(matrix, np.float64)))
    assert np.unravel_index(moved.argmax(), moved.shape)[::-1] == target


def test_no_non_digit_is_named_like_a_digit():
    names = {name for group in KINDS.values() if group for name in group} | set(TYPED)
    assert not names & set("0123456789OoIlSsZzgq!|")


def upright_bars(count):
    """28x28 'ones': a bar 3 pixels wide and 20 high."""
    images = np.zeros((count, 28, 28), np.uint8)
    images[:, 4:24, 13:16] = 255
    return images


def test_with_nondigits_adds_unlabelled_drawings_and_blurred_digits_and_keeps_the_labels():
    digits = ImageSet(upright_bars(10), np.arange(10), LABELS)
    mixed = with_nondigits(digits, 20, seed=0)
    assert len(mixed) == 30 and mixed.label_names == LABELS
    np.testing.assert_array_equal(mixed.labels, list(range(10)) + [NO_LABEL] * 20)
    np.testing.assert_array_equal(mixed.images[:10], digits.images)


def test_a_digit_blurred_past_reading_is_a_blot():
    blots = blurred(upright_bars(5), 5, np.random.default_rng(0))
    assert blots.shape == (5, 28, 28) and blots.dtype == np.uint8
    for blot in blots:
        cols = np.flatnonzero(blot.max(axis=0) > 64)
        assert cols[-1] - cols[0] + 1 >= 8  # a 3-pixel bar spread into a blob
        assert np.abs(np.diff(blot.astype(int), axis=1)).max() < 128  # no sharp edge left


def test_split_off_is_a_reproducible_partition():
    image_set = ImageSet(np.zeros((50, 28, 28), np.uint8), np.arange(50), LABELS)
    rest, held = split_off(image_set, 0.2, seed=3)
    assert (len(rest), len(held)) == (40, 10)
    assert sorted(np.concatenate([rest.labels, held.labels]).tolist()) == list(range(50))
    np.testing.assert_array_equal(held.labels, split_off(image_set, 0.2, seed=3)[1].labels)


def test_photo_like_changes_pens_and_light_but_keeps_the_frame():
    digit = np.zeros((1, 28, 28), np.float32)
    digit[0, 6:22, 13:15] = 1.0  # a 1, two pixels wide
    x = np.repeat(digit, 400, axis=0)
    out = photo_like(x, np.random.default_rng(0), share=1.0)
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    ink = (out > 0.25).sum(axis=(1, 2))
    assert (ink > 2 * 32).mean() > 0.3  # a thicker pen for some...
    assert (ink < 2 * 32).mean() > 0.05  # ...a thinner one or fainter ink for others
    assert (out[:, :3, :] == 0).all()  # nothing appears far from the strokes
    np.testing.assert_array_equal(photo_like(x, np.random.default_rng(0), share=0.0), x)


def test_training_with_non_digits_makes_the_model_unsure_of_them():
    rng = np.random.default_rng(0)
    bars = np.zeros((200, 28, 28), np.uint8)  # two classes: a vertical bar left or right of centre
    labels = rng.integers(0, 2, 200)
    for image, label in zip(bars, labels):
        image[4:24, 8 + 10 * label:11 + 10 * label] = 255
    crosses = np.zeros((100, 28, 28), np.uint8)  # neither: a horizontal bar
    crosses[:, 13:16, 4:24] = 255
    digits = ImageSet(bars, labels, ["left", "right"])
    mixed = ImageSet(np.concatenate([bars, crosses]), np.concatenate([labels, [NO_LABEL] * 100]), ["left", "right"])
    confidence = {}
    for name, train_set in (("digits only", digits), ("with non-digits", mixed)):
        model = Sequential(ARCHITECTURES["mlp"], (28, 28, 1), seed=0)
        events = list(fit(model, train_set, TrainConfig(epochs=4, batch_size=32, lr=1e-2, augment=False)))
        assert events[-1]["accuracy"] > 0.95  # the accuracy counts the labelled images only
        confidence[name] = softmax(model.forward(crosses[:1, ..., None].astype(np.float32) / 255)).max()
    assert confidence["with non-digits"] < 0.6 < confidence["digits only"]
