"""Light geometric augmentation: a small random affine map per image."""
import numpy as np


def random_affine(x, rng, max_shift=2.0, max_degrees=10.0, max_scale=0.1):
    """Rotate, scale and shift each (H, W) float32 image about its centre, bilinearly.

    For every output pixel p we sample the input at A^-1 (p - c - t) + c,
    where A is the rotation-scale matrix, c the centre and t the shift.
    The per-pixel work is float32, like the images.
    """
    n, h, w = x.shape
    angle = np.radians(rng.uniform(-max_degrees, max_degrees, n))
    scale = rng.uniform(1 - max_scale, 1 + max_scale, n)
    shift = rng.uniform(-max_shift, max_shift, (n, 2))
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    cos = _per_image(np.cos(angle) / scale)  # the inverse map
    sin = _per_image(np.sin(angle) / scale)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dy = yy - _per_image(cy + shift[:, 0])
    dx = xx - _per_image(cx + shift[:, 1])
    src_y = cos * dy - sin * dx + np.float32(cy)
    src_x = sin * dy + cos * dx + np.float32(cx)
    return _bilinear(x, src_y, src_x)


def _per_image(values):
    """(N,) float64 -> (N, 1, 1) float32, to broadcast over each image's pixels."""
    return values.astype(np.float32)[:, None, None]


def _bilinear(x, sy, sx):
    """Sample images x (N, H, W) at fractional coordinates; outside reads as 0."""
    n, h, w = x.shape
    padded = np.zeros((n, h + 2, w + 2), dtype=x.dtype)
    padded[:, 1:-1, 1:-1] = x
    sy = np.clip(sy + 1, 0, h + 1)  # +1: coordinates in the padded frame
    sx = np.clip(sx + 1, 0, w + 1)
    # Top-left neighbour, at most one short of the last row/column so its
    # right and lower neighbours exist (the fraction is then 1 at the edge).
    y0 = np.minimum(np.floor(sy), h)
    x0 = np.minimum(np.floor(sx), w)
    fy, fx = sy - y0, sx - x0
    # Flat indices into the padded stack: one gather per neighbour.
    top_left = (np.arange(n)[:, None, None] * (h + 2) + y0.astype(np.intp)) * (w + 2) + x0.astype(np.intp)
    pixels = padded.ravel()
    tl, tr = pixels[top_left], pixels[top_left + 1]
    bl, br = pixels[top_left + (w + 2)], pixels[top_left + (w + 3)]
    top = tl + (tr - tl) * fx
    bottom = bl + (br - bl) * fx
    return top + (bottom - top) * fy
