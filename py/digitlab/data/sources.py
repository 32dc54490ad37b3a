"""What `--data` names: the MNIST store, another .npz image store, or an image folder.

`mnist` and `mnist-test` both name the MNIST store (or $DIGITLAB_MNIST): a store
keeps its own split, `train` learns from its train images and `eval` scores
its test images. A folder given to `train` holds out every fifth image of each
label for validation; a folder given to `eval` is a test set, all of it.
"""
import os
import zipfile

from ..errors import DigitlabError
from .folder import HOLD_OUT_EVERY, hold_out, read_folder
from .store import load_set

MNIST_STORE = os.path.join("build", "data", "mnist.npz")
MNIST_TRAIN, MNIST_TEST = "mnist", "mnist-test"


def training_sets(data, warn):
    """-> (train, held_out) ImageSets; `warn` receives a line per skipped file."""
    if data == MNIST_TEST:  # the name promises test digits, which are never trained on
        raise DigitlabError("%s is the MNIST test set; train with --data %s" % (MNIST_TEST, MNIST_TRAIN))
    if _is_folder(data):
        train, held_out = hold_out(read_folder(data, warn))
        if not len(held_out):
            raise DigitlabError("%s is too small to hold out test images: give a label at least %d images"
                                % (data, HOLD_OUT_EVERY))
        return train, held_out
    path = _store_path(data)
    return _load(path, "train"), _load(path, "test")


def test_set(data, warn):
    """-> the ImageSet to score a model on; `warn` receives a line per skipped file."""
    if _is_folder(data):
        return read_folder(data, warn)
    return _load(_store_path(data), "test")


def _is_folder(data):
    return data not in (MNIST_TRAIN, MNIST_TEST) and os.path.isdir(data)


def _store_path(data):
    if data in (MNIST_TRAIN, MNIST_TEST):
        path = os.environ.get("DIGITLAB_MNIST", MNIST_STORE)
        if not os.path.isfile(path):
            raise DigitlabError("no MNIST store at %s (run `python build.py` to make it)" % path)
        return path
    if not os.path.isfile(data):
        raise DigitlabError("no data set at %s: give mnist, an image folder or a .npz image store" % data)
    return data


def _load(path, split):
    try:
        return load_set(path, split)
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
        raise DigitlabError("%s is not a digitlab image store (a .npz with %s images)" % (path, split))
