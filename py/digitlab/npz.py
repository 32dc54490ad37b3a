"""Plain arrays from an untrusted .npz (a model file, an image store).

Every size is checked before anything is unpacked or allocated, from the zip's directory and
each array's header, and nothing but plain arrays is read: never a pickle, so never code.
"""
import io
import zipfile

import numpy as np

# What an .npz that is no zip at all raises: empty (EOFError), damaged (BadZipFile), unreadable (OSError).
NOT_A_ZIP = (zipfile.BadZipFile, OSError, EOFError)


class Refused(ValueError):
    """An .npz refused for what it holds; the message says why, as a predicate ("would unpack to ...")."""


def source_bytes(source):
    """The bytes of an archive given as a path, or as bytes (bytes, bytearray or memoryview)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    with open(source, "rb") as f:
        return f.read()


def read_arrays(data, max_unpacked, names=None):
    """{name: array} of the .npz bytes `data` (only `names`, when given); raises Refused, or one of
    NOT_A_ZIP. Refused when its members would unpack to more than `max_unpacked` bytes (a zip bomb),
    when one is no plain array, or when an array's header declares more numbers than it holds."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        if unpacked > max_unpacked:
            raise Refused("would unpack to %d MB, more than %d MB" % (unpacked >> 20, max_unpacked >> 20))
        wanted = [member for member in members if names is None or member.filename[:-len(".npy")] in names]
        return {member.filename[:-len(".npy")]: _member_array(archive, member) for member in wanted}


def _member_array(archive, member):
    """One member's array; zipfile reads no more than the member's declared size."""
    if not member.filename.endswith(".npy"):
        raise Refused("holds something other than plain arrays")
    with archive.open(member) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise Refused("holds something other than plain arrays (an array of format version %d.%d)" % version)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(f)
    if dtype.hasobject:
        raise Refused("holds something other than plain arrays (objects)")
    count = 1
    for size in shape:  # Python's integers: a declared size cannot overflow
        count *= size
    if count * dtype.itemsize > member.file_size:
        raise Refused("is damaged: the array %s declares more numbers than it holds" % member.filename)
    with archive.open(member) as f:
        return np.lib.format.read_array(f, allow_pickle=False)
