"""Image folders as data sets: DIR/<label>/<image files>, one sub-folder per label.

Every image goes through the app's own MNIST-style preprocessing, so a model
trained here sees what it will see when it predicts. A file that cannot be
used is skipped, with its reason; a folder that gives nothing to learn from is
refused with a DigitlabError.
"""
import os

import numpy as np

from ..errors import DigitlabError
from ..preprocess import normalise
from .images import decode_image
from .store import ImageSet

HOLD_OUT_EVERY = 5  # hold_out keeps 1 image in 5 of each label for testing


def read_folder(root, skip):
    """Read every image under `root` -> ImageSet (uint8 28x28), labels = sorted sub-folder names.

    Images in folders nested inside a label folder belong to that label. `skip(path, reason)` is
    called for everything not used: hidden files, files that are not images, files outside the label
    folders, and a label folder with no readable image (that label is left out, the rest trained).
    """
    if not os.path.isdir(root):
        raise DigitlabError("no image folder at %s" % root)
    entries = _listed(root)
    if not [name for name in entries if not _hidden(name)]:
        raise DigitlabError("%s is empty: it needs one sub-folder of images per label" % root)
    labels = [name for name in entries if not _hidden(name) and os.path.isdir(os.path.join(root, name))]
    if not labels:
        raise DigitlabError("%s has no label sub-folders: put the images of each label in a sub-folder "
                            "named after the label" % root)
    for name in entries:
        if _hidden(name):
            skip(os.path.join(root, name), "hidden")
        elif name not in labels:
            skip(os.path.join(root, name), "not inside a label sub-folder")
    per_label = [(label, _read_label_folder(os.path.join(root, label), skip)) for label in labels]
    for label, digits in per_label:
        if not digits:
            skip(os.path.join(root, label), "no readable image: the label is left out")
    per_label = [(label, digits) for label, digits in per_label if digits]
    if not per_label:
        raise DigitlabError("no label folder in %s has a readable image" % root)
    images = [digit for _, digits in per_label for digit in digits]
    targets = [index for index, (_, digits) in enumerate(per_label) for _ in digits]
    return ImageSet(np.stack(images), targets, [label for label, _ in per_label])


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
    with open(path, "rb") as f:
        gray, _ = decode_image(f.read())
    return ink_digit(gray)


def ink_digit(gray):
    """A grayscale image (1 = white) -> uint8 (28, 28) ink image, as preprocessed for the network."""
    ink, _ = normalise(gray)
    return np.rint(ink * 255).astype(np.uint8)


def _hidden(name):
    return name.startswith(".")  # .DS_Store, ._photo.jpg, .git


def _listed(folder):
    try:
        return sorted(os.listdir(folder))
    except OSError as err:
        raise DigitlabError("cannot read the folder %s: %s" % (folder, _reason(err)))


def _read_label_folder(folder, skip):
    """The digits of every image in `folder` and the folders inside it, in path order."""
    digits = []
    for name in _listed(folder):
        path = os.path.join(folder, name)
        if _hidden(name):
            skip(path, "hidden")
        elif os.path.isdir(path):
            digits.extend(_read_label_folder(path, skip))
        else:
            try:
                digits.append(read_digit(path))
            except (OSError, DigitlabError) as err:
                skip(path, _reason(err))
    return digits


def _reason(err):
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return str(err)
