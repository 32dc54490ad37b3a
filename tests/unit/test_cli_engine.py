"""The CLI `predict` command and the browser engine's commands, with a model made here."""
import io
import json
import re
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab import cli
from digitlab.data.images import NOT_A_FILE, WORKING_SIDE
from digitlab.engine import Engine
from digitlab.errors import BadImageError, DigitlabError, ModelFileError
from digitlab.model_file import model_bytes
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import LOGREG
from digitlab.recognise import CANDIDATES, THRESHOLD, UNSURE

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LABELS = [str(d) for d in range(10)]


@pytest.fixture(scope="module")
def model_data():
    return model_bytes(Sequential(LOGREG, (28, 28, 1), seed=1), LABELS, name="logreg")


@pytest.fixture(scope="module")
def model_path(model_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "logreg.npz"
    path.write_bytes(model_data)
    return str(path)


def write_drawing(path, size, box, fmt="PNG"):
    """Save a white `size` image with a black bar at `box` = (x, y, w, h); return the path."""
    x, y, w, h = box
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).rectangle((x, y, x + w - 1, y + h - 1), fill=0)
    image.save(str(path), fmt)
    return str(path)


def box_tolerance(size):
    """Source pixels a box may be off by: none at full size, about one working pixel when reduced."""
    scale = max(size) / float(WORKING_SIDE)
    return 0 if scale <= 1 else scale + 1


