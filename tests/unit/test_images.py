"""Decoding untrusted image bytes: real files made with Pillow, damaged files, bombs."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw, features

from digitlab.data.images import (MAX_BYTES, MAX_PIXELS, WORKING_SIDE, decode_image, header, rgba_to_gray,
                                   sniffed)
from digitlab.errors import BadImageError, ImageTooLargeError

RECT = (30, 20, 69, 39)  # x0, y0, x1, y1 (inclusive) of the stroke drawn in test images


def encode(image, fmt="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def drawing(mode, size=(120, 80), background="white", ink="black"):
    """A `mode` image of `size` with a filled rectangle at RECT."""
    image = Image.new(mode, size, background)
    ImageDraw.Draw(image).rectangle(RECT, fill=ink)
    return image


def stroke(gray):
    x0, y0, x1, y1 = RECT
    return gray[y0:y1 + 1, x0:x1 + 1]


def outside_stroke(gray):
    mask = np.ones(gray.shape, bool)
    x0, y0, x1, y1 = RECT
    mask[y0:y1 + 1, x0:x1 + 1] = False
    return gray[mask]


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_claiming(width, height):
    """A well-formed PNG header declaring width x height, with pixel data that is not a zlib stream.

    Decoding it always fails, so a refusal that names the size shows the
    header was checked before any pixel was decoded.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", b"\xff" * 16) + png_chunk(b"IEND", b""))


def noisy_png():
    """A PNG whose pixel data is large and incompressible, so cutting it hits the middle of IDAT."""
    rng = np.random.default_rng(1)
    return encode(Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), "RGB"))


@pytest.mark.parametrize("mode, fmt", [("RGB", "PNG"), ("L", "PNG"), ("RGB", "BMP"), ("L", "GIF")])
def test_lossless_image_decodes_to_exact_gray_with_its_size(mode, fmt):
    gray, size = decode_image(encode(drawing(mode), fmt))
    assert size == (120, 80)
    assert gray.shape == (80, 120) and gray.dtype == np.float32
    assert np.all(stroke(gray) == 0.0)
    assert np.all(outside_stroke(gray) == 1.0)


@pytest.mark.parametrize("white, dtype", [(1.0, np.float32), (255.0, np.float32), (65535, np.int32),
                                          (2 ** 31 - 1, np.int32)])
def test_a_grayscale_tiff_of_more_than_8_bits_keeps_its_greys(white, dtype):
    """Float TIFFs in [0, 1] or [0, 255], 16-bit and 32-bit integer ones: ink, a grey half-way, and paper."""
    levels = np.ones((40, 60))
    levels[5:35, 10:14], levels[5:35, 30:34] = 0.0, 0.5
    gray, _ = decode_image(encode(Image.fromarray((levels * white).astype(dtype)), "TIFF"))
    assert gray[20, 12] == 0.0 and abs(gray[20, 32] - 0.5) < 0.01 and gray[20, 50] == 1.0


def test_a_float_tiff_pixel_that_is_no_number_is_paper():
    levels = np.ones((40, 60), np.float32)
    levels[5:35, 10:14], levels[:3, :3] = 0.0, np.nan
    gray, _ = decode_image(encode(Image.fromarray(levels), "TIFF"))
    assert gray[20, 12] == 0.0 and np.all(gray[:3, :3] == 1.0) and np.isfinite(gray).all()


def test_colour_is_converted_with_luminance_weights():
    gray, _ = decode_image(encode(drawing("RGB", ink=(255, 0, 0))))
    np.testing.assert_allclose(stroke(gray), 76 / 255.0, atol=1 / 255.0)  # 0.299 * 255


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_jpeg_decodes_close_to_the_drawing(mode):
    gray, size = decode_image(encode(drawing(mode), "JPEG", quality=95))
    assert size == (120, 80)
    assert stroke(gray).mean() < 0.05
    assert outside_stroke(gray).mean() > 0.95


def test_transparent_background_is_composited_on_white():
    image = drawing("RGBA", background=(0, 0, 0, 0), ink=(0, 0, 0, 255))  # a canvas export
    gray, size = decode_image(encode(image))
    assert size == (120, 80)
    assert np.all(stroke(gray) == 0.0)
    assert np.all(outside_stroke(gray) == 1.0)  # transparent black reads as paper, not ink


@pytest.mark.parametrize("ink", [(255, 255, 255, 255), (250, 235, 90, 255)], ids=["white", "yellow"])
def test_light_ink_on_a_clear_sheet_is_laid_on_black_not_lost_on_white(ink):
    image = drawing("RGBA", background=(0, 0, 0, 0), ink=ink)
    gray, _ = decode_image(encode(image))
    pixels = np.asarray(image).tobytes()
    for composited in (gray, rgba_to_gray(pixels, *image.size)):  # the CLI's decoding, the page's
        assert np.all(outside_stroke(composited) == 0.0) and np.all(stroke(composited) > 0.8)


