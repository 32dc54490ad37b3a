"""Image folders as data sets: DIR/<label>/<image files>, one sub-folder per label.

`FolderImages` holds the rules, for a folder on disk (`read_folder`) and for one given to the
page (upload.py) alike: which file is an image of which label, which is left out and why. Every
image goes through the app's own MNIST-style preprocessing, so a model trained here sees what it
will see when it predicts. A file that cannot be used is skipped, with its reason; a folder that
gives nothing to learn from is refused with a DigitlabError.
"""
import os

import numpy as np

from ..errors import DigitlabError, EmptyImageError
from ..preprocess import normalise
from .images import decode_image, read_image_file
from .store import UNSURE, ImageSet

HOLD_OUT_EVERY = 5  # hold_out keeps 1 image in 5 of each label for testing
NO_IMAGE = "no readable image: the label is left out"
LOOP = "a link to a folder it is in: not followed (its images would be read again and again)"
UNSURE_LABEL = "a label cannot be %s, which a reading says when not sure: rename the folder" % UNSURE


class FolderImages:
    """A folder's files, by their paths inside it ("label/…/name.png"), sorted into labels.

    The first name of a path is its label: images in folders nested inside a label folder belong
    to that label. `skip(path, reason)` (kept as .skip) is told of everything not used: hidden files (.DS_Store,
    ._photo.jpg), files outside the label folders, a label folder named UNSURE, images that cannot
    be read (`skip_file`), and a label folder with no readable image (that label is left out, the
    rest trained).
    """

    def __init__(self, paths, skip, folders=(), where="The folder"):
        self.paths, self.skip, self.where = paths, skip, where
        self.planned = {}  # file index -> label name
        tops = set(folders)  # the names of the folders in it, with images or not
        for index, path in enumerate(paths):
            names = path.split("/")
            if len(names) > 1:
                tops.add(names[0])
            if any(hidden(name) for name in names):
                skip(path, "hidden")
            elif len(names) == 1:
                skip(path, "not inside a label sub-folder")
            elif names[0] != UNSURE:  # its files are left out with it, below
                self.planned[index] = names[0]
        named_unsure = UNSURE in tops
        if named_unsure:
            skip(UNSURE, UNSURE_LABEL)
        self.labels = sorted((set(folders) | set(self.planned.values())) - {UNSURE})
        if not self.labels:
            raise DigitlabError("%s has no label sub-folders%s: put the images of each label in a sub-folder "
                                "named after the label." % (where, " but one named %s" % UNSURE if named_unsure else ""))
        self.digits = {}  # file index -> uint8 (28, 28)

    def add(self, index, gray):
        """The grayscale image (1 = white) of planned file `index`; one with no ink is skipped."""
        if index not in self.planned:
            raise DigitlabError("File %r is not one of the folder's images." % index)
        try:
            self.digits[index] = ink_digit(gray)
        except EmptyImageError as err:
            self.skip_file(index, str(err))

    def skip_file(self, index, reason):
        self.skip(self.paths[index], reason)

    def image_set(self):
        """-> ImageSet of the images read, labels in name order, images in path order within each."""
        found = [label for label in self.labels if label in {self.planned[i] for i in self.digits}]
        for label in self.labels:
            if label not in found:
                self.skip(label, NO_IMAGE)
        if not found:
            raise DigitlabError("%s has no label folder with a readable image." % self.where)
        kept = sorted(self.digits, key=lambda i: (found.index(self.planned[i]), self.paths[i]))
        return ImageSet(np.stack([self.digits[i] for i in kept]), [found.index(self.planned[i]) for i in kept], found)


def read_folder(root, skip):
    """Read every image under `root` -> ImageSet (uint8 28x28), labels = sorted sub-folder names.

    `skip(path, reason)` is called, with paths under `root`, for everything not used (FolderImages).
    """
    if not os.path.isdir(root):
        raise DigitlabError("no image folder at %s" % root)
    names = [name for name in _listed(root) if not hidden(name)]
    if not names:
        raise DigitlabError("%s is empty: it needs one sub-folder of images per label" % root)
    loops = []  # the links that lead back into the folder: no label folders, said once each
    files = _files(root, "", (), loops.append)
    labels = [name for name in names if os.path.isdir(os.path.join(root, name)) and name not in loops]
    for path in loops:
        skip(os.path.join(root, path), LOOP)
    folder = FolderImages(files, lambda path, reason: skip(os.path.join(root, path), reason), labels, where=root)
    for index in sorted(folder.planned):
        try:
            gray, _ = decode_image(read_image_file(os.path.join(root, folder.paths[index])))
            folder.add(index, gray)
        except (OSError, DigitlabError) as err:
            folder.skip_file(index, _reason(err))
    return folder.image_set()


def _files(root, inside, entered, loop):
    """Paths ("a/b.png") of the files under root/inside, and of its hidden folders, not entered.

    A folder is entered by its real path once on each branch (`entered`: those of the folders it is
    in): a link to itself or to a folder it is in would repeat its images ever deeper, and two such
    links make the walk last for ever. Such a link is told to `loop(path)` and not followed.
    """
    entered = entered + (os.path.realpath(os.path.join(root, inside)),)
    found = []
    for name in _listed(os.path.join(root, inside)):
        path = inside + name
        if not os.path.isdir(os.path.join(root, path)) or hidden(name):
            found.append(path)
        elif os.path.realpath(os.path.join(root, path)) in entered:
            loop(path)
        else:
            found.extend(_files(root, path + "/", entered, loop))
    return found


def hold_out(image_set, every=HOLD_OUT_EVERY):
    """Split -> (train, held_out): every `every`-th image of each label, in file order, is held out;
    held_out is None where no label has `every` images (nothing to test on).

    Deterministic and stratified, so each label with at least `every` images
    is tested in proportion.
    """
    held = np.zeros(len(image_set), dtype=bool)
    for label in range(len(image_set.label_names)):
        members = np.flatnonzero(image_set.labels == label)
        held[members[every - 1::every]] = True
    return image_set.subset(~held), (image_set.subset(held) if held.any() else None)


def ink_digit(gray):
    """A grayscale image (1 = white) -> uint8 (28, 28) ink image, as preprocessed for the network."""
    ink, _ = normalise(gray)
    return np.rint(ink * 255).astype(np.uint8)


def hidden(name):
    return name.startswith(".") or name == "__MACOSX"  # .DS_Store, ._photo.jpg, .git; a Mac zip's extras


def _listed(folder):
    try:
        return sorted(os.listdir(folder))
    except OSError as err:
        raise DigitlabError("cannot read the folder %s: %s" % (folder, _reason(err)))


def _reason(err):
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return str(err)
