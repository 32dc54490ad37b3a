"""What the page says for engine replies (py/ui/view.py, shared with MicroPython)."""
import pytest
import view
from digitlab import cli
from digitlab.data.folder import hidden
from digitlab.data.images import open_image
from digitlab.engine import Engine
from digitlab.errors import BadImageError
from digitlab.session import SETTINGS

INFO = {"runtime": {"label": "Pyodide 0.17.1"}, "python": "3.8.2", "numpy": "1.17.5", "pillow": "8.0.1"}


def test_runtime_line_names_every_part():
    assert view.runtime_line(INFO) == "Pyodide 0.17.1 · Python 3.8.2 · numpy 1.17.5 · Pillow 8.0.1"


def test_the_ready_line_gives_the_seconds_since_the_page_opened():
    assert view.ready_line(9840.0) == "Ready in 9.8 s"


def digit(*candidates, box=(0, 0, 1, 1)):
    """An engine reply's digit from its (label, confidence) candidates, best first."""
    return {"label": candidates[0][0], "confidence": candidates[0][1], "box": list(box),
            "candidates": [{"label": label, "confidence": confidence} for label, confidence in candidates]}


def answer(*digits):
    return {"ok": True, "result": {"text": "".join(d["label"] for d in digits), "digits": list(digits)}}


def test_a_prediction_shows_the_label_and_confidence():
    reply = answer(digit(("7", 0.9871), ("1", 0.01), ("2", 0.001), box=(1, 2, 3, 4)))
    assert view.describe(reply, 0.6) == {"prediction": "7", "confidence": "98.7% sure", "message": ""}


def test_below_the_threshold_a_digit_is_not_sure_and_names_what_it_may_be():
    reply = answer(digit(("2", 0.45), ("3", 0.4), ("7", 0.05)))
    shown = view.describe(reply, 0.6)
    assert shown["prediction"] == "?"
    assert shown["message"].startswith("? — maybe 2 or 3.")
    assert view.describe(reply, 0.4)["prediction"] == "2"  # the slider moved down: sure enough now
    flat = answer(digit(("4", 0.12), ("9", 0.11), ("1", 0.1)))
    assert view.describe(flat, 0.6)["message"].startswith("? — not a digit I know.")


def test_nothing_found_shows_the_engines_note():
    reply = {"ok": True, "result": {"text": "", "digits": [], "note": "No digit found: the image is blank."}}
    assert view.describe(reply, 0.6) == {"prediction": "–", "confidence": "",
                                         "message": "No digit found: the image is blank."}


def test_an_error_shows_its_message_and_no_prediction():
    reply = {"ok": False, "error": {"type": "EmptyImageError", "message": "No digit found: the image is blank."}}
    shown = view.describe(reply, 0.6)
    assert shown["prediction"] == "–" and shown["confidence"] == ""
    assert shown["message"] == "No digit found: the image is blank."


def test_uploads_are_refused_before_reading_when_empty_or_too_big():
    limit = Engine().handle("info", {})["max_upload_bytes"]  # the engine's own limit, images.MAX_BYTES
    assert view.upload_problem(0, limit) == "The file is empty."
    assert view.upload_problem(limit + 1, limit) == "The file is 30.1 MB; the limit is 30 MB."
    assert view.upload_problem(limit, limit) is None
    for size in (0, limit + 1, limit + 2 ** 19, 40 * 2 ** 20, 40 * 2 ** 20 + 1):  # the engine says it alike
        with pytest.raises(BadImageError) as refused:
            open_image(bytes(size))
        assert str(refused.value) == view.upload_problem(size, limit)


def test_the_accuracy_line_counts_the_test_images_in_the_confusion_matrix():
    report = {"accuracy": 0.75, "confusion": [[2, 1], [0, 1]]}
    assert view.accuracy_line(report, "the model in use") == "Test accuracy of the model in use: 75.0% on 4 test images"


def test_the_labels_a_tested_model_does_not_know_are_named():
    assert view.unknown_labels_line([]) == ""
    assert view.unknown_labels_line(["z", "<b>"]) == "Not scored: the images labelled z, <b>, which the model does not know."


def test_the_offline_line_gives_the_reason_when_the_app_cannot_be_kept():
    assert view.offline_line({"kept": True}).startswith("yes")
    assert view.offline_line({"kept": False, "reason": "no https"}) == "no: no https"
    assert view.install_hint({"kept": False, "reason": "no https", "insecure": True}) == (
        "Offline use is not possible from here: no https.")
    assert view.install_hint({"kept": False, "reason": "the files could not be kept (quota)"}) is None  # may pass
    assert view.install_hint({"kept": True}) is None


