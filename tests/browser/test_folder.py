"""Training on a folder of one's own images, given to the page as a real folder."""
import os
import re

import numpy as np
import pytest
from PIL import Image

from digitlab.model_file import load_model

from tests.sets.numbers import load_digits
from tests.unit.test_folder_cli import draw_shape
from test_training import TRAINING_TIMEOUT_MS, accuracy_shown, start_training, text

HOSTILE = "<img src=x onerror=window.hacked=1>"  # a label folder named like markup


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """shapes/<label>/*.png (and a JPEG), a broken PNG, a text file and a hidden file."""
    root = tmp_path_factory.mktemp("upload") / "shapes"
    rng = np.random.default_rng(0)
    for label, shape in (("circle", "circle"), ("cross", "cross"), (HOSTILE, "square")):
        os.makedirs(str(root / label))
        for i in range(10):
            draw_shape(shape, rng).save(str(root / label / ("%02d.png" % i)))
    draw_shape("circle", rng).convert("RGB").save(str(root / "circle" / "photo.jpg"), quality=90)
    (root / "cross" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (root / "notes.txt").write_text("not a picture\n")
    (root / ".DS_Store").write_bytes(b"\x00\x05\x16\x07")
    return root


# Records the training bar's value whenever the status tells how far the feature caching has got
# (the observer runs after a reply is shown, so the line of a slice that also trained the head is gone).
CACHING_WATCH = """() => {
  window.cachingBar = [];
  const status = document.querySelector('[data-testid=train-status]');
  new MutationObserver(() => {
    if (status.textContent.startsWith('Reading every image'))
      window.cachingBar.push(document.querySelector('[data-testid=train-progress]').value);
  }).observe(status, { childList: true, characterData: true, subtree: true });
}"""


def skipped(page):
    return page.locator('[data-testid="folder-skipped"] li').all_inner_texts()


def choose_folder(page, path):
    page.set_input_files('[data-testid="folder-input"]', str(path))
    page.wait_for_function("document.querySelector('[data-testid=data-line]')?.textContent.includes('folder')"
                           " || document.querySelector('[data-testid=data-message]')?.textContent.endsWith('change.')",
                           timeout=TRAINING_TIMEOUT_MS)


def test_a_chosen_folder_trains_a_classifier_of_its_labels(app, folder):
    choose_folder(app, folder)
    labels = sorted(["circle", "cross", HOSTILE])
    assert text(app, "data-line") == ("Data: the folder “shapes”: 3 labels (%s), 25 images to train, "
                                      "6 held out to test" % ", ".join(labels))
    assert skipped(app) == ["Skipped .DS_Store: hidden",  # told by the paths alone
                            "Skipped notes.txt: not inside a label sub-folder",
                            "Skipped cross/broken.png: This file is not an image that can be read "
                            "(PNG, JPEG, GIF, BMP or WebP)."]
    assert app.evaluate("window.hacked") is None  # the label was shown as text

    app.click('[data-testid="test-model"]')  # the built-in digit model knows none of these labels
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent.startsWith('This model')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "train-status").startswith("This model cannot be tested on these images. None of the labels of these images "
                                                "(%s) is among the model's (0, 1," % ", ".join(labels))

    assert app.is_checked('[data-testid="train-transfer"]')  # a folder starts from the built-in network
    app.evaluate(CACHING_WATCH)
    start_training(app, "mlp", epochs="20")
    app.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)
    filled = app.evaluate("window.cachingBar")  # the bar's value each time the caching line changed
    assert filled and filled == sorted(filled) and 0 < filled[0] and filled[-1] <= 1, filled
    assert re.match(r"Test accuracy of the new classifier on the built-in network's features: ([\d.]+)% on 6 test images",
                    text(app, "test-accuracy"))
    assert accuracy_shown(app) >= 100 * 5 / 6

    app.uncheck('[data-testid="train-transfer"]')  # from scratch, as before
    start_training(app, "mlp", epochs="20")
    app.wait_for_function("document.querySelector('[data-testid=test-accuracy]')?.textContent"
                          ".startsWith('Test accuracy of the model trained here')", timeout=TRAINING_TIMEOUT_MS)
    assert HOSTILE + ":" in text(app, "per-class")
    cells = app.locator('[data-testid="confusion"] tbody td').all_inner_texts()
    assert len(cells) == 3 * 4 and sum(int(c) for i, c in enumerate(cells) if i % 4) == 6
    assert app.evaluate("window.hacked") is None

    app.click('[data-testid="use-mnist"]')
    app.wait_for_function("document.querySelector('[data-testid=data-line]')?.textContent.includes('MNIST')")
    assert text(app, "data-line") == "Data: the MNIST digits: 8000 to train, 2000 to test"
    assert skipped(app) == []


