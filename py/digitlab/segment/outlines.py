"""Outlines round the writing: a worksheet's printed answer box, or a ring drawn round the answer,
is no part of the number inside it.

An outline is a component that holds writing (another component within its box, a good part of
its height) and has almost no ink of its own (INK_IN_MIDDLE) in its middle: inside the
quadrilateral of its outermost points (top-left, top-right, bottom-right, bottom-left), shrunk
about its centre. A face keeps its eyes and mouth: they are too small to be writing.
"""
import numpy as np

from .layout import largest

HOLDS = 0.3  # an outline holds at least one component this tall (times its own height): writing, not a face's eyes
MIDDLE = 0.7  # its outermost points' quadrilateral, shrunk to this share about its centre, holds...
INK_IN_MIDDLE = 0.02  # ...at most this share of its ink


def outlines(components, labels):
    """The numbers of the components that are outlines round writing, among the largest ones
    (`layout.largest`: the layout looks at no more). `labels` is the components' label image (H, W)."""
    order = largest(components)
    boxes = components.boxes[order]  # (M, 4): x0, y0, x1, y1
    heights = boxes[:, 3] - boxes[:, 1]  # (M,)
    found = []
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        held = ((boxes[:, 0] > x0) & (boxes[:, 1] > y0) & (boxes[:, 2] < x1) & (boxes[:, 3] < y1)
                & (heights >= HOLDS * heights[k]))
        if held.any() and _hollow(labels[y0:y1, x0:x1] == order[k]):
            found.append(int(order[k]))
    return found


def _hollow(ink):
    """Whether at most INK_IN_MIDDLE of the ink (H, W) bool lies in its middle: the quadrilateral of
    its outermost points (the extremes of x + y and x - y), shrunk to MIDDLE about its centre."""
    ys, xs = np.nonzero(ink)
    corners = np.array([[xs[k], ys[k]] for k in (np.argmin(xs + ys), np.argmax(xs - ys),
                                                  np.argmax(xs + ys), np.argmin(xs - ys))], float)  # (4, 2)
    centre = corners.mean(axis=0)
    middle = centre + MIDDLE * (corners - centre)  # (4, 2)
    return _within(middle, xs, ys).mean() <= INK_IN_MIDDLE


def _within(corners, xs, ys):
    """(N,) bool: which points lie inside the convex quadrilateral `corners` (4, 2), in order."""
    edges = np.roll(corners, -1, axis=0) - corners  # (4, 2)
    cross = (edges[:, 0, None] * (ys[None] - corners[:, 1, None])
             - edges[:, 1, None] * (xs[None] - corners[:, 0, None]))  # (4, N): which side of each edge
    return (cross >= 0).all(axis=0) | (cross <= 0).all(axis=0)
