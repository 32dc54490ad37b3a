"""Layers with hand-written forward and backward passes (NHWC images).

Each layer caches what its backward pass needs during a training forward pass.
`params` and `grads` share keys; the optimiser walks them in step.
"""
import numpy as np

from .init import glorot_uniform, he_normal
from .ops import col2im_matmul, conv_out, im2col, matmul


class Layer:
    kind = ""
    seeded = False  # True: the constructor takes the model's seed (its own random numbers)

    def __init__(self):
        self.params = {}
        self.grads = {}

    def config(self):
        """The constructor's settings: with `kind`, the layer's entry in a model's spec."""
        return {}

    def build(self, input_shape, rng):
        """Allocate parameters for one sample of `input_shape`; return the output shape."""
        return input_shape

    def count_params(self, input_shape):
        """How many parameters `build` would allocate, without allocating them."""
        return 0

    def values_per_image(self, input_shape, output_shape):
        """The most numbers the forward pass holds for one image: its output."""
        return int(np.prod(output_shape))

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, grad):
        """Set `grads` from the upstream gradient; return the gradient w.r.t. the input."""
        raise NotImplementedError

    def param_grads(self, grad):
        """Only set `grads`: what the first layer of a model needs (nothing flows further back)."""
        self.backward(grad)


class Dense(Layer):
    kind = "dense"

    def __init__(self, units, init="he"):
        super().__init__()
        self.units = units
        self.init = init

    def config(self):
        return {"units": self.units, "init": self.init}

    def build(self, input_shape, rng):
        (fan_in,) = input_shape
        if self.init == "he":
            w = he_normal(rng, (fan_in, self.units), fan_in)
        else:
            w = glorot_uniform(rng, (fan_in, self.units), fan_in, self.units)
        self.params = {"w": w, "b": np.zeros(self.units, np.float32)}
        return (self.units,)

    def count_params(self, input_shape):
        return (input_shape[0] + 1) * self.units

    def forward(self, x, training=False):
        """y = x W + b."""
        if training:
            self.x = x
        return matmul(x, self.params["w"]) + self.params["b"]  # (N, D) @ (D, U) -> (N, U)

    def param_grads(self, grad):
        """dW = x^T dy, db = the sum of dy over the batch."""
        self.grads = {"w": matmul(self.x.T, grad), "b": grad.sum(axis=0)}  # (D, N) @ (N, U) -> (D, U); (U,)

    def backward(self, grad):
        """dx = dy W^T."""
        self.param_grads(grad)
        return matmul(grad, self.params["w"].T)  # (N, U) @ (U, D) -> (N, D)


class Conv2D(Layer):
    """2-D convolution as one matmul over im2col patches."""

    kind = "conv2d"

    def __init__(self, filters, kernel, stride=1, pad=0):
        super().__init__()
        self.filters, self.kernel, self.stride, self.pad = filters, kernel, stride, pad

    def config(self):
        return {"filters": self.filters, "kernel": self.kernel, "stride": self.stride, "pad": self.pad}

    def build(self, input_shape, rng):
        h, w, c = input_shape
        k = self.kernel
        fan_in = k * k * c
        self.params = {
            "w": he_normal(rng, (fan_in, self.filters), fan_in),
            "b": np.zeros(self.filters, np.float32),
        }
        return (conv_out(h, k, self.stride, self.pad), conv_out(w, k, self.stride, self.pad), self.filters)

    def count_params(self, input_shape):
        return (self.kernel * self.kernel * input_shape[2] + 1) * self.filters

    def values_per_image(self, input_shape, output_shape):
        """Its output, or its im2col patches (OH*OW, K*K*C) where they are more."""
        oh, ow, _ = output_shape
        return max(int(np.prod(output_shape)), oh * ow * self.kernel * self.kernel * input_shape[2])

    def forward(self, x, training=False):
        k = self.kernel
        cols, (oh, ow) = im2col(x, k, k, self.stride, self.pad)  # (N, H, W, C) -> (N*OH*OW, K*K*C)
        if training:
            self.x_shape, self.cols, self.out_hw = x.shape, cols, (oh, ow)
        out = matmul(cols, self.params["w"])  # (N*OH*OW, K*K*C) @ (K*K*C, F) -> (N*OH*OW, F)
        out += self.params["b"]  # (F,) broadcast over every output pixel
        return out.reshape(x.shape[0], oh, ow, self.filters)  # (N, OH, OW, F)

    def param_grads(self, grad):
        g = grad.reshape(-1, self.filters)  # (N, OH, OW, F) -> (N*OH*OW, F)
        self.grads = {"w": matmul(self.cols.T, g), "b": g.sum(axis=0)}  # (K*K*C, F), (F,)

    def backward(self, grad):
        self.param_grads(grad)
        k = self.kernel
        return col2im_matmul(grad.reshape(-1, self.filters), self.params["w"], self.x_shape,  # -> (N, H, W, C)
                             k, k, self.stride, self.pad, self.out_hw)