def test_per_class_accuracy_follows_the_label_order_and_marks_empty_classes():
    line = view.per_class_line(["b", "a", "c"], {"a": 0.5, "c": None, "b": 1.0})
    assert line == "b: 100.0% · a: 50.0% · c: –"


def test_training_settings_are_read_by_the_engine_s_definition_and_bad_ones_named():
    settings = SETTINGS
    payload, problems = view.training_settings("mlp", {"epochs": "2", "batch_size": "64", "lr": "0.01"}, "50",
                                               False, True, settings)
    assert problems == {}
    assert payload == {"architecture": "mlp", "epochs": 2, "batch_size": 64, "lr": 0.01, "per_label": 50,
                       "base": False, "none_of_these": True}
    _, problems = view.training_settings("cnn", {"epochs": "0", "batch_size": "lots", "lr": "-1"}, "", True, False,
                                         settings)
    assert problems == {"epochs": "A whole number from 1 to 50", "batch_size": "A whole number from 8 to 1024",
                        "lr": "A number from 1e-05 to 1"}
    assert view.training_settings("cnn", {"epochs": "2.5"}, "", True, False, settings)[1] == {
        "epochs": "A whole number from 1 to 50"}


def test_a_model_trained_here_is_named_by_how_it_was_trained():
    assert view.trained_here({"name": view.TRANSFER}) == "the new classifier on the built-in network's features"
    assert view.trained_here({"name": "cnn"}) == "the model trained here"


def test_the_training_line_says_whether_a_new_classifier_is_trained_on_the_digit_network():
    assert view.training_line({"architecture": "cnn", "images": 800}) == "Training cnn on 800 images"
    started = {"architecture": view.TRANSFER, "images": 25, "config": {"lr": 0.005, "batch_size": 64}}
    assert view.training_line(started) == (
        "Training a new classifier on the built-in network's features, 25 images (learning rate 0.005, batch 64)")


def test_mistakes_are_captioned_with_truth_and_reading():
    items = view.mistake_items([{"truth": "4", "predicted": "9", "pixels": "AAA="}])
    assert items == [{"pixels": "AAA=", "caption": "4 read as 9"}]


def kernel_status(**changes):
    status = {"webgl2": True, "renderer": "SwiftShader", "floatRenderTarget": True, "active": True,
              "always": False, "reason": None, "max_error": 4.4e-07, "crossover": 256,
              "calibration": [{"size": 128, "numpy_ms": 2.8, "kernel_ms": 5.5},
                              {"size": 256, "numpy_ms": 24.7, "kernel_ms": 17.0}],
              "products": {"kernel": 0, "numpy": 0}, "shapes": []}
    status.update(changes)
    return status


def test_the_device_lines_say_yes_or_no_and_name_the_renderer():
    assert view.device_lines(kernel_status()) == {
        "gpu-webgl2": "yes", "gpu-renderer": "SwiftShader", "gpu-float": "yes"}
    assert view.device_lines(kernel_status(webgl2=False, renderer=None, floatRenderTarget=False)) == {
        "gpu-webgl2": "no", "gpu-renderer": "–", "gpu-float": "no"}


def test_an_active_kernel_shows_its_error_crossover_timings_and_use():
    lines = view.kernel_lines(kernel_status())
    assert lines["gpu-kernel"] == "WebGL, checked against NumPy (largest relative error 4.4e-07)"
    assert lines["gpu-crossover"].startswith("256×256×256: WebGL 17.0 ms, NumPy 24.7 ms")
    assert lines["gpu-training"] == "not yet"
    used = kernel_status(products={"kernel": 12, "numpy": 30},
                         shapes=[{"on_kernel": True}, {"on_kernel": False}, {"on_kernel": True}])
    assert view.kernel_lines(used)["gpu-training"] == (
        "yes · 12 products on WebGL, 30 in NumPy · 2 of 3 product shapes faster on WebGL")


def test_a_kernel_wanted_always_says_it_takes_every_product_and_no_crossover():
    lines = view.kernel_lines(kernel_status(always=True, crossover=None, calibration=[]))
    assert lines["gpu-crossover"] == "none: every product goes to WebGL (?kernel=on)"
    assert lines["gpu-kernel"].startswith("WebGL, checked against NumPy")


def test_an_inactive_kernel_gives_its_reason():
    lines = view.kernel_lines(kernel_status(active=False, reason="The WebGL context was lost.",
                                            products={"kernel": 5, "numpy": 9}))
    assert lines["gpu-kernel"] == "NumPy only: The WebGL context was lost."
    assert lines["gpu-crossover"] == "–"
    assert lines["gpu-training"] == "no · 5 products on WebGL, 9 in NumPy"


