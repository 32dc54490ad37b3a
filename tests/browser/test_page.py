"""The page in real Chromium: boot offline, draw, upload, refuse bad input."""
import io
import os
import random
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw

import build
from drawing import CANVAS, draw_digit, draw_number, mouse_stroke, pen_stroke, touch_stroke
from strokes import DIGITS, TEMPLATE_CENTRE, arc, ellipse
from tests.unit.test_images import heic_header

PREDICTION = '[data-testid="prediction"]'


def text(page, testid):
    return page.locator('[data-testid="%s"]' % testid).inner_text()


def clear(page):
    page.click('[data-testid="clear"]')
    assert text(page, "prediction") == "–"


def answers(page):
    return int(page.locator('[data-testid="result"]').get_attribute("data-answers"))


def upload(page, name, data, mime="image/png"):
    """Choose a file in the upload control and wait for the page's answer."""
    before = answers(page)
    page.set_input_files('[data-testid="upload-image"]', files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.wait_for_function("n => +document.querySelector('[data-testid=result]')?.dataset.answers > n",
                           arg=before, timeout=15000)


def png_bytes(image, fmt="PNG"):
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def mnist_test_digits(count_per_label=1):
    """Real test-split MNIST digits from the build's uint8 store."""
    with np.load(os.path.join(build.OUT, build.MNIST_STORE)) as store:
        images, labels = store["test_images"], store["test_labels"]
    picks = [np.flatnonzero(labels == d)[:count_per_label] for d in range(10)]
    return [(images[i], str(labels[i])) for i in np.concatenate(picks)]


def test_boots_offline_and_names_its_runtime(app, runtime):
    line = text(app, "runtime")
    expected = {"registry-only": ["Pyodide 0.17.1", "Python 3.8.2", "numpy 1.17.5"],
                "current": ["Pyodide 314.0.7", "Python 3.14", "numpy 2.4.6"]}[runtime]
    assert all(part in line for part in expected), line
    assert app.locator('[data-testid="progress"]').evaluate("p => p.value") == 1
    assert re.fullmatch(r"Ready in \d+\.\d s", text(app, "stage")), text(app, "stage")


@pytest.mark.parametrize("stroke", [mouse_stroke, touch_stroke, pen_stroke], ids=["mouse", "touch", "pen"])
def test_drawn_digits_are_recognised(app, stroke):
    for digit in sorted(DIGITS):
        clear(app)
        draw_digit(app, digit, stroke)
        app.wait_for_function("d => document.querySelector('[data-testid=prediction]')?.textContent === d",
                              arg=digit, timeout=10000)
        assert "sure" in text(app, "confidence")


def test_uploaded_photos_of_digits_are_recognised(app):
    wrong = []
    for pixels, label in mnist_test_digits():
        # Dark ink on light paper, enlarged and off-centre, as a phone photo would be.
        sheet = Image.new("L", (300, 240), 235)
        sheet.paste(Image.fromarray(255 - pixels).resize((140, 140), Image.BILINEAR), (30, 60))
        upload(app, "digit-%s.jpg" % label, png_bytes(sheet.convert("RGB"), "JPEG"), "image/jpeg")
        if text(app, "prediction") != label:
            wrong.append((label, text(app, "prediction")))
    assert len(wrong) <= 1, wrong
    assert "digit-" in text(app, "source")


def test_photos_of_a_sheet_lying_on_a_table_are_read(app):
    from tests.sets.numbers import numbers

    sample = numbers("test", 6, seed=12, style="desk", lengths=range(3, 6))  # the table all round, or along a side
    read = []
    for i, number in enumerate(sample):
        upload(app, "desk-%d.jpg" % i, number.data, "image/jpeg")
        read.append(text(app, "prediction"))
    assert sum(got == number.text for got, number in zip(read, sample)) >= 5, read  # the table neither ink nor ground


def test_bad_inputs_get_clear_messages_and_the_app_keeps_working(app):
    upload(app, "notes.txt", b"this is not a picture", "text/plain")
    assert "not an image" in text(app, "message")

    broken = png_bytes(Image.new("L", (64, 64), 128))
    upload(app, "broken.png", broken[: len(broken) // 2])
    assert "damaged" in text(app, "message") or "not an image" in text(app, "message")

    upload(app, "scan.tif", png_bytes(Image.new("L", (64, 64), 255), "TIFF"), "image/tiff")
    assert text(app, "message").startswith("This browser cannot open TIFF pictures")  # not "damaged"

    upload(app, "IMG_0001.HEIC", heic_header(4032, 3024), "image/heic")  # an iPad's photo: Safari reads them
    assert text(app, "message").startswith("This browser cannot open HEIC pictures")

    huge = png_bytes(Image.new("1", (6000, 5000), 1))  # 30 MP: createImageBitmap would decode every pixel
    upload(app, "huge.png", huge)
    assert text(app, "message") == "The image is 6000x5000 pixels; the limit is 24 megapixels."
    assert app.locator('[data-testid="upload-view"]').is_hidden()  # refused by its header: never decoded here
    # Chromium decodes a JPEG straight to a reduced size (ImageDecoder): as large a one is read
    upload(app, "huge.jpg", png_bytes(Image.new("L", (6000, 5000), 255), "JPEG"), "image/jpeg")
    assert "blank" in text(app, "message")

    assert app.is_hidden('[data-testid="start-problems"]')  # a picture the browser cannot show is said once, above
    clear(app)
    app.click('[data-testid="recognise"]')
    app.wait_for_function("document.querySelector('[data-testid=message]')?.textContent.includes('blank')")

    draw_digit(app, "7")
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")


def test_a_photo_larger_than_pillow_may_open_is_scaled_by_the_browser_and_read(app):
    photo = Image.new("L", (7200, 5000), 255)  # 36 MP, a 7 in the middle: a JPEG, which Chromium decodes reduced
    ImageDraw.Draw(photo).line([(3000, 1500), (4200, 1500), (3400, 3600)], fill=0, width=260)
    upload(app, "big.jpg", png_bytes(photo, "JPEG"), "image/jpeg")
    assert text(app, "prediction") == "7"


def test_file_names_are_shown_as_text_not_html(app):
    name = '<img src=x onerror="window.pwned=1">.png'
    pixels, label = mnist_test_digits()[0]
    upload(app, name, png_bytes(Image.fromarray(pixels)))
    assert text(app, "source") == "from " + name
    assert app.locator('[data-testid="source"] img').count() == 0
    assert app.evaluate("window.pwned === undefined")


def test_strokes_drawn_while_loading_are_recognised_once_ready(watched_context, app_url):
    context, watch = watched_context
    page = context.new_page()
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.goto(app_url + "?runtime=registry-only")
    page.wait_for_selector(CANVAS)
    draw_digit(page, "1")
    page.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '1'",
                           timeout=90000)


def boxes(page):
    """The digit boxes shown, as (left, top, width, height) fractions of the picture under them,
    found and measured in one step: a reply arriving between two steps redraws them."""
    return page.evaluate("""() => {
        const layer = document.querySelector('[data-testid="digit-boxes"]').getBoundingClientRect();
        return Array.from(document.querySelectorAll('[data-testid="digit-box"]'), f => {
            const box = f.getBoundingClientRect();
            return [(box.left - layer.left) / layer.width, (box.top - layer.top) / layer.height,
                    box.width / layer.width, box.height / layer.height];
        });
    }""")


READ_PART_AND_WHOLE = """async () => {
    const { engine, pad } = window.digitlab;
    const read = async (px) => JSON.parse(await engine.request('predict_pixels',
        JSON.stringify({ width: px.width, height: px.height, left: px.left, top: px.top }), px.data)).result;
    const part = pad.pixels();
    const { width, height } = pad.canvas;
    const whole = { left: 0, top: 0, width, height, data: new Uint8Array(pad.ctx.getImageData(0, 0, width, height).data.buffer) };
    return { sent: part.width * part.height, canvas: width * height, part: await read(part), whole: await read(whole) };
}"""


@pytest.mark.parametrize("digit, scale, centre", [("7", 1.0, (140, 160)), ("3", 0.6, (480, 160)),
                                                  ("1", 0.35, (945, 275)), ("4", 0.35, (40, 50))],
                         ids=["large", "middle", "small-in-a-corner", "small-in-the-other"])
# The small 1 sits a few pixels from the right edge, whole: a 1 cut off by the canvas's bottom edge
# is a stub as thick as a third of its height, which the model reads anywhere from 0.3 to 0.95 sure.
def test_a_drawing_is_read_from_its_inked_part_as_from_the_whole_canvas(app, digit, scale, centre):
    # Only the window around the ink is sent (a wide pad is mostly paper): it reads as the whole
    # canvas does, its box in canvas pixels, however small the digit or close to an edge.
    clear(app)
    for points in DIGITS[digit]:
        mouse_stroke(app, [(centre[0] + scale * (x - TEMPLATE_CENTRE[0]), centre[1] + scale * (y - TEMPLATE_CENTRE[1]))
                           for x, y in points])
    app.wait_for_function("t => document.querySelector('[data-testid=prediction]')?.textContent === t", arg=digit)
    found = app.evaluate(READ_PART_AND_WHOLE)
    assert found["sent"] < found["canvas"] / 2
    assert found["part"]["text"] == found["whole"]["text"] == digit
    (part,), (whole,) = found["part"]["digits"], found["whole"]["digits"]
    assert all(abs(a - b) <= 2 for a, b in zip(part["box"], whole["box"]))
    assert abs(part["confidence"] - whole["confidence"]) < 0.05


@pytest.mark.parametrize("stroke", [mouse_stroke, touch_stroke], ids=["mouse", "touch"])
def test_numbers_drawn_across_the_canvas_are_read_digit_by_digit(app, stroke):
    for seed, number in enumerate(["314", "90210", "2718281828"]):
        clear(app)
        draw_number(app, number, random.Random(seed), stroke)
        app.wait_for_function("t => document.querySelector('[data-testid=prediction]')?.textContent === t "
                              "&& window.digitlab.engine.pending.size === 0", arg=number, timeout=20000)
        shown = boxes(app)
        assert len(shown) == len(number)
        lefts = [left for left, _, _, _ in shown]
        assert lefts == sorted(lefts) and all(0 <= v <= 1 for box in shown for v in box)
        captions = app.locator('[data-testid="digit-box"]').all_inner_texts()
        assert [caption.split(" ")[0] for caption in captions] == list(number)


def test_an_uploaded_number_is_shown_with_a_box_over_each_digit(app):
    from tests.sets.numbers import numbers

    number = numbers("test", 1, seed=21, lengths=[5])[0]
    upload(app, "number.png", number.data)
    assert text(app, "prediction") == number.text
    assert app.locator('[data-testid="upload-view"]').is_visible()
    assert not app.locator(CANVAS).is_visible()
    shown = boxes(app)
    assert len(shown) == 5
    assert [b[0] for b in shown] == sorted(b[0] for b in shown)
    # Each box is a digit's: about a fifth of the line wide at most, inside the picture.
    assert all(0 <= left and left + width <= 1.01 and width < 0.3 for left, _, width, _ in shown)

    upload(app, "empty.png", b"")  # refused: the number stayed in view, unboxed, under this file's name
    assert (text(app, "message"), text(app, "source")) == ("The file is empty.", "from empty.png")
    assert app.locator('[data-testid="upload-view"]').is_hidden() and app.locator(CANVAS).is_visible()
    assert boxes(app) == []
    upload(app, "number.png", number.data)
    assert app.locator('[data-testid="upload-view"]').is_visible()

    clear(app)  # back to drawing, with no boxes left over
    assert app.locator(CANVAS).is_visible()
    assert app.locator('[data-testid="digit-box"]').count() == 0
    draw_digit(app, "7")
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")
    assert len(boxes(app)) == 1


def smiley():
    """A face drawn across the canvas's middle: its outline, two eyes and a mouth."""
    face = ellipse(480, 160, 110, 110)
    eyes = [[(440, 120), (440, 140)], [(520, 120), (520, 140)]]
    mouth = arc(480, 170, 60, 20, 160)
    return [face] + eyes + [mouth]


SETTLED = ("n => +document.querySelector('[data-testid=result]')?.dataset.answers > n "
           "&& window.digitlab.engine.pending.size === 0")


def test_a_drawn_face_is_not_read_as_a_digit(app):
    for points in smiley():
        mouse_stroke(app, points)
    before = answers(app)
    app.click('[data-testid="recognise"]')  # one answer for the whole face
    app.wait_for_function(SETTLED, arg=before, timeout=20000)
    read = text(app, "prediction")
    assert read == "–" or set(read) == {"?"}, read  # nothing found, or not sure: never a digit
    assert "—" in text(app, "message") or "No digit" in text(app, "message")


def test_the_threshold_slider_decides_what_is_sure_enough(app):
    mouse_stroke(app, [(110, 100), (150, 50), (150, 240)])  # a 1 with a long flag: a 1, or a 7?
    app.wait_for_function("/^[0-9]$/.test(document.querySelector('[data-testid=prediction]')?.textContent || '')"
                          " || document.querySelector('[data-testid=prediction]')?.textContent === '?'")
    sure = text(app, "confidence")
    assert sure != "100.0% sure", "the test needs a drawing the model is not fully sure of"
    app.locator('[data-testid="threshold"]').fill("1")  # nothing short of 100 % is sure enough
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '?'")
    assert re.match(r"\? — (maybe [0-9]( or [0-9])*|not a digit I know)\.", text(app, "message")), text(app, "message")
    assert text(app, "threshold-line") == "Say “not sure” below 100%"
    assert app.locator('[data-testid="digit-box"]').inner_text().startswith("?")
    app.locator('[data-testid="threshold"]').fill("0")  # anything is sure enough at 0
    app.wait_for_function("/^[0-9]$/.test(document.querySelector('[data-testid=prediction]')?.textContent || '')")
    assert text(app, "message") == ""
    assert app.locator('[data-testid="digit-box"]').inner_text()[0].isdigit()


def test_a_phone_photo_stored_on_its_side_is_read_upright(app):
    from tests.sets.numbers import numbers

    number = numbers("test", 1, seed=21, lengths=[5])[0]
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to view", as a phone held upright writes
    sideways = number.image().convert("RGB").rotate(90, expand=True)  # stored turned the other way
    upload(app, "portrait.jpg", _jpeg(sideways, exif), "image/jpeg")
    assert text(app, "prediction") == number.text
    shown = boxes(app)
    assert len(shown) == 5 and all(0 <= left and left + width <= 1.01 for left, _, width, _ in shown)
    assert all(width < 0.3 for _, _, width, _ in shown)  # each a digit's box on the upright picture


def _jpeg(image, exif):
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def test_a_picture_chosen_while_the_engine_loads_is_read_once_it_is_ready(watched_context, app_url):
    context, watch = watched_context
    page = context.new_page()
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.goto(app_url + "?runtime=registry-only")
    photo = Image.new("L", (600, 400), 255)
    ImageDraw.Draw(photo).line([(220, 100), (380, 100), (270, 320)], fill=0, width=30)
    page.set_input_files('[data-testid="upload-image"]',
                         files=[{"name": "early.png", "mimeType": "image/png", "buffer": png_bytes(photo)}])
    assert page.evaluate("document.querySelector('[data-testid=status]')?.textContent") != "ready"
    page.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'", timeout=90000)
    assert text(page, "source") == "from early.png"
