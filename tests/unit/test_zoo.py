"""The named architectures: what each conv block leaves for the dense head, and the page's list of them."""
import os
import re

import pytest

from digitlab.nn.model import Sequential
from digitlab.nn.zoo import ARCHITECTURES, CNN, DEEP, WIDE, architecture, conv_blocks

INDEX = os.path.join(os.path.dirname(__file__), "..", "..", "index.html")


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


def test_the_page_offers_every_architecture_and_the_network_in_python():
    with open(INDEX, encoding="utf-8") as f:
        select = re.search(r'<select data-testid="train-model">(.*?)</select>', f.read(), re.S).group(1)
    offered = re.findall(r'<option value="([^"]+)"', select)  # in the page's order: the likeliest first
    assert sorted(offered) == sorted(list(ARCHITECTURES) + ["python"])