def predict(capsys, *argv):
    """Run `digitlab predict` in-process: (exit code, stdout lines, stderr lines)."""
    code = cli.main(["predict"] + list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


DRAWINGS = [  # (file name, image size, bar box, format)
    ("small.png", (200, 150), (40, 30, 40, 80), "PNG"),
    ("wide.png", (3000, 2000), (1234, 456, 300, 800), "PNG"),
    ("tall.png", (1500, 5000), (300, 2500, 500, 1500), "PNG"),
    ("photo.jpg", (4000, 3000), (2100, 700, 400, 1300), "JPEG"),
]


def test_json_gives_one_object_per_file_with_the_box_in_source_pixels(tmp_path, model_path, capsys):
    files = [write_drawing(tmp_path / name, size, box, fmt) for name, size, box, fmt in DRAWINGS]
    code, out, err = predict(capsys, "--json", "--model", model_path, *files)
    assert (code, err) == (0, [])
    assert len(out) == len(DRAWINGS)
    for line, path, (_, size, drawn, _) in zip(out, files, DRAWINGS):
        result = json.loads(line)
        assert set(result) == {"file", "text", "digits"}
        assert result["file"] == path
        (digit,) = result["digits"]
        assert set(digit) == {"label", "confidence", "box", "candidates"}
        assert result["text"] == digit["label"]
        assert_reading(digit, THRESHOLD)
        assert all(isinstance(v, int) for v in digit["box"])
        np.testing.assert_allclose(digit["box"], drawn, atol=box_tolerance(size), err_msg=path)


def assert_reading(digit, threshold):
    """A digit's label is its best candidate's when that is sure enough, else "?"; candidates best first."""
    candidates = digit["candidates"]
    assert len(candidates) == CANDIDATES and len({c["label"] for c in candidates}) == CANDIDATES
    assert all(c["label"] in LABELS for c in candidates)
    confidences = [c["confidence"] for c in candidates]
    assert confidences == sorted(confidences, reverse=True) and 0.0 < confidences[0] <= 1.0
    assert digit["confidence"] == confidences[0]
    assert digit["label"] == (candidates[0]["label"] if confidences[0] >= threshold else UNSURE)


def test_threshold_decides_between_the_best_label_and_not_sure(tmp_path, model_path, capsys):
    path = write_drawing(tmp_path / "a.png", (100, 100), (30, 20, 12, 50))
    readings = {}
    for threshold in ("0", "1"):
        code, out, err = predict(capsys, "--json", "--threshold", threshold, "--model", model_path, path)
        assert (code, err) == (0, [])
        (readings[threshold],) = json.loads(out[0])["digits"]
        assert_reading(readings[threshold], float(threshold))
    assert readings["0"]["label"] in LABELS and readings["1"]["label"] == UNSURE  # a random model is never sure
    assert readings["0"]["candidates"] == readings["1"]["candidates"]


def test_a_confidence_short_of_all_is_never_printed_as_all():
    """At --threshold 1 a digit read 99.996 % sure is '?': '100.0%' beside it would contradict it."""
    assert [cli._percent(x) for x in (1.0, 0.99996, 0.987, 0.0)] == ["100.0%", "99.9%", "98.7%", "0.0%"]


@pytest.mark.parametrize("threshold", ["-0.1", "1.5", "sure"])
def test_a_threshold_outside_0_to_1_is_refused(tmp_path, model_path, capsys, threshold):
    path = write_drawing(tmp_path / "a.png", (100, 100), (30, 20, 12, 50))
    with pytest.raises(SystemExit):
        cli.main(["predict", "--threshold", threshold, "--model", model_path, path])
    assert "--threshold" in capsys.readouterr().err


@pytest.mark.parametrize("spec, shape, labels, said", [
    (LOGREG, (32, 32, 1), LABELS,  # trained on an image store of another size
     "This model reads 32x32x1 images, and pictures are read as 28x28x1 digits: it cannot read them."),
    ([{"type": "flatten"}, {"type": "dense", "units": 1}], (28, 28, 1), ["none of these"],  # left out of a reading
     "This model has no label but “none of these”: it cannot name anything."),
    ([{"type": "flatten"}, {"type": "dense", "units": 2}], (28, 28, 1), ["a", "?"],
     "This model has a label ?, which a reading says when not sure: its sure answers would read as not sure."),
], ids=["another input size", "none of these alone", "a label ?"])
def test_a_model_that_cannot_read_pictures_is_refused_by_the_page_and_by_predict(tmp_path, model_data, capsys, spec,
                                                                                   shape, labels, said):
    refused = model_bytes(Sequential(spec, shape, seed=1), labels, name="hand-made")
    engine = Engine()
    engine.handle("load_model", {}, model_data)
    with pytest.raises(DigitlabError, match=re.escape(said)):
        engine.handle("load_model", {}, refused)
    assert engine.saved.name == "logreg"  # the model in use stays
    (tmp_path / "refused.npz").write_bytes(refused)
    paths = [write_drawing(tmp_path / name, (100, 100), (30, 20, 12, 50)) for name in ("a.png", "b.png")]
    code, out, err = predict(capsys, "--model", str(tmp_path / "refused.npz"), *paths)
    assert code != 0 and out == [] and err == ["digitlab: %s" % said]  # once, not once a file


def test_plain_output_is_one_line_per_file(tmp_path, model_path, capsys):
    path = write_drawing(tmp_path / "a.png", (100, 100), (30, 20, 12, 50))
    code, out, err = predict(capsys, "--model", model_path, path)
    assert (code, err) == (0, [])
    assert len(out) == 1
    assert out[0].startswith(path + ": ")
    label, confidence = out[0][len(path) + 2:].split(" ")
    assert label in LABELS + [UNSURE]
    assert confidence.startswith("(") and confidence.endswith("%)")


def test_plain_output_of_a_picture_with_nothing_found_says_why_in_its_line(tmp_path, model_path, capsys):
    blank = str(tmp_path / "blank.png")
    Image.new("L", (50, 50), 255).save(blank)
    code, out, err = predict(capsys, "--model", model_path, blank)
    assert (code, out, err) == (0, ["%s: No digit found: the image is blank." % blank], [])


def test_bad_files_are_named_on_stderr_while_good_files_are_reported(tmp_path, model_path, capsys):
    good_a = write_drawing(tmp_path / "a.png", (100, 100), (30, 20, 12, 50))
    good_b = write_drawing(tmp_path / "b.png", (100, 100), (50, 10, 20, 60))
    text = tmp_path / "notes.png"
    text.write_text("not a picture\n")
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(str(blank))
    missing = str(tmp_path / "absent.png")
    code, out, err = predict(capsys, "--json", "--model", model_path, good_a, str(text), str(blank), missing, good_b)
    assert code != 0
    results = [json.loads(line) for line in out]
    assert [result["file"] for result in results] == [good_a, str(blank), good_b]
    assert (results[1]["text"], results[1]["digits"]) == ("", [])  # nothing found is an answer, not a failure
    assert len(err) == 3
    assert err[0].startswith("digitlab: %s: " % text) and "not an image" in err[0]
    assert err[1].startswith("digitlab: %s: " % blank) and "No digit found" in err[1]
    assert err[2].startswith("digitlab: %s: " % missing) and "No such file" in err[2]


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    image = write_drawing(tmp_path / "a.png", (100, 100), (30, 20, 12, 50))
    absent = str(tmp_path / "none.npz")
    code, out, err = predict(capsys, "--model", absent, image)
    assert code != 0 and out == []
    assert err == ["digitlab: no model at %s (run `python build.py` or pass --model)" % absent]


def test_model_path_that_is_a_folder_is_a_clear_error(tmp_path, capsys):
    image = write_drawing(tmp_path / "a.png", (100, 100), (30, 20, 12, 50))
    code, out, err = predict(capsys, "--model", str(tmp_path), image)
    assert code != 0 and out == []
    assert len(err) == 1 and err[0].startswith("digitlab: ") and str(tmp_path) in err[0]


def test_damaged_model_is_a_clear_error(tmp_path, capsys):
    image = write_drawing(tmp_path / "a.png", (100, 100), (30, 20, 12, 50))
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"\x00\x01 not a model" * 50)
    code, out, err = predict(capsys, "--model", str(garbage), image)
    assert code != 0 and out == []
    assert len(err) == 1 and "Not a digitlab model file" in err[0]