def test_data_lines_name_the_data_its_labels_and_split():
    assert view.mnist_line({"train": 8000, "test": 2000, "labels": list("0123456789")}) == \
        "Data: the MNIST digits: 8000 to train, 2000 to test"
    folder = {"name": "shapes", "train": 15, "test": 3, "labels": ["circle", "cross", "square"], "skipped": []}
    assert view.folder_line(folder) == ("Data: the folder “shapes”: 3 labels (circle, cross, square), "
                                        "15 images to train, 3 held out to test")
    assert view.folder_line(dict(folder, name=None)).startswith("Data: your folder: 3 labels")
    assert view.folder_line(dict(folder, test=0)).endswith("15 images to train, none held out to test (too few)")
    assert view.folder_line(dict(folder, labels=["ok"], train=1, test=0)) == (
        "Data: the folder “shapes”: 1 label (ok), 1 image to train, none held out to test (too few)")


def test_the_validation_line_names_the_labels_it_cannot_test():
    val = {"name": "val", "train": 18, "test": 4, "labels": ["circle", "cross"], "unvalidated": ["cross"]}
    assert view.validation_line(val) == ("Validation: the folder “val”: 4 images to test on; every training image "
                                         "is trained on; no image of cross to test")
    assert view.validation_line(dict(val, unvalidated=[])).endswith("trained on")
    assert view.validation_line(dict(val, test=1)).startswith("Validation: the folder “val”: 1 image to test on;")


def test_an_untested_model_is_said_so_and_an_epoch_without_validation_has_no_accuracy():
    report = {"accuracy": None, "labels": [], "per_class": {}, "confusion": [], "mistakes": []}
    assert view.accuracy_line(report, "the model trained here").startswith(
        "The model trained here is trained but not tested: no images to test it on")
    assert view.speed_line({"images_per_second": 100, "seconds": 1.5}) == "100 images/s · 1.5 s per epoch"


def test_the_model_panel_names_the_labels_and_the_accuracy_by_what_the_model_reads():
    digits = {"name": "wide", "parameters": 10, "labels": list("0123456789"), "metrics": {"test_accuracy": 0.99}}
    letters = dict(digits, name=view.TRANSFER, labels=["A", "B"])
    assert view.model_line(digits, "built in") == "wide · 10 parameters · 99.0% on the test digits · built in"
    assert view.model_line(letters, "kept").endswith("99.0% on its test images · kept")
    assert (view.labels_line(digits), view.labels_line(letters)) == ("Reads the digits 0 to 9", "Reads: A, B")


def test_skipped_lines_stop_after_a_few_and_count_the_rest():
    assert view.skipped_lines([{"file": "a.txt", "reason": "not an image"}]) == ["Skipped a.txt: not an image"]
    lines = view.skipped_lines([{"file": "f%d" % i, "reason": "bad"} for i in range(25)], most=20)
    assert len(lines) == 21 and lines[-1] == "… and 5 more"


def test_a_number_shows_its_digits_and_the_least_confidence():
    reply = answer(digit(("3", 0.99), ("8", 0.01)), digit(("1", 0.912), ("7", 0.08)))
    shown = view.describe(reply, 0.6)
    assert shown == {"prediction": "31", "confidence": "2 digits, each at least 91.2% sure", "message": ""}


def test_an_unsure_digit_is_marked_and_named_in_the_message():
    digits = [digit(("3", 0.99), ("5", 0.01), box=(10, 20, 30, 40)),
              digit(("8", 0.5), ("3", 0.3), ("0", 0.1), box=(50, 20, 30, 40))]
    boxes = view.digit_boxes(digits, 200, 100, 0.6)
    assert [b["unsure"] for b in boxes] == [False, True]
    assert boxes[0]["caption"] == "3 99%" and boxes[1]["caption"] == "? 8/3"
    assert (boxes[0]["left"], boxes[0]["top"], boxes[0]["width"], boxes[0]["height"]) == ("5.00%", "20.00%", "15.00%", "40.00%")
    shown = view.describe(answer(*digits), 0.6)
    assert shown["prediction"] == "3?" and shown["message"] == "Not sure of digit 2: ? — maybe 8 or 3."
    assert [b["unsure"] for b in view.digit_boxes(digits, 200, 100, 0.4)] == [False, False]


def test_a_note_from_the_engine_is_the_message():
    reply = answer(digit(("1", 0.99)))
    reply["result"]["note"] = "only the first 40"
    assert view.describe(reply, 0.6)["message"] == "only the first 40"


def test_the_threshold_line_gives_a_percentage():
    assert view.threshold_line(0.6) == "Say “not sure” below 60%"


