"""Training, saving and loading models in the real page."""
import os
import re

import pytest

import build
from conftest import trainer_request, wait_until_ready
from digitlab.model_file import load_model
from drawing import draw_digit
from view import RESET_CANCELLED, RESET_LOSES_TRAINED

TRAINING_TIMEOUT_MS = 180000


def text(page, testid):
    return page.locator('[data-testid="%s"]' % testid).inner_text()


def accuracy_shown(page):
    """The test accuracy the evaluation shows, in percent."""
    return float(re.search(r"([\d.]+)% on", text(page, "test-accuracy")).group(1))


def start_training(page, model, images="", epochs="1"):
    page.select_option('[data-testid="train-model"]', model)
    page.fill('[data-testid="train-epochs"]', epochs)
    page.select_option('[data-testid="train-images"]', images)
    page.click('[data-testid="train-start"]')


def wait_until_training(page):
    page.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent.startsWith('epoch')",
                           timeout=TRAINING_TIMEOUT_MS)


def train_small_mlp(page):
    start_training(page, "mlp", images="50")
    page.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)


def model_answer(page, action):
    """Do `action` and wait for the model panel's answer to it."""
    panel = page.locator('[data-testid="model-panel"]')
    before = int(panel.get_attribute("data-answers"))
    action()
    page.wait_for_function("n => +document.querySelector('[data-testid=model-panel]')?.dataset.answers > n",
                           arg=before, timeout=30000)
    return text(page, "model-message")


