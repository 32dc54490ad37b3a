"""The architectures offered by name. Each maps a 28x28x1 image to one logit per label (10 for digits)."""

from ..errors import DigitlabError


def classifier(units=10):
    """The last layer: a dense layer with a logit per label, Glorot-initialised (a softmax follows it,
    not a ReLU, which He's initialisation is for)."""
    return {"type": "dense", "units": units, "init": "glorot"}


LOGREG = [
    {"type": "flatten"},
    classifier(),
]

MLP = [
    {"type": "flatten"},
    {"type": "dense", "units": 256},
    {"type": "relu"},
    {"type": "dropout", "rate": 0.2},
    classifier(),
]

# The TensorFlow.js "handwritten digit recognition" codelab CNN.
CODELAB = [
    {"type": "conv2d", "filters": 8, "kernel": 5, "stride": 1, "pad": 0},
    {"type": "relu"},
    {"type": "maxpool2d", "size": 2},
    {"type": "conv2d", "filters": 16, "kernel": 5, "stride": 1, "pad": 0},
    {"type": "relu"},
    {"type": "maxpool2d", "size": 2},
    {"type": "flatten"},
    classifier(),
]


def conv_blocks(filters):
    """A 3x3 conv block per entry of `filters` (its filter count), and a dense head with dropout.
    Pooling before ReLU gives the same function as after, with a quarter of the ReLU work. Each block
    halves the image: 28 -> 14 -> 7 (-> 3, the odd edge row and column dropped)."""
    spec = []
    for count in filters:
        spec += [
            {"type": "conv2d", "filters": count, "kernel": 3, "stride": 1, "pad": 1},
            {"type": "maxpool2d", "size": 2},
            {"type": "relu"},
        ]
    return spec + [
        {"type": "flatten"},
        {"type": "dense", "units": 256},
        {"type": "relu"},
        {"type": "dropout", "rate": 0.3},
        classifier(),
    ]


# Our default for training. The head's 256 units (rather than 128) cost little and made fewer
# mistakes on held-out training digits, 18.5 against 23 of 1,600 over four seeds.
CNN = conv_blocks([16, 32])

# Twice the filters: the built-in model before DEEP, kept as the baseline bench_recipes' wide-* recipes name.
WIDE = conv_blocks([32, 64])

# The built-in model: WIDE and a third block on the 7x7 maps. Its dense layer reads 3x3x64 features,
# not 7x7x64, so it trains faster than WIDE and reads as fast in the page. On held-out training
# digits (tests/bench/bench_recipes.py, seeds 0 and 1) it made 8 and 9 mistakes in 1,600 where WIDE
# made 14 and 14. A third block of 128 filters made 6 and 9 but read a number 2.6 times slower in the
# page. build.py's TRAIN_ARGS say how it is trained.
DEEP = conv_blocks([32, 64, 64])

ARCHITECTURES = {"logreg": LOGREG, "mlp": MLP, "codelab": CODELAB, "cnn": CNN, "wide": WIDE, "deep": DEEP}
DEFAULT = "cnn"


def known(name):
    """`name`, when it is a built-in architecture; else the error that lists them."""
    if name not in ARCHITECTURES:
        raise DigitlabError("unknown model %r; choose from %s" % (name, ", ".join(ARCHITECTURES)))
    return name


def architecture(name, classes):
    """The spec of built-in architecture `name` with `classes` outputs: its last layer is the dense
    classifier."""
    spec = [dict(layer) for layer in ARCHITECTURES[known(name)]]
    spec[-1]["units"] = classes
    return spec