def digitlab_process(argv, cwd=ROOT, **streams):
    """`python -m digitlab ARGV` of this checkout, as a process (Popen): its streams as given."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "py"))
    for name in ("DIGITLAB_MODEL", "PYTHONUNBUFFERED"):  # the built-in model; stdout buffered, as in a shell's pipe
        env.pop(name, None)
    return subprocess.Popen([sys.executable, "-m", "digitlab"] + argv, cwd=cwd, env=env, universal_newlines=True,
                            **streams)


def test_python_m_digitlab_predict(tmp_path, model_path):
    good = write_drawing(tmp_path / "good.png", (300, 200), (100, 40, 30, 120))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    run = digitlab_process(["predict", "--json", "--model", model_path, good, str(bad)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 1
    (line,) = out.splitlines()
    result = json.loads(line)
    assert result["file"] == good and result["digits"][0]["box"] == [100, 40, 30, 120]
    (reason,) = err.splitlines()
    assert reason.startswith("digitlab: %s: " % bad)


def test_a_pipe_or_a_folder_among_the_files_is_named_and_the_others_read(tmp_path, model_path, capsys):
    """A pipe was opened and read, waiting for ever, and the files after it were never answered."""
    pipe, folder = str(tmp_path / "pipe.png"), str(tmp_path / "folder.png")
    os.mkfifo(pipe)
    os.mkdir(folder)
    good = write_drawing(tmp_path / "good.png", (300, 200), (100, 40, 30, 120))
    code, out, err = predict(capsys, "--json", "--model", model_path, pipe, folder, good)
    assert code == 1 and [json.loads(line)["file"] for line in out] == [good]
    assert err == ["digitlab: %s: %s" % (path, NOT_A_FILE) for path in (pipe, folder)]


def test_a_file_name_that_is_not_utf8_is_printed_as_its_bytes_and_the_next_file_read(tmp_path, model_path):
    """In a strict UTF-8 terminal (PYTHONIOENCODING=utf-8, or a locale such as en_US.UTF-8) printing
    the name's odd byte raised UnicodeEncodeError: a traceback, and the next file was never read."""
    good = write_drawing(tmp_path / "good.png", (300, 200), (100, 40, 30, 120))
    odd = os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9.png")  # Latin-1, as an old camera or zip names it
    shutil.copyfile(good, odd)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "py"), PYTHONIOENCODING="utf-8")
    run = subprocess.run([sys.executable, "-m", "digitlab", "predict", "--model", model_path, odd, good], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line.split(b": ")[0] for line in lines] == [odd, os.fsencode(good)]
    assert lines[0].split(b": ")[1] == lines[1].split(b": ")[1]  # the same drawing, read alike