def choose_model_file(page, name, data):
    files = [{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    return model_answer(page, lambda: page.set_input_files('[data-testid="load-model"]', files=files))


def drop_model_file(page, name, data):
    """A real drop event carrying a File, as the browser makes one when a file is dragged in."""
    transfer = page.evaluate_handle(
        "([name, bytes]) => { const dt = new DataTransfer();"
        " dt.items.add(new File([new Uint8Array(bytes)], name)); return dt; }", [name, list(data)])
    return model_answer(page, lambda: page.dispatch_event('[data-testid="model-drop"]', "drop",
                                                          {"dataTransfer": transfer}))


def test_training_a_small_subset_shows_progress_charts_and_an_evaluation(app):
    train_small_mlp(app)
    assert app.locator('[data-testid="train-progress"]').evaluate("p => p.value") == 1
    points = app.evaluate("digitlab.charts.points()")
    assert points == {"batches": 8, "epochs": 1}  # 500 images in batches of 64, one epoch
    accuracy = accuracy_shown(app)
    assert accuracy > 30, "no better than chance (10%%): %s" % accuracy
    cells = app.locator('[data-testid="confusion"] tbody td').all_inner_texts()
    assert len(cells) == 10 * 11 and sum(int(c) for i, c in enumerate(cells) if i % 11) == 2000
    assert app.locator('[data-testid="mistakes"] figure').count() == 24
    assert "images/s" in text(app, "train-speed")
    app.evaluate("""() => { window.statuses = [];
      const status = document.querySelector('[data-testid=train-status]');
      new MutationObserver(() => window.statuses.push(status.textContent))
        .observe(status, { childList: true, characterData: true, subtree: true }); }""")
    app.click('[data-testid="train-start"]')  # again: the last run's "Done" goes at once
    app.wait_for_function("window.statuses.some(line => line.startsWith('Training mlp'))", timeout=TRAINING_TIMEOUT_MS)
    assert app.evaluate("window.statuses[0]") == "Starting the training…"


def test_drawing_is_recognised_while_training_runs(app, tmp_path):
    start_training(app, "cnn", epochs="3")
    wait_until_training(app)
    draw_digit(app, "7")
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'", timeout=30000)
    assert text(app, "train-status").startswith("epoch")  # still training
    app.click('[data-testid="test-model"]')  # refused beside the buttons: in the status the next slice's line replaced it
    app.wait_for_function("document.querySelector('[data-testid=train-note]')?.textContent === "
                          "'Wait for the training to end before testing a model.'")
    (tmp_path / "a.txt").write_text("a folder chosen while the training runs")
    app.set_input_files('[data-testid="folder-input"]', str(tmp_path))
    app.wait_for_function("document.querySelector('[data-testid=data-message]')?.textContent === "
                          "'Wait for the training to end before changing its data.'")
    app.click('[data-testid="train-cancel"]')
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Cancelled'")
    app.wait_for_function("document.querySelector('[data-testid=data-message]')?.textContent === ''")  # waits no more
    assert text(app, "train-note") == ""


def test_pause_stops_training_and_resume_goes_on(app):
    start_training(app, "codelab")
    wait_until_training(app)
    app.click('[data-testid="train-pause"]')
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Paused'")
    paused_at = app.evaluate("digitlab.charts.points().batches")  # a slice under way reported before the pause's answer
    for _ in range(3):  # a pump still going would report a slice before each answer, queued behind it
        trainer_request(app, "info")
        assert app.evaluate("digitlab.charts.points().batches") == paused_at
    app.click('[data-testid="train-pause"]')
    app.wait_for_function("n => digitlab.charts.points().batches > n", arg=paused_at, timeout=30000)
    app.click('[data-testid="train-pause"]')
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Paused'")
    app.click('[data-testid="train-cancel"]')  # while paused: the button is Pause again, not Resume
    app.wait_for_function("document.querySelector('[data-testid=train-pause]')?.textContent === 'Pause'")
    assert text(app, "train-status") == "Cancelled" and app.is_disabled('[data-testid="train-pause"]')


def test_the_model_in_use_is_tested_on_the_test_digits_as_the_build_scored_it(app):
    with open(os.path.join(build.OUT, build.MODEL), "rb") as f:
        built = load_model(f.read())
    app.click('[data-testid="test-model"]')
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Tested the model in use'",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "test-accuracy").startswith("Test accuracy of the model in use (%s): " % built.name)
    assert abs(accuracy_shown(app) - 100 * built.meta["metrics"]["test_accuracy"]) < 0.1
    cells = app.locator('[data-testid="confusion"] tbody td').all_inner_texts()
    assert sum(int(c) for i, c in enumerate(cells) if i % 11) == 2000
    assert app.locator('[data-testid="use-trained"]').is_hidden()  # it is the model in use already


def test_testing_the_model_in_use_leaves_the_model_trained_here_at_hand(app):
    train_small_mlp(app)
    app.click('[data-testid="test-model"]')
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Tested the model in use'",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "test-accuracy").startswith("Test accuracy of the model in use")
    assert app.is_visible('[data-testid="use-trained"]') and app.evaluate("digitlab.unsaved")
    assert model_answer(app, lambda: app.click('[data-testid="use-trained"]')) == \
        "Now recognising with the model trained here."
    assert text(app, "model-name").startswith("mlp")


def test_a_model_trained_here_is_used_and_kept_across_a_reload(app):
    train_small_mlp(app)
    assert model_answer(app, lambda: app.click('[data-testid="use-trained"]')) == \
        "Now recognising with the model trained here."
    assert text(app, "model-name").startswith("mlp")
    assert "kept in this browser" in text(app, "model-name")
    app.reload()
    wait_until_ready(app)
    app.wait_for_function("document.querySelector('[data-testid=model-name]')?.textContent.startsWith('mlp')")
    draw_digit(app, "1")
    app.wait_for_function("+document.querySelector('[data-testid=result]')?.dataset.answers > 0")
    app.click('[data-testid="reset-model"]')
    wait_until_ready(app)
    app.wait_for_function("document.querySelector('[data-testid=model-name]')?.textContent.includes('built in')")


def test_going_back_to_the_built_in_model_asks_first_when_a_model_trained_here_would_be_lost(app):
    """The reload's own "Leave site?" came after the kept model was deleted: "Stay" left the panel
    naming a model no longer kept. The page asks first, and "Cancel" forgets nothing."""
    train_small_mlp(app)  # neither in use nor downloaded
    asked = []
    app.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    app.evaluate("window.notReloaded = true")
    assert model_answer(app, lambda: app.click('[data-testid="reset-model"]')) == RESET_CANCELLED
    assert asked == [RESET_LOSES_TRAINED] and app.evaluate("window.notReloaded && digitlab.unsaved")
    assert app.is_visible('[data-testid="use-trained"]') and "built in" in text(app, "model-name")
    app.once("dialog", lambda dialog: dialog.accept())
    app.click('[data-testid="reset-model"]')
    app.wait_for_function("window.notReloaded === undefined")
    wait_until_ready(app)
    assert "built in" in text(app, "model-name") and not app.evaluate("digitlab.unsaved")


@pytest.mark.parametrize("half", [False, True], ids=["float32", "float16"])
def test_the_model_downloads_as_a_file_the_cli_reads(app, tmp_path, half):
    if half:
        app.check('[data-testid="float16"]')
    with app.expect_download() as download:
        app.click('[data-testid="download-model"]')
    path = str(tmp_path / download.value.suggested_filename)
    download.value.save_as(path)
    saved = load_model(path)
    with open(os.path.join(build.OUT, build.MODEL), "rb") as f:
        built = load_model(f.read())
    assert saved.name == built.name and saved.labels == [str(d) for d in range(10)]
    assert saved.meta["weights_dtype"] == ("float16" if half else "float32")
    full_size = os.path.getsize(os.path.join(build.OUT, build.MODEL))
    assert os.path.getsize(path) < (0.55 if half else 1.05) * full_size


def test_a_cli_trained_model_loads_and_a_damaged_one_is_refused(app):
    with open(os.path.join(build.OUT, build.MODEL), "rb") as f:
        good = f.read()
    assert "Not a digitlab model file" in drop_model_file(app, "damaged.npz", good[: len(good) // 2])
    assert "built in" in text(app, "model-name")
    assert "Not a digitlab model file" in choose_model_file(app, "not-a-model.npz", b"PK\x03\x04 but nothing else")

    draw_digit(app, "7")  # the old model still answers
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")

    assert choose_model_file(app, "from-the-cli.npz", good) == "Now recognising with from-the-cli.npz."
    assert "kept in this browser" in text(app, "model-name")
