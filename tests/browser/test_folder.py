"""Training on a folder of one's own images, given to the page as a real folder."""
import os
import re

import numpy as np
import pytest

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
    assert skipped(app) == ["Skipped notes.txt: not inside a label sub-folder",  # told by the paths alone
                            "Skipped cross/broken.png: This file is not an image that can be read "
                            "(PNG, JPEG, GIF, BMP or WebP)."]
    assert app.evaluate("window.hacked") is None  # the label was shown as text

    app.click('[data-testid="test-model"]')  # the built-in digit model knows none of these labels
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent.startsWith('This model')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "train-status").startswith("This model cannot be tested on these images: the model does not "
                                                "know the labels %s; it knows 0, 1," % ", ".join(map(repr, labels)))

    assert app.is_checked('[data-testid="train-transfer"]')  # a folder starts from the digit network
    start_training(app, "mlp", epochs="20")
    app.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)
    assert re.match(r"Test accuracy of the new classifier on the digit network's features: ([\d.]+)% on 6 test images",
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


def test_a_folder_that_gives_nothing_to_learn_is_refused_and_the_data_stays(app, tmp_path):
    flat = tmp_path / "loose"
    os.makedirs(str(flat))
    draw_shape("circle", np.random.default_rng(1)).save(str(flat / "a.png"))
    choose_folder(app, flat)
    assert text(app, "data-message") == ("The folder has no label sub-folders: put the images of each label in "
                                         "a sub-folder named after the label. The training data did not change.")
    assert text(app, "data-line") == "Data: the MNIST digits"


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