def test_a_mostly_opaque_light_picture_keeps_white_behind_its_clear_margin():
    image = drawing("RGBA", background=(245, 240, 230, 255), ink=(20, 20, 20, 255))
    image.paste((0, 0, 0, 0), (0, 0, 120, 10))  # a clear strip: a cut-out photo's edge
    for composited in (decode_image(encode(image))[0], rgba_to_gray(np.asarray(image).tobytes(), *image.size)):
        assert np.all(composited[:10] == 1.0) and np.all(stroke(composited) < 0.1)


def test_half_transparent_ink_is_half_gray():
    gray, _ = decode_image(encode(drawing("RGBA", background=(0, 0, 0, 0), ink=(0, 0, 0, 128))))
    np.testing.assert_allclose(stroke(gray), 127 / 255.0, atol=1.5 / 255.0)


def test_palette_image_decodes():
    image = drawing("RGB", background=(250, 250, 250), ink=(10, 10, 10)).convert("P", palette=Image.ADAPTIVE)
    assert image.mode == "P"
    gray, size = decode_image(encode(image))
    assert size == (120, 80)
    np.testing.assert_allclose(stroke(gray), 10 / 255.0, atol=1 / 255.0)
    np.testing.assert_allclose(outside_stroke(gray), 250 / 255.0, atol=1 / 255.0)


def test_palette_transparent_index_is_composited_on_white():
    image = Image.new("P", (120, 80), 0)
    image.putpalette([0, 0, 0] * 256)  # every entry black; index 0 is the transparent one
    ImageDraw.Draw(image).rectangle(RECT, fill=1)
    gray, _ = decode_image(encode(image, transparency=0))
    assert np.all(stroke(gray) == 0.0)
    assert np.all(outside_stroke(gray) == 1.0)


@pytest.mark.parametrize("fmt, size", [("PNG", (3000, 2000)), ("JPEG", (4000, 3000))])
def test_large_image_is_reduced_but_reports_its_original_size(fmt, size):
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).rectangle((1000, 500, 1999, 1499), fill=0)
    gray, reported = decode_image(encode(image, fmt))
    assert reported == size
    assert max(gray.shape) == WORKING_SIDE
    assert gray.shape[1] / gray.shape[0] == pytest.approx(size[0] / size[1], rel=0.01)
    scale = WORKING_SIDE / max(size)
    centre = gray[int(1000 * scale), int(1500 * scale)]  # middle of the rectangle
    assert centre < 0.1


def test_text_is_not_an_image():
    with pytest.raises(BadImageError, match="not an image"):
        decode_image(b"hello, this is a text file\n" * 20)


def test_empty_bytes_are_not_an_image():
    with pytest.raises(BadImageError):
        decode_image(b"")


