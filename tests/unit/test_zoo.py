"""The named architectures: what each conv block leaves for the dense head."""
import pytest

from digitlab.nn.model import Sequential
from digitlab.nn.zoo import CNN, DEEP, WIDE, architecture, conv_blocks


@pytest.mark.parametrize("spec, features", [
    (CNN, (7, 7, 32)),
    (WIDE, (7, 7, 64)),
    (DEEP, (3, 3, 64)),  # the third block's pooling drops the 7x7 maps' odd edge row and column
])
def test_each_block_halves_the_image(spec, features):
    model = Sequential(spec, (28, 28, 1))
    flatten = [layer["type"] for layer in spec].index("flatten")
    assert model.shapes[flatten] == features


def test_blocks_take_their_filter_counts_in_order():
    convs = [layer["filters"] for layer in conv_blocks([8, 16, 24]) if layer["type"] == "conv2d"]
    assert convs == [8, 16, 24]


def test_architecture_ends_in_one_output_per_class():
    model = Sequential(architecture("deep", 26), (28, 28, 1))
    assert model.output_shape == (26,)
