"""Reading a doubtful digit again, moved a pixel: the readings' calibrated logits averaged."""
import numpy as np

from digitlab import recognise
from digitlab.model_file import load_model, model_bytes
from digitlab.nn.losses import softmax
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import architecture
from digitlab.recognise import MOVES, read_shifted

LABELS = [str(d) for d in range(10)]
DIGITS = np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)


def linear_model(temperature):
    """A calibrated model whose logits are linear in the pixels (flatten, dense)."""
    model = Sequential(architecture("logreg", 10), (28, 28, 1), seed=3)
    return load_model(model_bytes(model, LABELS, temperature=temperature))


def test_doubtful_readings_average_the_calibrated_logits_of_the_moved_digits(monkeypatch):
    monkeypatch.setattr(recognise, "REREAD", 1.01)  # every digit is doubtful
    saved = linear_model(temperature=2.5)
    # Logits linear in the pixels: the mean of the moved digits' logits is the logits of their mean picture.
    mean_picture = np.mean([DIGITS] + [np.roll(DIGITS, move, axis=(1, 2)) for move in MOVES], axis=0)  # (4, 28, 28)
    expected = softmax(saved.model.forward(mean_picture[..., None]) / 2.5)
    np.testing.assert_allclose(read_shifted(saved, DIGITS), expected, atol=1e-5)


def test_only_the_doubtful_digits_are_read_again(monkeypatch):
    saved = linear_model(temperature=2.5)
    once = saved.predict_proba(DIGITS[..., None])  # (4, 10)
    monkeypatch.setattr(recognise, "REREAD", float(np.median(once.max(axis=1))))  # two sure, two doubtful
    read = read_shifted(saved, DIGITS)
    sure = once.max(axis=1) >= recognise.REREAD
    np.testing.assert_array_equal(read[sure], once[sure])
    assert np.abs(read[~sure] - once[~sure]).max() > 1e-4
