"""Light geometric augmentation: a small random affine map per image."""
import numpy as np


def random_affine(x, rng, max_shift=2.0, max_degrees=10.0, max_scale=0.1):
    """Rotate, scale and shift each (H, W) float image about its centre, bilinearly.

    For every output pixel p we sample the input at A^-1 (p - c - t) + c,
    where A is the rotation-scale matrix, c the centre and t the shift.
    """
    n, h, w = x.shape
    angle = np.radians(rng.uniform(-max_degrees, max_degrees, n))
    scale = rng.uniform(1 - max_scale, 1 + max_scale, n)
    shift = rng.uniform(-max_shift, max_shift, (n, 2))
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale  # the inverse map
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    dy = yy[None] - cy - shift[:, 0, None, None]
    dx = xx[None] - cx - shift[:, 1, None, None]
    src_y = cos[:, None, None] * dy - sin[:, None, None] * dx + cy
    src_x = sin[:, None, None] * dy + cos[:, None, None] * dx + cx
    return _bilinear(x, src_y, src_x)


def _bilinear(x, sy, sx):
    """Sample images x (N, H, W) at fractional coordinates; outside reads as 0."""
    n, h, w = x.shape
    padded = np.zeros((n, h + 2, w + 2), dtype=x.dtype)
    padded[:, 1:-1, 1:-1] = x
    sy = np.clip(sy + 1, 0, h + 1)  # +1: coordinates in the padded frame
    sx = np.clip(sx + 1, 0, w + 1)
    y0 = np.floor(sy).astype(np.int64)
    x0 = np.floor(sx).astype(np.int64)
    fy = (sy - y0).astype(x.dtype)
    fx = (sx - x0).astype(x.dtype)
    y1 = np.minimum(y0 + 1, h + 1)
    x1 = np.minimum(x0 + 1, w + 1)
    i = np.arange(n)[:, None, None]
    top = padded[i, y0, x0] * (1 - fx) + padded[i, y0, x1] * fx
    bottom = padded[i, y1, x0] * (1 - fx) + padded[i, y1, x1] * fx
    return top * (1 - fy) + bottom * fy
