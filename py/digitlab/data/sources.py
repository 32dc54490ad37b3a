"""What `--data` names: the MNIST store, another .npz image store, or an image folder.

`mnist` and `mnist-test` both name the MNIST store (or $DIGITLAB_MNIST): a store
keeps its own split, `train` learns from its train images and `eval` scores
its test images. A folder given to `train` holds out images of each label for
validation (folder.hold_out), unless a validation folder is given; a folder given to
`eval` is a test set, all of it.
"""
import functools
import os

from .. import builtin
from ..errors import DigitlabError
from .folder import hold_out, read_folder
from .store import THE_MODELS, THE_TRAINING_FOLDERS, UNREADABLE_STORE, known_labels_only, load_set, load_sets

MNIST_STORE = os.path.join(builtin.OUTPUT, builtin.DIGITS)
MNIST_TRAIN, MNIST_TEST = "mnist", "mnist-test"


def training_sets(data, skip, val=None):
    """-> (train, validation) ImageSets, the validation set None when there is nothing to validate on.

    `skip(path, reason)` receives every file not used. A validation folder's labels are matched to
    the training labels by name; images of a label training lacks are skipped.
    """
    if data == MNIST_TEST:  # the name promises test digits, which are never trained on
        raise DigitlabError("%s is the MNIST test set; train with --data %s" % (MNIST_TEST, MNIST_TRAIN))
    if is_folder(data):
        images = read_folder(data, skip)
        if val is None:
            return hold_out(images)
        unknown = lambda label, reason: skip(os.path.join(val, label), reason)  # noqa: E731
        return images, known_labels_only(read_folder(val, skip), images.label_names, unknown, *THE_TRAINING_FOLDERS)
    if val is not None:
        raise DigitlabError("--val goes with a folder of images (--data DIR)")
    return _load(_store_path(data))


def test_set(data, skip, labels):
    """-> the ImageSet to score a model of `labels` on, relabelled into them; `skip(path, reason)`
    receives every file not used, and each label the model does not know (a folder's label folder)."""
    folder = is_folder(data)
    images = read_folder(data, skip) if folder else _load(_store_path(data), functools.partial(load_set, name="test"))
    unknown = lambda label, reason: skip(os.path.join(data, label) if folder else label, reason)  # noqa: E731
    return known_labels_only(images, labels, unknown, *THE_MODELS)


def is_folder(data):
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


def _load(path, read=load_sets):
    """`read(path)`: by default (train, test) of the image store at `path`."""
    try:
        return read(path)
    except UNREADABLE_STORE as err:
        raise DigitlabError("%s is not a digitlab image store (a .npz of images and labels): %s" % (path, err))
