"""Folders as zip files: drawn classes leave the page as one, and a zip given back is read as the
folder it holds (a tablet hands the page files, not folders).

Python's zipfile does the format; here are only the limits that keep a hostile zip from filling
a tab's memory: how many files, and how many bytes they expand to, counted as they are read.
"""
import io
import zipfile

from ..errors import DigitlabError
from .upload import MAX_FILES

# A folder's files (or what a zip expands to), held once by the trainer while it decodes them: with
# the page, both engines and training at their peak (tests/bench/bench_tablet_memory.py: ~170 MB
# without photos), this keeps a tab within a tablet's 400 MB.
MAX_FOLDER_BYTES = 128 * 2 ** 20
CHUNK = 1 << 20


def zipped(files):
    """[(path, bytes)] -> the bytes of a zip holding them at those paths (PNGs: stored, not deflated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path, data in files:
            archive.writestr(path, data)
    return buffer.getvalue()


def unzipped(data):
    """A zip's bytes -> [(path, bytes)] of the files in it (folders are implied by the paths).

    Refused with a reason: an empty file or a damaged zip, more than MAX_FILES files, more than MAX_FOLDER_BYTES
    once expanded (counted while reading: a zip's own sizes can lie), an encrypted file.
    """
    if not data:  # a file that never finished downloading, or an empty one renamed .zip
        raise DigitlabError("This zip file is empty (0 bytes).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise DigitlabError("This zip file is damaged and cannot be read.")
    if len(entries) > MAX_FILES:
        raise DigitlabError("The zip holds %d files; at most %d can be used here." % (len(entries), MAX_FILES))
    budget = [MAX_FOLDER_BYTES]
    return [(info.filename, _read(archive, info, budget)) for info in entries]


def _read(archive, info, budget):
    """One file's bytes, read a chunk at a time against the bytes left in `budget`."""
    if info.flag_bits & 0x1:
        raise DigitlabError("%s in the zip is encrypted; give a zip without a password." % info.filename)
    chunks = []
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    return b"".join(chunks)
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise DigitlabError("The zip expands to more than %d MB; at most that can be used here."
                                        % (MAX_FOLDER_BYTES // 2 ** 20))
                chunks.append(chunk)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError) as err:
        raise DigitlabError("%s in the zip cannot be read (%s)." % (info.filename, err))
