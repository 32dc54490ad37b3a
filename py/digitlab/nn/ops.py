"""The two primitives every layer is built from: one matrix product and im2col.

All matrix products in the network go through `matmul`, so a faster kernel
(e.g. WebGL in the browser) can be plugged in at one place.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

_matmul_impl = np.dot


def matmul(a, b):
    """a @ b for 2-D float32 arrays, through the active kernel."""
    return _matmul_impl(a, b)


def set_matmul(impl):
    """Route every matmul to `impl` (None restores NumPy); returns the previous one."""
    global _matmul_impl
    previous = _matmul_impl
    _matmul_impl = impl or np.dot
    return previous


def im2col(x, kh, kw, stride, pad):
    """NHWC image batch -> (N*OH*OW, KH*KW*C) matrix of patches, plus (OH, OW).

    Row r holds the receptive field of output pixel r, so a convolution becomes
    one product with the (KH*KW*C, F) filter matrix.
    """
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant")
    n, h, w, c = x.shape
    oh = (h - kh) // stride + 1
    ow = (w - kw) // stride + 1
    sn, sh, sw, sc = x.strides
    patches = as_strided(
        x,
        shape=(n, oh, ow, kh, kw, c),
        strides=(sn, sh * stride, sw * stride, sh, sw, sc),
        writeable=False,
    )
    return patches.reshape(n * oh * ow, kh * kw * c), (oh, ow)


def col2im(cols, x_shape, kh, kw, stride, pad, out_hw):
    """Adjoint of im2col: scatter-add patch gradients back onto the (padded) image."""
    n, h, w, c = x_shape
    oh, ow = out_hw
    grad = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=cols.dtype)
    cols = cols.reshape(n, oh, ow, kh, kw, c)
    # One strided add per kernel tap: KH*KW vectorised adds instead of a scatter.
    for i in range(kh):
        for j in range(kw):
            grad[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :] += cols[:, :, :, i, j, :]
    if pad:
        grad = grad[:, pad:-pad, pad:-pad, :]
    return grad