def test_png_cut_in_the_middle_is_refused():
    data = noisy_png()
    decode_image(data)  # the whole file is fine
    with pytest.raises(BadImageError, match="damaged or truncated"):
        decode_image(data[:len(data) // 2])


def test_png_with_damaged_pixel_data_is_refused():
    data = bytearray(noisy_png())
    start = data.index(b"IDAT") + 4
    data[start:start + 200] = bytes(200)  # zero the zlib header and the first deflate blocks
    with pytest.raises(BadImageError, match="damaged or truncated"):
        decode_image(bytes(data))


def test_header_only_png_cannot_be_decoded():
    """The control for the pixel-count tests: png_claiming's pixel data is really unusable."""
    with pytest.raises(BadImageError, match="damaged or truncated"):
        decode_image(png_claiming(100, 100))


@pytest.mark.parametrize("side", [8000, 10000, 20000])
def test_too_many_pixels_are_refused_before_decoding(side):
    # 8000: over our limit; 10000: also over Pillow's warning level; 20000: over its error level.
    assert side * side > MAX_PIXELS
    with pytest.raises(ImageTooLargeError):
        decode_image(png_claiming(side, side))


def test_real_8000x8000_png_is_refused():
    data = encode(Image.new("1", (8000, 8000), 1))  # 64 MP of white, about 25 kB on disk
    assert len(data) < MAX_BYTES
    with pytest.raises(ImageTooLargeError, match="8000x8000"):
        decode_image(data)


def test_an_icon_is_not_opened_as_its_opener_decodes_before_a_limit_is_checked():
    """An ICO whose directory says 16x16 and which holds a 6000x6000 PNG (36 MP, past MAX_PIXELS):
    Pillow's ICO opener decoded it whole on opening, and only then was it found too large."""
    inside = encode(Image.new("1", (6000, 6000), 1))  # about 10 kB
    directory = struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(inside), 6 + 16)
    icon = struct.pack("<HHH", 0, 1, 1) + directory + inside
    with pytest.raises(BadImageError, match="not an image that can be read"):
        decode_image(icon)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow reads no AVIF")
def test_an_avif_this_pillow_reads_is_read():
    """Formats left to Pillow are named one by one: AVIF, which Pillow reads since 11.2, was left out."""
    gray, size = decode_image(encode(drawing("L"), "AVIF"))
    assert size == (120, 80) and stroke(gray).mean() < 0.2 and gray[5, 5] > 0.8


@pytest.mark.parametrize("clear", [65535, 0], ids=["white made clear", "black made clear"])
def test_a_16_bit_png_with_a_clear_shade_keeps_its_ink_on_white(clear):
    """A tRNS chunk makes one shade clear: converted to RGBA before its 16 bits were scaled, every
    pixel was clipped to white and made clear, and the digit read as a blank image. The clear shade
    is scaled with the pixels: a sheet stored black and made clear is still laid on white."""
    levels = np.full((40, 60), clear, np.uint16)
    levels[5:35, 10:14] = 9000  # ink at 14 % of white: clipped to 8 bits it would read as white
    out = io.BytesIO()
    Image.fromarray(levels).save(out, "PNG", transparency=clear)
    gray, _ = decode_image(out.getvalue())
    assert abs(gray[20, 12] - 9000 / 65535) < 0.01 and gray[20, 40] == 1.0


def test_file_over_max_bytes_is_refused_but_max_bytes_is_accepted():
    png = encode(drawing("L"))
    at_limit = png + bytes(MAX_BYTES - len(png))  # Pillow ignores bytes after IEND
    decode_image(at_limit)
    with pytest.raises(ImageTooLargeError, match="limit"):
        decode_image(at_limit + b"\0")


def test_rgba_to_gray_composites_alpha_on_white():
    pixels = np.array([
        [[0, 0, 0, 255], [255, 255, 255, 255], [0, 0, 0, 0]],
        [[0, 0, 0, 128], [255, 0, 0, 255], [40, 200, 90, 0]],
    ], np.uint8)
    gray = rgba_to_gray(pixels.tobytes(), 3, 2)
    assert gray.shape == (2, 3) and gray.dtype == np.float32
    expected = [[0.0, 1.0, 1.0], [1 - 128 / 255.0, 0.299, 1.0]]
    np.testing.assert_allclose(gray, expected, atol=1e-5)


@pytest.mark.parametrize("extra", [-1, 1, -4])
def test_rgba_to_gray_checks_the_byte_count(extra):
    with pytest.raises(BadImageError, match="%d bytes for 3x2" % (24 + extra)):
        rgba_to_gray(bytes(24 + extra), 3, 2)


def test_rgba_to_gray_of_opaque_pixels_is_their_luminance():
    pixels = np.array([[[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [90, 90, 90, 255]]], np.uint8)
    np.testing.assert_allclose(rgba_to_gray(pixels.tobytes(), 4, 1), [[0.299, 0.587, 0.114, 90 / 255.0]], atol=1e-6)


@pytest.mark.parametrize("orientation, turned", [(1, False), (3, False), (6, True), (8, True)])
def test_a_photo_is_decoded_turned_as_its_exif_orientation_says(orientation, turned):
    # A phone's portrait photo: stored 120 wide and 80 high, with a note to turn it upright.
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(drawing("RGB"), "JPEG", exif=exif.tobytes(), quality=95)
    gray, size = decode_image(data)
    assert size == ((80, 120) if turned else (120, 80))
    assert gray.shape == (size[1], size[0])
    x0, y0, x1, y1 = RECT
    stored = np.zeros((80, 120), bool)
    stored[y0:y1 + 1, x0:x1 + 1] = True
    expected = {1: stored, 3: stored[::-1, ::-1], 6: np.rot90(stored, -1), 8: np.rot90(stored)}[orientation]
    assert ((gray < 0.5) == expected).mean() > 0.99


@pytest.mark.parametrize("fmt, options", [
    ("WEBP", {"lossless": False}), ("WEBP", {"lossless": True}), ("WEBP", {"lossless": False, "exif": b"Exif\0\0"}),
    ("AVIF", {}),
], ids=["webp lossy", "webp lossless", "webp extended", "avif"])
def test_formats_pillow_may_lack_are_sized_from_their_own_header(fmt, options):
    data = encode(drawing("RGB", size=(321, 123)), fmt, **options)
    assert sniffed(data) == (fmt, (321, 123))


def heic_header(width, height, major=b"heic", compatible=b"mif1heic", turned=False):
    """The start of a HEIF file as a phone writes one: its ftyp box, then the properties in its meta
    box: the extents (ispe) of two of the 512x512 tiles it is cut into, then of the whole grid
    `width` x `height` as stored, and with `turned` a quarter turn (irot) to show it. No picture follows."""
    def box(kind, body):
        return (8 + len(body)).to_bytes(4, "big") + kind + body

    def ispe(w, h):
        return box(b"ispe", bytes(4) + w.to_bytes(4, "big") + h.to_bytes(4, "big"))

    properties = ispe(512, 512) + ispe(512, 512) + ispe(width, height) + (box(b"irot", b"\x03") if turned else b"")
    return box(b"ftyp", major + bytes(4) + compatible) + box(b"meta", bytes(4) + box(b"ipco", properties))


def test_a_phones_heic_photo_is_sized_from_its_header_for_safari_to_decode():
    assert sniffed(heic_header(4032, 3024)) == ("HEIC", (4032, 3024))  # the grid's extents, not a tile's
    assert sniffed(heic_header(4032, 3024, turned=True)) == ("HEIC", (3024, 4032))  # a portrait photo
    assert sniffed(heic_header(4032, 3024, major=b"mif1", compatible=b"mif1heic")) == ("HEIC", (4032, 3024))
    assert sniffed(heic_header(640, 480, major=b"mif1", compatible=b"mif1avifmiaf")) == ("AVIF", (640, 480))
    assert header(heic_header(4032, 3024)) == ((4032, 3024), "HEIC")
    with pytest.raises(ImageTooLargeError, match="8000x6000"):  # a 48 MP photo: its tiles are small
        header(heic_header(8000, 6000))
    assert sniffed(heic_header(10, 10, major=b"qt  ", compatible=b"qt  ")) == (None, None)  # a film: no picture
    with pytest.raises(BadImageError, match="^HEIC pictures cannot be read here .*: save the picture as PNG or JPEG.$"):
        decode_image(heic_header(4032, 3024))  # the CLI's Pillow has no HEIC decoder: the format is named


def test_a_sniffed_size_is_held_to_the_pixel_limit_and_other_bytes_are_not_sized():
    webp = bytearray(encode(drawing("RGB"), "WEBP", lossless=True))
    bits = (12000 - 1) | ((12000 - 1) << 14)  # a lossless header claiming 12000x12000
    webp[21:25] = bits.to_bytes(4, "little")
    assert sniffed(bytes(webp)) == ("WEBP", (12000, 12000))
    with pytest.raises(ImageTooLargeError, match="12000x12000"):
        header(bytes(webp))
    assert sniffed(encode(drawing("L"))) == (None, None) and sniffed(b"RIFF") == (None, None)
    assert header(encode(drawing("L"), "PNG")) == ((120, 80), "PNG")
    with pytest.raises(BadImageError, match="not an image"):
        header(b"RIFF\0\0\0\0WEBPVP8 " + bytes(8))  # a WebP signature with no size in it


def jpeg_claiming(width, height):
    """A JPEG header declaring width x height (one grey channel), with no picture after it."""
    def segment(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body

    frame = struct.pack(">BHHB", 8, height, width, 1) + bytes([1, 0x11, 0])
    scan = bytes([1, 1, 0, 0, 63, 0])
    return b"\xff\xd8" + segment(0xC0, frame) + segment(0xDA, scan) + b"\xff\xd9"


def test_a_browser_that_decodes_jpegs_reduced_may_take_one_of_up_to_100_megapixels():
    """Chromium's ImageDecoder decodes a JPEG straight to a reduced size; every other decode (Pillow's,
    createImageBitmap's, a PNG's) goes through every pixel first, and stops at 24."""
    assert header(jpeg_claiming(8000, 8000), reduces_jpeg=True) == ((8000, 8000), "JPEG")
    with pytest.raises(ImageTooLargeError, match="12000x9000 pixels; the limit is 100 megapixels"):
        header(jpeg_claiming(12000, 9000), reduces_jpeg=True)
    for past_both in (jpeg_claiming(12000, 9000), png_claiming(12000, 9000)):  # the limit named is the one that applies
        with pytest.raises(ImageTooLargeError, match="12000x9000 pixels; the limit is 24 megapixels"):
            header(past_both, reduces_jpeg=False)
    refused = [lambda: header(jpeg_claiming(8000, 8000), reduces_jpeg=False),  # Safari's createImageBitmap
               lambda: header(png_claiming(8000, 8000), reduces_jpeg=True),
               lambda: header(png_claiming(8000, 8000), reduces_jpeg=False),
               lambda: decode_image(jpeg_claiming(8000, 8000)), lambda: decode_image(png_claiming(8000, 8000))]
    for read in refused:
        with pytest.raises(ImageTooLargeError, match="8000x8000 pixels; the limit is 24 megapixels"):
            read()
