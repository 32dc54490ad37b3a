"""Reading a digit as it is and moved a pixel: the readings' calibrated logits averaged."""
import numpy as np

from digitlab.model_file import load_model, model_bytes
from digitlab.nn.losses import softmax
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import architecture
from digitlab.recognise import SHIFTS, read_shifted

LABELS = [str(d) for d in range(10)]


def linear_model(temperature):
    """A calibrated model whose logits are linear in the pixels (flatten, dense)."""
    model = Sequential(architecture("logreg", 10), (28, 28, 1), seed=3)
    return load_model(model_bytes(model, LABELS, temperature=temperature))


def test_shifted_readings_average_the_calibrated_logits():
    saved = linear_model(temperature=2.5)
    digits = np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)
    # Logits linear in the pixels: the mean of the moved digits' logits is the logits of their mean picture.
    mean_picture = np.mean([np.roll(digits, shift, axis=(1, 2)) for shift in SHIFTS], axis=0)  # (4, 28, 28)
    expected = softmax(saved.model.forward(mean_picture[..., None]) / 2.5)
    np.testing.assert_allclose(read_shifted(saved, digits), expected, atol=1e-5)