def test_the_model_in_use_is_tested_on_the_labels_it_knows_and_the_others_are_named(app, tmp_path):
    """A folder of some digits and a star: the built-in digit model is scored on the digits."""
    images, labels = load_digits("test")
    root = tmp_path / "mixed"
    for digit in (1, 7):
        os.makedirs(str(root / str(digit)))
        for i, k in enumerate(np.flatnonzero(labels == digit)[:5]):
            Image.fromarray(255 - images[k]).save(str(root / str(digit) / ("%d.png" % i)))
    os.makedirs(str(root / "star"))
    rng = np.random.default_rng(0)
    for i in range(5):
        draw_shape("cross", rng).save(str(root / "star" / ("%d.png" % i)))
    choose_folder(app, root)
    app.click('[data-testid="test-model"]')
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === "
                          "'Tested the model in use'", timeout=TRAINING_TIMEOUT_MS)
    assert re.match(r"Test accuracy of the model in use \(\w+\): [\d.]+% on 2 test images$", text(app, "test-accuracy"))
    assert text(app, "trained-message") == "Not scored: the images labelled star, which the model does not know."


# Holds the page's next folder read until the test calls window.releaseFolder(), then reads it as
# ever: the test acts while a folder is being read, whatever the machine's speed.
HOLD_FOLDER = """() => {
  const read = digitlab.loadFolder;
  window.releaseFolder = null;
  digitlab.loadFolder = (...args) => {
    digitlab.loadFolder = read;
    return new Promise((go) => { window.releaseFolder = go; }).then(() => read(...args));
  };
}"""


