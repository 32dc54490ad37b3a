"""Image folders as data sets: DIR/<label>/<image files>, one sub-folder per label.

Every image goes through the app's own MNIST-style preprocessing, so a model
trained here sees what it will see when it predicts. A file that cannot be
used is skipped with a one-line warning; a folder that gives nothing to learn
from is refused with a DigitlabError.
"""
import os

import numpy as np

from ..errors import DigitlabError
from ..preprocess import normalise
from .images import decode_image
from .store import ImageSet

HOLD_OUT_EVERY = 5  # hold_out keeps 1 image in 5 of each label for testing


def read_folder(root, warn):
    """Read every image under `root` -> ImageSet (uint8 28x28), labels = sorted sub-folder names.

    `warn` is called with one line for each file skipped (e.g. `list.append`).
    """
    if not os.path.isdir(root):
        raise DigitlabError("no image folder at %s" % root)
    entries = _visible(root)
    if not entries:
        raise DigitlabError("%s is empty: it needs one sub-folder of images per label" % root)
    labels = [name for name in entries if os.path.isdir(os.path.join(root, name))]
    if not labels:
        raise DigitlabError("%s has no label sub-folders: put the images of each label in a sub-folder "
                            "named after the label" % root)
    for name in entries:
        if name not in labels:
            warn("skipped %s: not inside a label sub-folder" % os.path.join(root, name))
    images, targets = [], []
    for index, label in enumerate(labels):
        digits = _read_label_folder(os.path.join(root, label), warn)
        images.extend(digits)
        targets.extend([index] * len(digits))
    return ImageSet(np.stack(images), targets, labels)


def hold_out(image_set, every=HOLD_OUT_EVERY):
    """Split -> (train, held_out): every `every`-th image of each label, in file order, is held out.

    Deterministic and stratified, so each label with at least `every` images
    is tested in proportion.
    """
    held = np.zeros(len(image_set), dtype=bool)
    for label in range(len(image_set.label_names)):
        members = np.flatnonzero(image_set.labels == label)
        held[members[every - 1::every]] = True
    return image_set.subset(~held), image_set.subset(held)


def read_digit(path):
    """One image file -> uint8 (28, 28) ink image, as preprocessed for the network."""
    if os.path.isdir(path):
        raise DigitlabError("a folder inside a label folder (only image files are read)")
    with open(path, "rb") as f:
        gray, _ = decode_image(f.read())
    return ink_digit(gray)


def ink_digit(gray):
    """A grayscale image (1 = white) -> uint8 (28, 28) ink image, as preprocessed for the network."""
    ink, _ = normalise(gray)
    return np.rint(ink * 255).astype(np.uint8)


def _visible(folder):
    """Sorted entry names, without hidden ones (.DS_Store, .git, ...)."""
    try:
        names = os.listdir(folder)
    except OSError as err:
        raise DigitlabError("cannot read the folder %s: %s" % (folder, _reason(err)))
    return sorted(name for name in names if not name.startswith("."))


def _read_label_folder(folder, warn):
    digits = []
    for name in _visible(folder):
        path = os.path.join(folder, name)
        try:
            digits.append(read_digit(path))
        except (OSError, DigitlabError) as err:
            warn("skipped %s: %s" % (path, _reason(err)))
    if not digits:
        raise DigitlabError("label folder %s has no readable image" % folder)
    return digits


def _reason(err):
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return str(err)