def test_live_reading_keeps_a_number_only_when_three_frames_in_a_row_agree_and_are_sure():
    sure = answer(digit(("4", 0.95), ("9", 0.04)), digit(("2", 0.9), ("7", 0.05)))
    other = answer(digit(("4", 0.95), ("9", 0.04)), digit(("7", 0.9), ("2", 0.05)))
    unsure = answer(digit(("4", 0.95), ("9", 0.04)), digit(("2", 0.5), ("7", 0.4)))
    nothing = {"ok": True, "result": {"text": "", "digits": [], "note": "No digit found"}}
    history = []
    kept = [view.live_reading(history, frame, 0.6)
            for frame in (sure, sure, other, sure, sure, unsure, sure, sure, sure, nothing)]
    assert kept == [None, None, None, None, None, None, None, None, "42", None]
    assert len(history) == view.LIVE_FRAMES
    assert view.live_reading([], sure, 0.6) is None  # one frame is never enough


def test_the_camera_line_names_the_camera_or_says_why_not():
    assert view.camera_line({"ok": True, "result": {"label": "Back Camera"}}) == "Camera on: Back Camera."
    refused = {"ok": False, "error": {"type": "CameraError", "message": "No camera was found on this device."}}
    assert view.camera_line(refused) == "No camera was found on this device."


def test_a_drawn_class_needs_a_free_name_that_can_name_a_folder():
    taken = {"tick": 2}
    assert view.class_name_problem("cross", taken) is None
    assert view.class_name_problem("tick", taken) == "There is a class “tick” already."
    assert view.class_name_problem("", taken) == "Give the class a name first."
    for name in ("a/b", "a\\b", ".hidden"):
        assert view.class_name_problem(name, taken).startswith("A class name cannot hold")
    assert view.class_name_problem("?", taken) == "A class cannot be named ?: a reading says ? when it is not sure."
    for name in (".x", "__MACOSX", "._a", "x", "MACOSX", "_x"):  # no class the engine would skip as hidden
        assert not hidden(name) or view.class_name_problem(name, taken) is not None


def test_drawn_classes_are_ready_with_two_classes_drawn_and_name_the_empty_ones():
    assert view.classes_line({}) == ""
    assert not view.classes_ready({"tick": 3, "cross": 0})
    assert view.classes_line({"tick": 3, "cross": 0}) == ("Draw examples of at least 2 classes to train on them. "
                                                          "No drawing yet of cross.")
    assert view.classes_ready({"tick": 3, "cross": 1, "dot": 0})
    assert view.classes_line({"tick": 3, "cross": 1, "dot": 0}) == "Ready: 4 drawings of 2 classes. No drawing yet of dot."


def test_a_model_in_use_that_the_browser_would_not_keep_says_so_and_how_to_keep_it():
    assert view.accepted_line("mine.npz") == "Now recognising with mine.npz."
    assert view.accepted_line("mine.npz", "the browser's storage for this page is full") == (
        "Now recognising with mine.npz, but it is not kept in this browser: the browser's storage for this page "
        "is full. Download it to keep it.")


def test_a_percentage_short_of_all_is_never_shown_as_all_and_the_cli_says_it_alike():
    assert [view.percent(x) for x in (1.0, 0.99996, 0.987, 0.0)] == ["100.0%", "99.9%", "98.7%", "0.0%"]
    assert [view.percent(x, 0) for x in (1.0, 0.996, 0.987)] == ["100%", "99%", "99%"]  # a box's caption
    every = [k / 10000 for k in range(10001)] + [0.99996]
    assert [cli._percent(x) for x in every] == [view.percent(x) for x in every]  # two runtimes, one rule


def test_an_engine_started_again_without_the_model_in_use_says_which_model_reads_now():
    assert view.restarted_line(None) == (
        "The engine started again, recognising with the built-in model: the model in use before was not kept in "
        "this browser, so it is gone. Load or train it again.")
    assert view.restarted_line("older").startswith("The engine started again, recognising with the kept model older:")
    assert view.restarted_line(None, "The model kept in this browser could not be used: damaged.") == (
        "The engine started again, recognising with the built-in model. The model kept in this browser could not "
        "be used: damaged.")


def test_the_network_in_python_is_trained_from_scratch_with_its_code():
    payload, problems = view.training_settings("python", {"epochs": "1", "batch_size": "64", "lr": "0.01"}, "50",
                                               True, False, SETTINGS, "model = [Flatten(), Dense(units=classes)]")
    assert not problems and payload["code"].startswith("model = [") and payload["base"] is False
    payload, _ = view.training_settings("cnn", {"epochs": "1", "batch_size": "64", "lr": "0.01"}, "", True, False,
                                        SETTINGS, "model = []")
    assert "code" not in payload


def test_a_checked_network_is_said_by_its_shapes_and_parameters():
    said = view.network_line({"shapes": [[28, 28, 1], [784], [10]], "params": 7850})
    assert said == "Checked: 28x28x1 → 784 → 10 · 7,850 parameters. Train it with “The network in Python”."
