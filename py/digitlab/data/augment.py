"""Augmentation: a small random affine map per image, optionally a smooth warp, and what pens and photos do."""
import numpy as np

WARP_GRID = 4  # the warp's random displacements sit on a WARP_GRID x WARP_GRID grid of nodes


def random_affine(x, rng, max_shift=2.0, max_degrees=10.0, max_scale=0.1, warp=0.0):
    """Rotate, scale and shift each (H, W) float32 image about its centre, bilinearly.

    For every output pixel p we sample the input at A^-1 (p - c - t) + c + d(p),
    where A is the rotation-scale matrix, c the centre, t the shift and d a smooth
    random displacement of up to `warp` pixels (an elastic distortion, as a hand's
    strokes wobble; 0 for none). The per-pixel work is float32, like the images.
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
    src_y = cos * dy - sin * dx + np.float32(cy)  # (N, H, W)
    src_x = sin * dy + cos * dx + np.float32(cx)
    if warp:
        src_y = src_y + smooth_displacement(n, h, w, warp, rng)
        src_x = src_x + smooth_displacement(n, h, w, warp, rng)
    return _bilinear(x, src_y, src_x)


def smooth_displacement(n, h, w, size, rng):
    """(N, H, W) float32 displacements: uniform in [-size, size] at the grid's nodes, bilinear between."""
    nodes = rng.uniform(-size, size, (n, WARP_GRID, WARP_GRID)).astype(np.float32)
    rows, cols = _interpolation(h), _interpolation(w)  # (H, G), (W, G)
    return rows @ nodes @ cols.T  # (H, G) @ (N, G, G) @ (G, W) -> (N, H, W)


def _interpolation(size):
    """(size, WARP_GRID) weights that spread the grid's nodes linearly over `size` pixels."""
    at = np.linspace(0, WARP_GRID - 1, size)  # each pixel's position on the grid
    return np.maximum(0, 1 - np.abs(at[:, None] - np.arange(WARP_GRID)[None, :])).astype(np.float32)


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
    y0 = np.minimum(np.floor(sy), h)  # (N, H, W)
    x0 = np.minimum(np.floor(sx), w)
    fy, fx = sy - y0, sx - x0
    # Flat indices into the padded stack: one gather per neighbour.
    top_left = (np.arange(n)[:, None, None] * (h + 2) + y0.astype(np.intp)) * (w + 2) + x0.astype(np.intp)  # (N, H, W)
    pixels = padded.ravel()
    tl, tr = pixels[top_left], pixels[top_left + 1]
    bl, br = pixels[top_left + (w + 2)], pixels[top_left + (w + 3)]
    top = tl + (tr - tl) * fx
    bottom = bl + (br - bl) * fx
    return top + (bottom - top) * fy


def photo_like(x, rng, share=0.5):
    """What pens and photos do to a digit, on a random `share` of the (N, H, W) images, each
    change drawn independently: a thicker or thinner pen (a 3x3 grey dilation or erosion), blur,
    softer or harder ink (a gamma curve) and noise on the ink. The ink map cuts faint paper to 0,
    so the noise stays on the strokes."""
    n = len(x)
    x = x.copy()
    chosen = lambda p: np.flatnonzero(rng.random(n) < share * p)  # noqa: E731 (indices to change)
    thicker, thinner = chosen(0.5), chosen(0.2)
    x[thicker] = _neighbourhood(x[thicker], np.maximum)
    x[thinner] = _neighbourhood(x[thinner], np.minimum)
    blurred = chosen(0.3)
    x[blurred] = 0.5 * x[blurred] + 0.5 * _neighbourhood(x[blurred], np.add) / 9
    curved = chosen(0.5)
    x[curved] = x[curved] ** _per_image(rng.uniform(0.5, 1.5, len(curved)))
    noisy = chosen(0.3)
    x[noisy] = np.clip(x[noisy] + rng.normal(0, 0.08, x[noisy].shape).astype(np.float32) * (x[noisy] > 0), 0, 1)
    return x


def _neighbourhood(x, combine):
    """Each pixel of (N, H, W) combined with its 8 neighbours by `combine` (outside reads as 0)."""
    n, h, w = x.shape
    padded = np.zeros((n, h + 2, w + 2), x.dtype)
    padded[:, 1:-1, 1:-1] = x
    out = x.copy()
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if (dy, dx) != (1, 1):
                out = combine(out, padded[:, dy:dy + h, dx:dx + w])
    return out
