"""The architectures offered by name. Every one maps a 28x28x1 image to 10 logits."""

LOGREG = [
    {"type": "flatten"},
    {"type": "dense", "units": 10, "init": "glorot"},
]

MLP = [
    {"type": "flatten"},
    {"type": "dense", "units": 256},
    {"type": "relu"},
    {"type": "dropout", "rate": 0.2},
    {"type": "dense", "units": 10, "init": "glorot"},
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
    {"type": "dense", "units": 10, "init": "glorot"},
]

# Our default: two 3x3 conv blocks and a small dense head with dropout.
CNN = [
    {"type": "conv2d", "filters": 16, "kernel": 3, "stride": 1, "pad": 1},
    {"type": "relu"},
    {"type": "maxpool2d", "size": 2},
    {"type": "conv2d", "filters": 32, "kernel": 3, "stride": 1, "pad": 1},
    {"type": "relu"},
    {"type": "maxpool2d", "size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 128},
    {"type": "relu"},
    {"type": "dropout", "rate": 0.3},
    {"type": "dense", "units": 10, "init": "glorot"},
]

ARCHITECTURES = {"logreg": LOGREG, "mlp": MLP, "codelab": CODELAB, "cnn": CNN}
DEFAULT = "cnn"
