"""Decoding untrusted image bytes with Pillow, refusing oversized images first."""
import functools
import importlib
import io
import os
import stat
import warnings

import numpy as np
from PIL import Image, ImageOps

from ..errors import BadImageError, ImageTooLargeError

MAX_PIXELS = 24000000  # 24 MP for a full decode (Pillow's, a browser's): a 12-20 MP phone photo passes, a bomb does not
MAX_REDUCED_PIXELS = 100000000  # a JPEG the page's browser decodes straight to a reduced size: up to 100 MP
REDUCED_FORMATS = ("JPEG", "MPO")  # what a browser's ImageDecoder decodes at a fraction of its size
MAX_BYTES = 30 * 1024 * 1024
WORKING_SIDE = 1024  # larger images are reduced to this before analysis
NOT_AN_IMAGE = "This file is not an image that can be read (PNG, JPEG, GIF, BMP or WebP)."
DAMAGED = "The image file is damaged or truncated and cannot be decoded."
NOT_A_FILE = "This is not a file (a folder, a pipe or a device): give an image file."
# The formats Pillow is let open, by the plugin that opens each: those browsers decode (JPEG's opener
# opens MPO too; AVIF where this Pillow reads it), and TIFF and PPM, which the CLI reads. Their openers
# read the header alone; Pillow's ICO opener, for one, decodes the largest picture inside (a
# 13000x13000 PNG in a 0.7 MB icon) before any limit of ours is checked.
READ_FORMATS = {"PNG": "PngImagePlugin", "JPEG": "JpegImagePlugin", "GIF": "GifImagePlugin", "BMP": "BmpImagePlugin",
                "WEBP": "WebPImagePlugin", "AVIF": "AvifImagePlugin", "TIFF": "TiffImagePlugin", "PPM": "PpmImagePlugin"}
# The formats every browser we serve decodes; any other whose header Pillow reads (TIFF, say) the
# CLI reads, but a browser may not: then it is named, not called damaged.
BROWSER_FORMATS = ("PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP")
NOT_IN_THIS_BROWSER = "This browser cannot open %s pictures (or the file is damaged): PNG, JPEG, GIF, BMP and WebP can be read."
NOT_WITH_THIS_PILLOW = "%s pictures cannot be read here (this Pillow has no decoder for them): save the picture as PNG or JPEG."
ORIENTATION = 0x0112  # the EXIF tag saying how the camera was held: 5-8 mean stored on its side
HEIF_BRANDS = {b"avif": "AVIF", b"avis": "AVIF", b"heic": "HEIC", b"heix": "HEIC", b"heim": "HEIC",
               b"heis": "HEIC"}  # a HEIF file's brands that say which format it holds
LUMA = (0.299, 0.587, 0.114)  # how red, green and blue weigh in a gray (ITU-R 601), as Pillow's "L" converts


def read_image_file(path):
    """The bytes of the file at `path`, for open_image: what is not a regular file (a folder; a pipe
    or a device, which would be waited on or read forever) and a file past MAX_BYTES are refused
    from what the file system says, before a byte is read. A missing or unreadable file raises the
    OSError open() does."""
    found = os.stat(path)
    if not stat.S_ISREG(found.st_mode):
        raise BadImageError(NOT_A_FILE)
    _within_bytes(found.st_size)
    with open(path, "rb") as f:
        return f.read(MAX_BYTES + 1)  # one more: a file that grew meanwhile is still refused


