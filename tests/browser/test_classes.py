"""Classes made by drawing, in the real page: named, drawn with real strokes, trained, zipped and read back."""
import io
import zipfile

from drawing import mouse_stroke, touch_stroke
from test_training import TRAINING_TIMEOUT_MS, start_training, text

# Two classes anyone can draw, each a few strokes in canvas pixels (960 x 320), moved per example.
TICK = [[(0, 60), (50, 130), (160, 0)]]
CROSS = [[(0, 0), (120, 130)], [(120, 0), (0, 130)]]


def add_class(page, name):
    page.fill('[data-testid="class-name"]', name)
    page.click('[data-testid="class-add"]')


def draw_example(page, strokes, shift, stroke=mouse_stroke):
    """Draw `strokes` moved by `shift` on the pad, then add the drawing to the class of row `row`."""
    dx, dy = shift
    for points in strokes:
        stroke(page, [(100 + dx + x, 90 + dy + y) for x, y in points])


def keep(page, row):
    rows = page.locator('[data-testid="class-list"] li')
    before = rows.nth(row).locator("img").count()
    rows.nth(row).locator('[data-testid="class-keep"]').click()
    page.wait_for_function("([row, n]) => document.querySelectorAll('[data-testid=class-list] li')[row]"
                           "?.querySelectorAll('img').length > n", arg=[row, before])


def test_classes_drawn_in_the_page_train_and_travel_as_a_zip(app, tmp_path):
    add_class(app, "tick")
    add_class(app, "cross")
    add_class(app, "tick")  # taken
    assert text(app, "class-message") == "There is a class “tick” already."
    assert app.is_disabled('[data-testid="class-use"]')
    for i in range(3):
        draw_example(app, TICK, (90 * i, 10 * i), touch_stroke if i % 2 else mouse_stroke)
        keep(app, 0)
    assert text(app, "class-message") == "Draw examples of at least 2 classes to train on them. No drawing yet of cross."
    keep_blank = app.locator('[data-testid="class-list"] li').nth(1).locator('[data-testid="class-keep"]')
    keep_blank.click()  # a blank pad keeps nothing, and says so
    app.wait_for_function("document.querySelector('[data-testid=class-message]')?.textContent.startsWith('The pad')")
    assert text(app, "class-message") == "The pad is blank: draw an example first, then add it to its class."
    for i in range(4):
        draw_example(app, CROSS, (80 * i, 15 * (i % 2)))
        keep(app, 1)
    app.locator('[data-testid="class-list"] li').nth(1).locator('[data-testid="class-remove"]').first.click()
    app.wait_for_function("document.querySelectorAll('[data-testid=class-list] li')[1]"
                          "?.querySelectorAll('img').length === 3")
    assert app.locator('[data-testid="class-list"] strong').all_inner_texts() == ["tick (3)", "cross (3)"]
    assert text(app, "class-message") == "Ready: 6 drawings of 2 classes."

    with app.expect_download() as download:
        app.click('[data-testid="class-zip"]')
    assert download.value.suggested_filename == "drawn-classes.zip"
    zipped = tmp_path / "drawn-classes.zip"
    download.value.save_as(str(zipped))
    names = zipfile.ZipFile(io.BytesIO(zipped.read_bytes())).namelist()
    assert sorted(names) == ["drawn/cross/%03d.png" % i for i in (1, 2, 3)] + ["drawn/tick/%03d.png" % i for i in (1, 2, 3)]

    app.click('[data-testid="class-use"]')
    app.wait_for_function("document.querySelector('[data-testid=data-line]')?.textContent.includes('drawn')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "data-line") == ("Data: the folder “drawn”: 2 labels (cross, tick), 6 images to train, "
                                      "none held out to test (too few)")
    app.wait_for_function("document.querySelector('[data-testid=class-message]')?.textContent.startsWith('These')")
    assert text(app, "class-message") == "These drawings are the training data now: train them below."
    start_training(app, "mlp", epochs="10")
    app.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "test-accuracy").startswith("The new classifier on the built-in network's features is trained "
                                                 "but not tested")
    app.click('[data-testid="use-trained"]')
    app.wait_for_function("document.querySelector('[data-testid=model-labels]')?.textContent === 'Reads: cross, tick'",
                          timeout=TRAINING_TIMEOUT_MS)
    app.click('[data-testid="clear"]')
    draw_example(app, TICK, (400, 20))  # a new tick, somewhere else on the pad
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === 'tick'",
                          timeout=TRAINING_TIMEOUT_MS)

    app.click('[data-testid="use-mnist"]')
    app.wait_for_function("document.querySelector('[data-testid=data-line]')?.textContent.includes('MNIST')")
    app.set_input_files('[data-testid="zip-input"]', str(zipped))  # the zip given back is the same folder
    app.wait_for_function("document.querySelector('[data-testid=data-line]')?.textContent.includes('drawn')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "data-line").startswith("Data: the folder “drawn”: 2 labels (cross, tick), 6 images to train")


def test_a_drawing_that_cannot_be_kept_is_said_and_stays_on_the_pad(app):
    add_class(app, "tick")
    draw_example(app, TICK, (0, 0))
    app.evaluate("""() => {  // the next PNG encode fails, as it may on a tablet short of memory
      const encode = OffscreenCanvas.prototype.convertToBlob;
      OffscreenCanvas.prototype.convertToBlob = function () {
        OffscreenCanvas.prototype.convertToBlob = encode;
        return Promise.reject(new Error("out of memory"));
      };
    }""")
    app.locator('[data-testid="class-keep"]').click()
    app.wait_for_function("document.querySelector('[data-testid=class-message]')?.textContent.startsWith('The drawing')")
    assert text(app, "class-message") == "The drawing could not be kept (out of memory); it is still on the pad."
    assert app.locator('[data-testid="class-list"] img').count() == 0
    keep(app, 0)  # the same drawing, kept on the next try
    assert app.locator('[data-testid="class-list"] strong').all_inner_texts() == ["tick (1)"]