class MaxPool2D(Layer):
    """Non-overlapping max pooling (window = stride); odd edges are dropped.

    A window's size*size pixels are read as strided views of the input
    ("taps"), so nothing is copied or transposed: the max is a running np.maximum.
    """

    kind = "maxpool2d"

    def __init__(self, size=2):
        super().__init__()
        self.size = size

    def config(self):
        return {"size": self.size}

    def build(self, input_shape, rng):
        h, w, c = input_shape
        return (h // self.size, w // self.size, c)

    def _taps(self, x):
        s = self.size
        oh, ow = x.shape[1] // s, x.shape[2] // s
        return [x[:, i:oh * s:s, j:ow * s:s, :] for i in range(s) for j in range(s)]  # s*s views, each (N, OH, OW, C)

    def forward(self, x, training=False):
        taps = self._taps(x)
        out = taps[0].copy()  # (N, OH, OW, C)
        for tap in taps[1:]:
            np.maximum(out, tap, out=out)
        if training:
            self.x, self.out = x, out
        return out

    def backward(self, grad):
        # The gradient flows only to the first maximum of each window: maxima often
        # tie (a blank background gives equal values) and must not share it out twice.
        dx = np.zeros(self.x.shape, dtype=grad.dtype)  # (N, H, W, C)
        x_taps, dx_taps = self._taps(self.x), self._taps(dx)  # views of x and dx, each (N, OH, OW, C)
        open_windows = np.ones(grad.shape, dtype=bool)  # (N, OH, OW, C): maximum not found yet
        for x_tap, dx_tap in zip(x_taps[:-1], dx_taps[:-1]):
            first_max = x_tap == self.out  # (N, OH, OW, C)
            first_max &= open_windows
            np.multiply(grad, first_max, out=dx_tap)
            open_windows ^= first_max
        np.multiply(grad, open_windows, out=dx_taps[-1])  # no earlier tap held the maximum
        return dx


class ReLU(Layer):
    kind = "relu"

    def forward(self, x, training=False):
        out = np.maximum(x, 0)
        if training:
            self.mask = x > 0
        return out

    def backward(self, grad):
        return grad * self.mask


class Dropout(Layer):
    """Inverted dropout: scale kept units at training time, identity at inference."""

    kind = "dropout"
    seeded = True

    def __init__(self, rate, seed=0):
        super().__init__()
        self.rate = rate
        self.rng = np.random.default_rng(seed)

    def config(self):
        return {"rate": self.rate}

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        self.mask = (self.rng.random(x.shape) < keep).astype(x.dtype) / keep
        return x * self.mask

    def backward(self, grad):
        return grad if self.mask is None else grad * self.mask


class Flatten(Layer):
    kind = "flatten"

    def build(self, input_shape, rng):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)  # (N, H, W, C) -> (N, H*W*C), row-major as NHWC lies

    def backward(self, grad):
        return grad.reshape(self.x_shape)  # (N, H*W*C) -> (N, H, W, C)


LAYERS = {cls.kind: cls for cls in (Dense, Conv2D, MaxPool2D, ReLU, Dropout, Flatten)}
