"""A folder given to the page (dropped or chosen), image by image.

The page sends the folder's relative paths first; FolderImages (folder.py) says which files
are images of which label, by the rules a folder on disk follows. The browser decodes each of
those files (Pillow in Pyodide 0.17 cannot read JPEG), and the pixels come back here.
"""
from ..errors import DigitlabError
from .folder import FolderImages, hidden

MAX_FILES = 20000


class FolderUpload(FolderImages):
    def __init__(self, paths):
        parts = [_parts(path) for path in _checked(paths)]
        self.name = None
        shown = [p for p in parts if not any(hidden(name) for name in p)]  # a Mac zip adds __MACOSX/ beside
        if shown and len({p[0] for p in shown}) == 1 and all(len(p) > 1 for p in shown):
            self.name = shown[0][0]  # the folder itself was given: it names the data set
            parts = [p[1:] if p[0] == self.name else p for p in parts]
        self.skipped = []  # [{"file", "reason"}]
        super().__init__(["/".join(p) for p in parts], self._skipped)

    def _skipped(self, path, reason):
        self.skipped.append({"file": path, "reason": reason})


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
