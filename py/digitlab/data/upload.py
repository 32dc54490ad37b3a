"""A folder given to the page (dropped or chosen), image by image.

The page sends the folder's relative paths first. FolderUpload says which files belong to
which label, by read_folder's rules (one sub-folder per label, hidden files ignored); the
browser decodes each of those files (Pillow in Pyodide 0.17 cannot read JPEG), and the
pixels come back here to be normalised as the app normalises every image.
"""
import numpy as np

from ..errors import DigitlabError
from .folder import ink_digit
from .store import ImageSet

MAX_FILES = 20000


class FolderUpload:
    def __init__(self, paths):
        parts = [_parts(path) for path in _checked(paths)]
        self.name = None
        if len({p[0] for p in parts}) == 1 and all(len(p) > 1 for p in parts):
            self.name = parts[0][0]  # the folder itself was given: it names the data set
            parts = [p[1:] for p in parts]
        self.paths = ["/".join(p) for p in parts]
        self.skipped = []
        visible = [(i, p) for i, p in enumerate(parts) if not any(part.startswith(".") for part in p)]
        self.labels = sorted({p[0] for _, p in visible if len(p) == 2})
        if not self.labels:
            raise DigitlabError("The folder has no label sub-folders: put the images of each label in a "
                                "sub-folder named after the label.")
        self.planned = {}  # file index -> label index
        for i, p in visible:
            if len(p) == 2:
                self.planned[i] = self.labels.index(p[0])
            else:
                self.skip(i, "a folder inside a label folder" if len(p) > 2 else "not inside a label sub-folder")
        self.digits = {}  # file index -> uint8 (28, 28)

    def add(self, index, gray):
        """The decoded grayscale image of planned file `index`."""
        if index not in self.planned:
            raise DigitlabError("File %r is not one of the folder's images." % index)
        self.digits[index] = ink_digit(gray)

    def skip(self, index, reason):
        self.skipped.append("%s: %s" % (self.paths[index], reason))

    def image_set(self):
        """-> ImageSet of the images read, in path order within each label."""
        kept = sorted(self.digits, key=lambda i: (self.planned[i], self.paths[i]))
        empty = [label for k, label in enumerate(self.labels) if k not in {self.planned[i] for i in kept}]
        if empty:
            raise DigitlabError("Label folder %s has no readable image." % empty[0])
        return ImageSet(np.stack([self.digits[i] for i in kept]), [self.planned[i] for i in kept], self.labels)


def _checked(paths):
    if not isinstance(paths, list) or not paths:
        raise DigitlabError("The folder is empty: it needs one sub-folder of images per label.")
    if len(paths) > MAX_FILES:
        raise DigitlabError("The folder holds %d files; at most %d can be used here." % (len(paths), MAX_FILES))
    if not all(isinstance(path, str) for path in paths):
        raise DigitlabError("The folder's file list is malformed.")
    return paths


def _parts(path):
    """A relative path's names; never '', '.' or '..' (a list from a browser has none)."""
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise DigitlabError("The folder's file list is malformed (%s)." % path)
    return parts