def open_image(data, max_pixels=MAX_PIXELS):
    """Read only the header of image bytes: -> a lazy PIL image of at most `max_pixels` (None: the
    caller checks its size).

    Nothing is decoded here, so a decompression bomb is refused before it
    costs memory.
    """
    if not data:
        raise BadImageError("The file is empty.")
    _within_bytes(len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is lower
            image = Image.open(io.BytesIO(data), formats=_openers())
    except Image.DecompressionBombError:
        raise ImageTooLargeError("The image has too many pixels to open safely.")
    except Exception:
        raise BadImageError(NOT_AN_IMAGE)
    if max_pixels is not None:
        _within_limits(image.size, max_pixels)
    return image


def header(data, reduces_jpeg=False):
    """((W, H), format) of image bytes as the browser will decode them, from the header alone: at
    most MAX_REDUCED_PIXELS for a JPEG when the browser decodes JPEGs straight to a reduced size
    (`reduces_jpeg`: Chromium's ImageDecoder), else MAX_PIXELS, as createImageBitmap decodes every
    pixel before it reduces them.

    A format this Pillow lacks (WebP and AVIF in Pyodide 0.17's) is sized from its own header, by
    signature, and vetted like any other.
    """
    try:
        image = open_image(data, max_pixels=None)  # its limit depends on its kind: checked below
        size, kind = oriented_size(image), image.format
    except BadImageError:
        kind, size = sniffed(data)
        if size is None:
            raise
    reduced = reduces_jpeg and kind in REDUCED_FORMATS
    return _within_limits(size, MAX_REDUCED_PIXELS if reduced else MAX_PIXELS), kind


def fully_decodable(size):
    """Whether a picture of `size` (W, H) may be decoded pixel for pixel: a JPEG past MAX_PIXELS that
    the browser's reducing decoder cannot read is not handed to its full decoder."""
    width, height = size
    return width * height <= MAX_PIXELS


def undecodable(kind):
    """What to say when the browser cannot decode a picture of format `kind` (`header`'s) whose
    header was vetted: DAMAGED for a format every browser decodes, else that this browser cannot
    open that format."""
    return DAMAGED if kind in BROWSER_FORMATS else NOT_IN_THIS_BROWSER % kind


def sniffed(data):
    """(format, (W, H)) from a WebP, AVIF or HEIC header (the size None where it holds none); (None,
    None) for any other bytes. Safari decodes HEIC, an iPad's own photos, where Chromium does not."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP", _webp_size(data[12:30])
    kind = _heif_kind(data)
    if kind:
        return kind, _heif_size(data[:1 << 16])  # its boxes that say what it holds come first
    return None, None


def _heif_kind(data):
    """"HEIC" or "AVIF" from a HEIF file's ftyp box: its major brand, or else the first compatible
    brand that names one (a generic "mif1" file lists "heic" or "avif" after it); None for other bytes."""
    if data[4:8] != b"ftyp":
        return None
    end = min(int.from_bytes(data[:4], "big"), 256)
    brands = [data[8:12]] + [data[i:i + 4] for i in range(16, end - 3, 4)]  # minor version at 12-16
    return next((HEIF_BRANDS[brand] for brand in brands if brand in HEIF_BRANDS), None)


def _heif_size(head):
    """(W, H) of a HEIF file as shown, from its first bytes; None when they say none. A phone's photo
    is a grid of 512x512 tiles, each with its image spatial extents box (ispe: version, flags, W, H),
    and the grid's, the whole picture's, is the largest; an irot box turning it a quarter swaps W and H."""
    sizes = []
    at = head.find(b"ispe")
    while at >= 0 and len(head) >= at + 16:
        sizes.append((int.from_bytes(head[at + 8:at + 12], "big"), int.from_bytes(head[at + 12:at + 16], "big")))
        at = head.find(b"ispe", at + 4)
    if not sizes:
        return None
    width, height = max(sizes, key=lambda size: size[0] * size[1])
    turn = head.find(b"irot")
    quarter = 0 <= turn < len(head) - 4 and head[turn + 4] & 3 in (1, 3)  # anticlockwise, in quarter turns
    return (height, width) if quarter else (width, height)


def _webp_size(chunk):
    """(W, H) from a WebP file's first chunk (its bytes 12 to 30): lossy, lossless or extended."""
    kind, body = chunk[:4], chunk[8:]
    if kind == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        return int.from_bytes(body[6:8], "little") & 0x3FFF, int.from_bytes(body[8:10], "little") & 0x3FFF
    if kind == b"VP8L" and body[:1] == b"\x2f":
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(body) >= 10:
        return int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1
    return None


@functools.lru_cache(maxsize=1)
def _openers():
    """READ_FORMATS that this Pillow has an opener for, their plugins imported (not all of Pillow's, as
    Image.init would: some forty modules for the page's engine to load on its first picture); a format
    it lacks (AVIF before Pillow 11.2) would end Image.open's search with a KeyError."""
    for kind, plugin in READ_FORMATS.items():
        if kind not in Image.OPEN:
            try:
                importlib.import_module("PIL." + plugin)
            except ImportError:
                pass
    return tuple(kind for kind in READ_FORMATS if kind in Image.OPEN)


def _within_bytes(count):
    if count > MAX_BYTES:
        tenths = -(-count * 10 // 2 ** 20)  # rounded up, as the page says it (py/ui/view.upload_problem)
        raise ImageTooLargeError("The file is %d.%d MB; the limit is %d MB." % (tenths // 10, tenths % 10,
                                                                               MAX_BYTES // 2 ** 20))


def _within_limits(size, max_pixels):
    width, height = size
    if width * height > max_pixels:
        raise ImageTooLargeError("The image is %dx%d pixels; the limit is %d megapixels."
                                 % (width, height, max_pixels // 10 ** 6))
    if width < 1 or height < 1:
        raise BadImageError("The image is empty.")
    return size


def oriented_size(image):
    """(W, H) of the picture as it is meant to be seen: a phone stores a portrait photo on its
    side, with an EXIF note to turn it (which browsers follow when they show or decode it)."""
    width, height = image.size
    return (height, width) if _orientation(image) in (5, 6, 7, 8) else (width, height)


def _orientation(image):
    """The EXIF orientation of a JPEG (read with its header); 1 (as stored) for other formats, whose
    EXIF Pillow would find only by decoding the pixels."""
    if image.format not in ("JPEG", "MPO"):
        return 1
    try:
        return int(image.getexif().get(ORIENTATION, 1))
    except Exception:  # a damaged EXIF block: the picture as stored
        return 1


def decode_image(data):
    """Image bytes -> (float32 grayscale (H, W) in [0, 1] with 1 = white, original (W, H)),
    turned as its EXIF orientation says.

    Transparency is composited onto a backdrop: white, or black behind light ink on a clear sheet.
    A format known by its header that Pillow cannot open (HEIC, an iPhone's photos) is named.
    """
    try:
        image = open_image(data)
    except BadImageError:
        kind, _ = sniffed(data)
        if kind is None:
            raise
        raise BadImageError(NOT_WITH_THIS_PILLOW % kind)
    size = oriented_size(image)  # before _to_gray: a JPEG draft shrinks image.size
    return _to_gray(image), size


def _to_gray(image):
    try:
        image.draft("L", (WORKING_SIDE, WORKING_SIDE))  # JPEG: decode at reduced size
        image.load()
        if _orientation(image) != 1:
            image = ImageOps.exif_transpose(image)
        image = _to_8_bits(image)  # first: converting 16 bits to RGBA clips them, and a 16-bit clear shade with them
        if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            shade = round(255 * _backdrop_of(rgba))
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, (shade, shade, shade, 255)), rgba)
        image = image.convert("L")
        if max(image.size) > WORKING_SIDE:
            image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.BILINEAR)
    except Exception:
        raise BadImageError(DAMAGED)
    return np.asarray(image, dtype=np.float32) / 255.0


def _to_8_bits(image):
    """A grayscale image of more than 8 bits scaled to 8: Pillow's convert would clip it, and all but
    the blackest ink would read as white (a scanner's 16-bit PNG), or all of it as black (a float
    TIFF in [0, 1]). Integers are 16-bit unless they go past it; floats are in [0, 1] unless they
    go past 1, then in [0, 255]; a float that is no number (NaN) is white. The shade a PNG's tRNS
    chunk makes clear is scaled with them."""
    if not (image.mode.startswith("I") or image.mode == "F"):
        return image
    values = np.asarray(image, dtype=np.float32)  # (H, W)
    if image.mode == "F":
        values = np.nan_to_num(values, nan=np.inf)
        full = 1.0 if values[np.isfinite(values)].max(initial=0.0) <= 1.0 else 255.0
    else:
        full = 65535.0 if values.max() <= 65535 else 2.0 ** 31 - 1
    eight = Image.fromarray(np.uint8(np.clip(np.round(values * np.float32(255 / full)), 0, 255)))
    clear = image.info.get("transparency")
    if isinstance(clear, (int, float)):
        eight.info["transparency"] = int(np.clip(round(clear * 255 / full), 0, 255))
    return eight


def backdrop(gray, alpha):
    """The shade (1 white, 0 black) to lay a picture with transparency on, from its grayscale and
    alpha (H, W) in [0, 1]: white, as a canvas export's dark ink on a clear sheet needs, unless the
    picture is mostly clear and what is drawn on it is light (white chalk would vanish on white)."""
    weight = alpha.sum()
    if weight >= 0.5 * alpha.size or weight == 0:  # mostly opaque: a picture, its clear parts margins
        return 1.0
    return 0.0 if (gray * alpha).sum() / weight > 0.5 else 1.0


def _backdrop_of(rgba):
    """`backdrop` of a Pillow RGBA image, judged on a small copy (resizing weighs colour by alpha)."""
    small = np.asarray(rgba.resize((min(rgba.width, 128), min(rgba.height, 128)), Image.BOX), np.float32) / 255
    gray = small[..., 0] * LUMA[0] + small[..., 1] * LUMA[1] + small[..., 2] * LUMA[2]  # (h, w)
    return backdrop(gray, small[..., 3])


def rgba_to_gray(rgba, width, height):
    """Canvas pixels (RGBA bytes, row-major) -> float32 grayscale (H, W), on `backdrop` where clear."""
    pixels = np.frombuffer(rgba, dtype=np.uint8)
    if pixels.size != width * height * 4:
        raise BadImageError("The canvas sent %d bytes for %dx%d pixels." % (pixels.size, width, height))
    pixels = pixels.reshape(height, width, 4)  # uint8: a float copy of all four channels is 16 bytes a pixel
    gray = pixels[..., 0] * np.float32(LUMA[0] / 255)  # (H, W) float32
    gray += pixels[..., 1] * np.float32(LUMA[1] / 255)
    gray += pixels[..., 2] * np.float32(LUMA[2] / 255)
    if pixels[..., 3].min() == 255:  # opaque, as photos and camera frames are
        return gray
    alpha = pixels[..., 3] * np.float32(1 / 255)
    return gray * alpha + np.float32(backdrop(gray, alpha)) * (1.0 - alpha)
