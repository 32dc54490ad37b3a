"""The two primitives every layer is built from: one matrix product and im2col.

All matrix products in the network go through `matmul`, so a faster kernel
(e.g. WebGL in the browser) can be plugged in at one place.
"""
import sys

import numpy as np
from numpy.lib.stride_tricks import as_strided

# NumPy's own product. With BLAS (CPython) np.matmul hands it to BLAS. Pyodide's NumPy has none, and
# there matmul's loops walk B down its columns (np.dot's too, and 4.8x slower on the first
# convolution's short products, 784x9 @ 9x32), while einsum's walk along B's rows: for a long inner
# dimension, as the second convolution's (288) and the `wide` model's dense layer's (3,136) are, einsum
# was 1.5 and 5x as fast in Pyodide 0.17, and a photo's reading with that model took 93 ms instead of 115.
WITHOUT_BLAS = sys.platform == "emscripten"
LONG_INNER = 32  # einsum from this inner dimension on: between the 9 where matmul won and the 288 where einsum did


def numpy_matmul(a, b):
    """a @ b in NumPy, by the loops that are fastest where it runs; (M, K) @ (K, N) -> (M, N)."""
    if WITHOUT_BLAS and a.ndim == b.ndim == 2 and a.shape[1] >= LONG_INNER and b.flags.c_contiguous:
        return np.einsum("ij,jk->ik", a, b)  # (M, N)
    return np.matmul(a, b)  # and NumPy says what is wrong with shapes that do not agree


_matmul_impl = numpy_matmul


def matmul(a, b):
    """a @ b for 2-D float32 arrays, through the active kernel."""
    return _matmul_impl(a, b)


def set_matmul(impl):
    """Route every matmul to `impl` (None restores NumPy); returns the previous one."""
    global _matmul_impl
    previous = _matmul_impl
    _matmul_impl = impl or numpy_matmul
    return previous


def conv_out(size, kernel, stride, pad):
    """How many outputs a convolution gives along a side of `size` pixels (padded by `pad` each end)."""
    return (size + 2 * pad - kernel) // stride + 1


def im2col(x, kh, kw, stride, pad):
    """NHWC image batch -> (N*OH*OW, KH*KW*C) matrix of patches, plus (OH, OW).

    Row r holds the receptive field of output pixel r, so a convolution becomes
    one product with the (KH*KW*C, F) filter matrix.
    """
    n, h, w, c = x.shape
    oh, ow = conv_out(h, kh, stride, pad), conv_out(w, kw, stride, pad)
    if pad:
        x = zero_padded(x, pad)  # (N, H+2P, W+2P, C)
    sn, sh, sw, sc = x.strides
    patches = as_strided(  # (N, OH, OW, KH, KW, C): a view, nothing copied yet
        x,
        shape=(n, oh, ow, kh, kw, c),
        strides=(sn, sh * stride, sw * stride, sh, sw, sc),
        writeable=False,
    )
    return patches.reshape(n * oh * ow, kh * kw * c), (oh, ow)  # the copy: (N*OH*OW, KH*KW*C)


def zero_padded(x, pad):
    """(N, H, W, C) -> (N, H+2P, W+2P, C) with a border of zeros: np.pad's general machinery took
    as long as the first convolution's product, for one drawing in Pyodide."""
    n, h, w, c = x.shape
    padded = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=x.dtype)  # (N, H+2P, W+2P, C)
    padded[:, pad:pad + h, pad:pad + w, :] = x
    return padded


def col2im_matmul(grad, w, x_shape, kh, kw, stride, pad, out_hw):
    """col2im(grad @ w.T): scatter-add each patch's gradient back onto the (padded) image.

    This is a convolution's gradient w.r.t. its input, from `grad` (N*OH*OW, F)
    and the (KH*KW*C, F) filter matrix `w`. One product per kernel tap gives a
    contiguous (N*OH*OW, C) block for each strided add; slicing taps out of the
    full (N*OH*OW, KH*KW*C) product reads memory out of order and took 1.6x as
    long for the default CNN.
    """
    n, h, width, c = x_shape
    oh, ow = out_hw
    image = np.zeros((n, h + 2 * pad, width + 2 * pad, c), dtype=grad.dtype)  # (N, H+2P, W+2P, C)
    taps = w.reshape(kh, kw, c, -1)  # (KH*KW*C, F) -> (KH, KW, C, F)
    for i in range(kh):
        for j in range(kw):
            patch_grad = matmul(grad, taps[i, j].T).reshape(n, oh, ow, c)  # (N*OH*OW, F) @ (F, C) -> (N, OH, OW, C)
            image[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :] += patch_grad
    return image[:, pad:pad + h, pad:pad + width, :]  # (N, H, W, C): the padding's share dropped