def test_while_a_folder_is_read_start_another_folder_and_a_test_wait_for_it(app, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    rng = np.random.default_rng(1)
    for root, shapes in ((first, ("circle", "cross")), (second, ("square", "circle"))):
        for shape in shapes:
            os.makedirs(str(root / shape))
            for i in range(5):
                draw_shape(shape, rng).save(str(root / shape / ("%d.png" % i)))
    app.evaluate(HOLD_FOLDER)
    app.set_input_files('[data-testid="folder-input"]', str(first))
    app.wait_for_function("window.releaseFolder !== null")
    assert text(app, "data-message") == "Reading the folder…" and app.is_disabled('[data-testid="train-start"]')
    app.click('[data-testid="test-model"]')
    app.wait_for_function("document.querySelector('[data-testid=train-note]')?.textContent === "
                          "'Wait for the folder to be read before testing a model.'")
    app.set_input_files('[data-testid="folder-input"]', str(second))
    app.wait_for_function("document.querySelector('[data-testid=data-message]')?.textContent === "
                          "'Wait for the folder to be read before changing its data.'")
    app.evaluate("window.releaseFolder()")
    app.wait_for_function("document.querySelector('[data-testid=data-line]')?.textContent.includes('first')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "data-line").startswith("Data: the folder “first”: 2 labels (circle, cross), 8 images")
    assert app.is_enabled('[data-testid="train-start"]')


def test_a_folder_that_gives_nothing_to_learn_is_refused_and_the_data_stays(app, folder, tmp_path):
    flat = tmp_path / "loose"
    os.makedirs(str(flat))
    draw_shape("circle", np.random.default_rng(1)).save(str(flat / "a.png"))
    choose_folder(app, flat)
    assert text(app, "data-message") == ("The folder has no label sub-folders: put the images of each label in "
                                         "a sub-folder named after the label. The training data did not change.")
    assert text(app, "data-line") == "Data: the MNIST digits"
    choose_folder(app, folder)
    in_use, files_skipped = text(app, "data-line"), skipped(app)
    app.set_input_files('[data-testid="folder-input"]', str(flat))
    app.wait_for_function("document.querySelector('[data-testid=data-message]')?.textContent.endsWith('change.')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "data-line") == in_use and skipped(app) == files_skipped  # the files of the data in use


def test_a_folder_of_one_label_is_refused_at_start_with_how_to_fix_it_and_trains_with_none_of_these(app, tmp_path):
    label = tmp_path / "squares" / "square"
    os.makedirs(str(label))
    for i in range(6):
        draw_shape("square", np.random.default_rng(i)).save(str(label / ("%d.png" % i)))
    choose_folder(app, label.parent)
    start_training(app, "mlp")
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent.startsWith('Training needs')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "train-status") == ("Training needs images of two labels at least, to tell apart; these are all "
                                         "of one label, square. Add a label folder, or the class \"none of these\".")
    assert app.is_enabled('[data-testid="train-start"]')
    app.check('[data-testid="train-none"]')  # a second label: then it trains
    start_training(app, "mlp")
    app.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)
    assert "none of these" in text(app, "per-class")


def test_loose_files_dropped_on_the_folder_zone_are_refused_and_the_data_stays(app, tmp_path):
    draw_shape("circle", np.random.default_rng(2)).save(str(tmp_path / "a.png"))
    png = list((tmp_path / "a.png").read_bytes())
    transfer = app.evaluate_handle(
        "(bytes) => { const dt = new DataTransfer();"
        " for (const name of ['a.png', 'b.png']) dt.items.add(new File([new Uint8Array(bytes)], name));"
        " return dt; }", png)
    app.dispatch_event('[data-testid="folder-drop"]', "drop", {"dataTransfer": transfer})
    app.wait_for_function("document.querySelector('[data-testid=data-message]')?.textContent.endsWith('change.')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "data-message").startswith("The folder has no label sub-folders")
    assert text(app, "data-line") == "Data: the MNIST digits"


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """A training folder with every bad case found by trying, and a validation folder.

    train/a: PNGs, a WebP (which this Pillow cannot read, the browser can), a 16-bit PNG and a
    nested folder; train/b: PNGs, a broken PNG and a text file; train/c: one image; a hidden
    file, a hidden folder, an AppleDouble file and a loose file. val/: a, b and a label "zzz".
    """
    root = tmp_path_factory.mktemp("messy")
    rng = np.random.default_rng(5)
    shapes = {"a": "circle", "b": "cross", "c": "square", "zzz": "square"}
    for folder, counts in (("train", {"a": 5, "b": 5, "c": 1}), ("val", {"a": 4, "b": 4, "zzz": 2})):
        for label, count in counts.items():
            os.makedirs(str(root / folder / label))
            for i in range(count):
                draw_shape(shapes[label], rng).save(str(root / folder / label / ("%02d.png" % i)))
    train = root / "train"
    draw_shape("circle", rng).convert("RGB").save(str(train / "a" / "photo.webp"), quality=90)
    ink = np.asarray(draw_shape("circle", rng).convert("L"), np.uint16) * 257  # 16 bits a pixel
    Image.fromarray(ink).save(str(train / "a" / "scan16.png"))
    os.makedirs(str(train / "a" / "more"))
    draw_shape("circle", rng).save(str(train / "a" / "more" / "deep.png"))
    (train / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (train / "b" / "notes.txt").write_text("not a picture\n")
    (train / ".DS_Store").write_bytes(b"\x00\x05\x16\x07")
    (train / "a" / "._00.png").write_bytes(b"\x00\x05\x16\x07")
    os.makedirs(str(train / ".git"))
    (train / ".git" / "config").write_text("[core]\n")
    (train / "readme.md").write_text("my shapes\n")
    return root


def test_a_messy_folder_trains_with_every_file_left_out_named_and_validates_on_a_second_folder(app, messy, tmp_path):
    choose_folder(app, messy / "train")
    assert text(app, "data-line") == ("Data: the folder “train”: 3 labels (a, b, c), 12 images to train, "
                                      "2 held out to test")  # a: 8 images (webp, 16-bit, nested), b: 5, c: 1
    assert sorted(skipped(app)) == sorted([
        "Skipped .DS_Store: hidden", "Skipped .git/config: hidden", "Skipped a/._00.png: hidden",
        "Skipped readme.md: not inside a label sub-folder",
        "Skipped b/broken.png: This file is not an image that can be read (PNG, JPEG, GIF, BMP or WebP).",
        "Skipped b/notes.txt: This file is not an image that can be read (PNG, JPEG, GIF, BMP or WebP)."])
    assert text(app, "val-line") == "Validation: the images held out of the training folder"

    app.set_input_files('[data-testid="val-input"]', str(messy / "val"))
    app.wait_for_function("document.querySelector('[data-testid=val-line]')?.textContent.includes('“val”')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "val-line") == ("Validation: the folder “val”: 8 images to test on; every training image is "
                                     "trained on; no image of c to test")
    assert app.locator('[data-testid="val-skipped"] li').all_inner_texts() == [
        "Skipped zzz: label not in the training folder: not scored"]

    start_training(app, "mlp", epochs="20")  # from the built-in network, as the box is checked
    app.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)
    assert re.match(r"Test accuracy of the new classifier on the built-in network's features: [\d.]+% on 8 test images",
                    text(app, "test-accuracy"))
    assert text(app, "per-class").endswith("c: –")  # no image of c to test it on
    assert text(app, "trained-message") == "Not in use yet: use it, or download it to keep it."

    # Leaving now would lose the model: the page asks first, and stays when told to.
    with app.expect_event("dialog") as asked:
        app.evaluate("setTimeout(() => location.reload(), 0)")
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    assert text(app, "trained-message").startswith("Not in use yet")

    with app.expect_download() as download:
        app.click('[data-testid="download-trained"]')
    path = str(tmp_path / download.value.suggested_filename)
    download.value.save_as(path)
    assert load_model(path).labels == ["a", "b", "c"]
    assert re.match(r"Downloading transfer\.npz \(\d+ KB\): the model trained here\.", text(app, "trained-message"))
    assert text(app, "model-labels") == "Reads the digits 0 to 9"  # the download did not change the model in use

    app.click('[data-testid="use-trained"]')
    app.wait_for_function("document.querySelector('[data-testid=model-labels]')?.textContent === 'Reads: a, b, c'",
                          timeout=TRAINING_TIMEOUT_MS)
    assert "on its test images" in text(app, "model-name") and "digits" not in text(app, "model-name")
    app.reload()  # nothing left to lose: no question, and the model is kept
    app.wait_for_function("document.querySelector('[data-testid=model-labels]')?.textContent === 'Reads: a, b, c'",
                          timeout=TRAINING_TIMEOUT_MS)