def test_a_name_a_latin1_terminal_cannot_print_is_escaped_not_a_traceback(tmp_path, model_path):
    """Python's stderr escapes what it cannot encode; the streams given the names' own handler kept
    doing so (a Japanese name on a Latin-1 terminal), and the app's own quotes too."""
    missing = str(tmp_path / "日本.png")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "py"), PYTHONIOENCODING="latin-1")
    run = subprocess.run([sys.executable, "-m", "digitlab", "predict", "--model", model_path, missing], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert run.returncode == 1 and b"Traceback" not in run.stderr
    assert run.stderr.decode("latin-1").startswith("digitlab: %s: " % missing.replace("日本", "\\u65e5\\u672c"))


def test_predict_finds_the_built_in_model_from_any_folder(tmp_path):
    """The built-in model is the project's, wherever the command runs."""
    if not os.path.exists(cli.DEFAULT_MODEL):
        pytest.skip("no built default model: run `python build.py`")
    write_drawing(tmp_path / "one.png", (300, 200), (100, 40, 30, 120))
    run = digitlab_process(["predict", "--json", "one.png"], cwd=str(tmp_path), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    result = json.loads(out)
    assert result["file"] == "one.png" and len(result["digits"]) == 1  # read: the bar itself may be "?"


def test_a_reader_that_stops_reading_ends_predict_quietly(tmp_path, model_path):
    """`predict ... | head -1`: the reader gone, the rest is not said, and no traceback either."""
    files = [write_drawing(tmp_path / ("%d.png" % i), (300, 200), (100, 40, 30, 120)) for i in range(3)]
    read_end, write_end = os.pipe()
    os.close(read_end)  # gone before the first line
    run = digitlab_process(["predict", "--model", model_path] + files, stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    _, err = run.communicate(timeout=60)
    assert (run.returncode, err) == (1, "")


def test_ctrl_c_during_training_is_one_line_not_a_traceback(tmp_path):
    if not os.path.exists(os.path.join(ROOT, "build", "data", "mnist.npz")):
        pytest.skip("no MNIST store: run `python build.py`")
    out = str(tmp_path / "m.npz")
    run = digitlab_process(["train", "--data", "mnist", "--model", "logreg", "--epochs", "1000", "--out", out, "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert json.loads(run.stdout.readline())["event"] == "epoch"  # training is under way
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130 and err.splitlines()[-1] == "digitlab: interrupted" and "Traceback" not in err
    assert not os.path.exists(out)


# ---------------------------------------------------------------- engine

def canvas(width, height, box=None):
    """RGBA canvas bytes: a transparent sheet with an opaque black bar at `box` = (x, y, w, h)."""
    pixels = np.zeros((height, width, 4), np.uint8)
    if box:
        x, y, w, h = box
        pixels[y:y + h, x:x + w] = (0, 0, 0, 255)
    return pixels.tobytes()


def predict_drawing(engine, width=280, height=200, box=(100, 40, 30, 120)):
    return engine.handle("predict_pixels", {"width": width, "height": height}, canvas(width, height, box))


@pytest.fixture
def engine(model_data):
    engine = Engine()
    engine.handle("load_model", {}, model_data)
    return engine


def test_engine_predicts_a_canvas(engine):
    result = predict_drawing(engine)
    (digit,) = result["digits"]
    assert digit["box"] == [100, 40, 30, 120]
    assert result["text"] == digit["label"]
    assert_reading(digit, THRESHOLD)


def test_engine_inspects_an_image_header_and_sizes_its_decode(engine, tmp_path):
    path = write_drawing(tmp_path / "a.png", (3000, 2000), (1234, 456, 300, 800))
    with open(path, "rb") as f:
        size = engine.handle("inspect_image", {}, f.read())
    assert size == {"width": 3000, "height": 2000, "decode_width": 1024, "decode_height": 683, "fully_decodable": True,
                    "undecodable": "The image file is damaged or truncated and cannot be decoded."}


def test_a_picture_a_browser_may_not_decode_is_named_should_it_fail_and_not_called_damaged(engine):
    out = io.BytesIO()
    Image.new("L", (40, 30), 255).save(out, "TIFF")  # a scanner's: Pillow reads it, Chromium does not
    size = engine.handle("inspect_image", {}, out.getvalue())
    assert size["undecodable"].startswith("This browser cannot open TIFF pictures")


def test_an_empty_file_is_called_empty(tmp_path, model_path, capsys):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    code, out, err = predict(capsys, "--model", model_path, str(path))
    assert code == 1 and err == ["digitlab: %s: The file is empty." % path]


def test_engine_maps_the_box_of_reduced_pixels_back_to_the_source(engine):
    # The browser decoded a 1120x800 upload at a quarter of its size.
    payload = {"width": 280, "height": 200, "source_width": 1120, "source_height": 800}
    result = engine.handle("predict_pixels", payload, canvas(280, 200, (100, 40, 30, 120)))
    assert result["digits"][0]["box"] == [400, 160, 120, 480]


def test_engine_places_the_box_of_a_drawing_sent_in_part_where_it_is_on_the_canvas(engine):
    # The page sends the 80x160 window around the ink that starts at (70, 20) on its canvas.
    whole = predict_drawing(engine)
    payload = {"width": 80, "height": 160, "left": 70, "top": 20}
    part = engine.handle("predict_pixels", payload, canvas(80, 160, (30, 20, 30, 120)))
    assert part["digits"][0]["box"] == whole["digits"][0]["box"] == [100, 40, 30, 120]
    assert part["text"] == whole["text"]


def test_engine_info_describes_the_loaded_model(engine):
    info = engine.handle("info", {})
    assert info["model"]["name"] == "logreg"
    assert info["model"]["labels"] == LABELS
    assert info["model"]["parameters"] == 28 * 28 * 10 + 10
    assert Engine().handle("info", {})["model"] is None


def test_engine_refuses_an_unknown_command(engine):
    with pytest.raises(DigitlabError, match="Unknown engine command 'train'"):
        engine.handle("train", {})


@pytest.mark.parametrize("command, payload, data", [
    ("predict_pixels", {"width": 280, "height": 200}, canvas(280, 200, (100, 40, 30, 120))),
])
def test_engine_refuses_to_predict_before_a_model_is_loaded(command, payload, data):
    with pytest.raises(DigitlabError, match="No model is loaded"):
        Engine().handle(command, payload, data)


@pytest.mark.parametrize("data", [canvas(280, 200)[:-4], canvas(200, 280) + b"\0", b""],
                         ids=["one pixel short", "one byte over", "no bytes"])
def test_engine_refuses_a_canvas_of_the_wrong_byte_count(engine, data):
    with pytest.raises(BadImageError, match="for 280x200 pixels"):
        engine.handle("predict_pixels", {"width": 280, "height": 200}, data)


@pytest.mark.parametrize("width, height", [(0, 10), (10, -1), (5000, 10)])
def test_engine_refuses_a_canvas_of_impossible_size(engine, width, height):
    with pytest.raises(DigitlabError, match="at most 2048 a side"):
        engine.handle("predict_pixels", {"width": width, "height": height}, b"")


def test_engine_reports_an_empty_canvas(engine):
    result = predict_drawing(engine, box=None)
    assert (result["text"], result["digits"]) == ("", [])
    assert "No digit found" in result["note"]


@pytest.mark.parametrize("data, error, reason", [
    (b"garbage" * 100, ModelFileError, "Not a digitlab model file"),
    (b"", DigitlabError, "empty"),
])
def test_engine_refuses_a_bad_model_and_keeps_the_one_it_had(engine, data, error, reason):
    before = predict_drawing(engine)
    with pytest.raises(error, match=reason):
        engine.handle("load_model", {}, data)
    assert engine.handle("info", {})["model"]["name"] == "logreg"
    assert predict_drawing(engine) == before


def test_engine_still_predicts_after_a_run_of_errors(model_data):
    engine = Engine()
    failures = [
        ("predict_pixels", {"width": 280, "height": 200}, canvas(280, 200, (100, 40, 30, 120))),
        ("load_model", {}, b"garbage"),
        ("load_model", {}, model_data[:100]),
        ("no_such_command", {}, None),
    ]
    for command, payload, data in failures:
        with pytest.raises(DigitlabError):
            engine.handle(command, payload, data)
    engine.handle("load_model", {}, model_data)
    for command, payload, data in [
        ("predict_pixels", {"width": 280, "height": 200}, b"\0" * 10),
        ("inspect_image", {}, b"not an image"),
    ]:
        with pytest.raises(DigitlabError):
            engine.handle(command, payload, data)
    assert predict_drawing(engine)["digits"][0]["box"] == [100, 40, 30, 120]


def test_json_gives_one_entry_per_digit_in_reading_order(tmp_path, model_path, capsys):
    image = Image.new("L", (400, 150), 255)
    bars = [(300, 30, 14, 90), (40, 20, 14, 100), (170, 25, 14, 95)]  # drawn out of order
    for x, y, w, h in bars:
        ImageDraw.Draw(image).rectangle((x, y, x + w - 1, y + h - 1), fill=0)
    path = str(tmp_path / "three.png")
    image.save(path)
    code, out, err = predict(capsys, "--json", "--model", model_path, path)
    assert (code, err) == (0, [])
    result = json.loads(out[0])
    assert [d["box"] for d in result["digits"]] == [list(b) for b in sorted(bars)]
    assert result["text"] == "".join(d["label"] for d in result["digits"])
    assert len(result["text"]) == 3


def test_plain_output_gives_the_number_and_each_digits_confidence(tmp_path, model_path, capsys):
    image = Image.new("L", (200, 100), 255)
    for x in (30, 120):
        ImageDraw.Draw(image).rectangle((x, 20, x + 10, 80), fill=0)
    path = str(tmp_path / "two.png")
    image.save(path)
    code, out, err = predict(capsys, "--model", model_path, path)
    number, sure = out[0][len(path) + 2:].split(" ", 1)
    assert len(number) == 2 and all(c in LABELS + [UNSURE] for c in number)
    assert sure.startswith("(") and sure.count("%") == 2


def test_composed_numbers_are_read_by_the_cli(tmp_path, capsys):
    from tests.sets.numbers import numbers

    model = os.path.join(ROOT, cli.DEFAULT_MODEL)
    if not os.path.exists(model):
        pytest.skip("no built default model: run `python build.py`")
    sample = numbers("test", 10, seed=3)
    files = []
    for i, number in enumerate(sample):
        files.append(str(tmp_path / ("n%d.png" % i)))
        with open(files[-1], "wb") as f:
            f.write(number.data)
    code, out, err = predict(capsys, "--json", "--model", model, *files)
    assert code == 0
    results = [json.loads(line) for line in out]
    for result in results:
        lefts = [d["box"][0] for d in result["digits"]]
        assert lefts == sorted(lefts)
    assert sum(r["text"] == n.text for r, n in zip(results, sample)) >= 8


def test_frames_with_no_digit_are_answered_without_a_digit_or_an_error(tmp_path, capsys):
    from PIL import ImageFilter

    model = os.path.join(ROOT, cli.DEFAULT_MODEL)
    if not os.path.exists(model):
        pytest.skip("no built default model: run `python build.py`")
    frames = {"black": Image.new("RGB", (640, 480), (0, 0, 0)), "white": Image.new("RGB", (640, 480), (255, 255, 255)),
              "grey": Image.new("RGB", (640, 480), (128, 128, 128))}
    blurred = Image.new("RGB", (640, 480), (235, 232, 220))
    ImageDraw.Draw(blurred).text((200, 200), "42", fill=(20, 20, 20))
    frames["blurred"] = blurred.resize((1280, 960)).filter(ImageFilter.GaussianBlur(30))
    files = []
    for name, frame in frames.items():
        files.append(str(tmp_path / (name + ".jpg")))
        frame.save(files[-1], "JPEG")
    code, out, err = predict(capsys, "--json", "--model", model, *files)
    assert code == 0
    texts = [json.loads(line)["text"] for line in out]
    assert len(texts) == len(frames) and all(text.strip(UNSURE) == "" for text in texts), texts
