"""Image folders as data sets, and `digitlab train|eval --data DIR`, on shapes drawn here."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab import cli
from digitlab.data.folder import hold_out, read_folder
from digitlab.errors import DigitlabError
from digitlab.model_file import load_model
from digitlab.preprocess import centre_of_mass

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHAPES = ["square", "circle", "cross"]  # not sorted: labels must come out sorted
PER_SHAPE = 12


def draw_shape(shape, rng):
    """Dark outline of `shape` on white, at a random place, size and stroke width."""
    image = Image.new("L", (64, 64), 255)
    draw = ImageDraw.Draw(image)
    x, y = (int(v) for v in rng.integers(2, 20, 2))
    size, width = int(rng.integers(26, 40)), int(rng.integers(3, 6))
    if shape == "square":
        draw.rectangle((x, y, x + size, y + size), outline=0, width=width)
    elif shape == "circle":
        draw.ellipse((x, y, x + size, y + size), outline=0, width=width)
    else:
        draw.line((x, y, x + size, y + size), fill=0, width=width)
        draw.line((x, y + size, x + size, y), fill=0, width=width)
    return image


def make_folder(root, shapes=SHAPES, count=PER_SHAPE, seed=0):
    rng = np.random.default_rng(seed)
    for shape in shapes:
        os.makedirs(os.path.join(str(root), shape))
        for i in range(count):
            draw_shape(shape, rng).save(os.path.join(str(root), shape, "%02d.png" % i))
    return str(root)


@pytest.fixture(scope="module")
def shapes_dir(tmp_path_factory):
    """Three shape folders plus a broken PNG, a text file and hidden files."""
    root = make_folder(tmp_path_factory.mktemp("shapes"))
    with open(os.path.join(root, "circle", "broken.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with open(os.path.join(root, "square", "notes.txt"), "w") as f:
        f.write("not a picture\n")
    for hidden in (os.path.join(root, ".DS_Store"), os.path.join(root, "cross", "._00.png")):
        with open(hidden, "wb") as f:
            f.write(b"\x00\x05\x16\x07")
    return root


def run_cli(capsys, *argv):
    """`digitlab ...` in-process: (exit code, stdout lines, stderr lines)."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


@pytest.fixture(scope="module")
def trained(shapes_dir, tmp_path_factory):
    """`python -m digitlab train --json` on the shapes, once: (model path, stdout lines, stderr lines)."""
    out = str(tmp_path_factory.mktemp("model") / "shapes.npz")
    argv = ["train", "--data", shapes_dir, "--out", out, "--model", "mlp", "--epochs", "15", "--lr", "0.01", "--json"]
    run = python_m_digitlab(*argv)  # a subprocess: capsys does not exist at module scope
    assert run.returncode == 0, run.stderr
    return out, run.stdout.splitlines(), run.stderr.splitlines()


def python_m_digitlab(*argv):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "py"))
    return subprocess.run([sys.executable, "-m", "digitlab"] + list(argv), cwd=ROOT, env=env, timeout=120,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


# ---------------------------------------------------------------- reading a folder

def test_read_folder_labels_are_sorted_sub_folders_and_bad_files_are_named(shapes_dir):
    warnings = []
    image_set = read_folder(shapes_dir, warnings.append)
    assert image_set.label_names == ["circle", "cross", "square"]
    assert image_set.images.dtype == np.uint8 and image_set.images.shape == (3 * PER_SHAPE, 28, 28)
    np.testing.assert_array_equal(np.bincount(image_set.labels), [PER_SHAPE] * 3)
    assert len(warnings) == 2  # hidden files are neither read nor reported
    broken, text = sorted(warnings)
    assert broken.startswith("skipped %s: " % os.path.join(shapes_dir, "circle", "broken.png"))
    assert text.startswith("skipped %s: " % os.path.join(shapes_dir, "square", "notes.txt"))
    assert "not an image" in text and "\n" not in broken + text


def test_read_folder_preprocesses_like_the_app(shapes_dir):
    image_set = read_folder(shapes_dir, lambda line: None)
    for image in image_set.images:
        ys, xs = np.nonzero(image)
        assert image.max() == 255  # the strongest ink is stretched to 1
        assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 <= 21  # longer side scaled to 20 px
        np.testing.assert_allclose(centre_of_mass(image.astype(float)), (14, 14), atol=1.0)


def test_hold_out_is_every_fifth_image_of_each_label(shapes_dir):
    image_set = read_folder(shapes_dir, lambda line: None)
    train, held_out = hold_out(image_set)
    assert (len(train), len(held_out)) == (30, 6)
    np.testing.assert_array_equal(np.bincount(held_out.labels), [2, 2, 2])
    first_circles = image_set.images[image_set.labels == 0]
    np.testing.assert_array_equal(held_out.images[held_out.labels == 0], first_circles[[4, 9]])
    train_again, _ = hold_out(read_folder(shapes_dir, lambda line: None))
    np.testing.assert_array_equal(train.images, train_again.images)


def test_files_outside_label_folders_are_reported(tmp_path):
    root = make_folder(tmp_path / "data", shapes=["a"], count=2)
    (tmp_path / "data" / "readme.txt").write_text("hello")
    os.makedirs(os.path.join(root, "a", "more"))
    warnings = []
    assert len(read_folder(root, warnings.append)) == 2
    assert sorted(warnings) == [
        "skipped %s: a folder inside a label folder (only image files are read)" % os.path.join(root, "a", "more"),
        "skipped %s: not inside a label sub-folder" % os.path.join(root, "readme.txt"),
    ]


def folder_with(tmp_path, layout):
    """A folder made from {relative path: bytes or None for a sub-folder}."""
    root = tmp_path / "data"
    root.mkdir()
    for name, content in layout.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content)
    return str(root)


@pytest.mark.parametrize("layout, reason", [
    ({}, "is empty: it needs one sub-folder of images per label"),
    ({".hidden": b"x"}, "is empty"),
    ({"a.png": b"x", "b.png": b"y"}, "has no label sub-folders"),
    ({"a": None}, "label folder .*a has no readable image"),
    ({"a/one.png": b"garbage", "b/two.txt": b"text"}, "label folder .*a has no readable image"),
], ids=["empty", "only hidden", "files without sub-folders", "empty label folder", "no readable image"])
def test_unusable_folders_are_refused_with_a_reason(tmp_path, layout, reason):
    with pytest.raises(DigitlabError, match=reason):
        read_folder(folder_with(tmp_path, layout), lambda line: None)


def test_a_missing_folder_is_refused():
    with pytest.raises(DigitlabError, match="no image folder at /no/such/dir"):
        read_folder("/no/such/dir", lambda line: None)


# ---------------------------------------------------------------- train and eval through the CLI

def test_train_json_prints_epochs_then_a_summary_and_warns_about_bad_files(trained, shapes_dir):
    model_path, out, err = trained
    events = [json.loads(line) for line in out]
    epochs, summary = events[:-1], events[-1]
    assert [e["event"] for e in epochs] == ["epoch"] * 15
    assert [e["epoch"] for e in epochs] == list(range(15))
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "images_per_second"} <= set(epochs[0])
    assert summary == {"event": "summary", "out": model_path, "model": "mlp", "labels": ["circle", "cross", "square"],
                       "train_images": 30, "test_images": 6, "accuracy": epochs[-1]["val_accuracy"]}
    assert summary["accuracy"] >= 5 / 6
    assert len(err) == 2 and all(line.startswith("digitlab: warning: skipped %s" % shapes_dir) for line in err)
    saved = load_model(model_path)
    assert saved.labels == ["circle", "cross", "square"] and saved.model.output_shape == (3,)


def test_eval_json_scores_every_image_of_a_folder(trained, shapes_dir, capsys):
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", shapes_dir, "--json")
    assert code == 0 and len(err) == 2
    (line,) = out
    scores = json.loads(line)
    assert {"accuracy", "per_class", "confusion", "labels"} <= set(scores)
    assert scores["labels"] == ["circle", "cross", "square"]
    confusion = np.array(scores["confusion"])
    assert confusion.shape == (3, 3) and confusion.sum() == 3 * PER_SHAPE  # all images, not a split
    np.testing.assert_array_equal(confusion.sum(axis=1), [PER_SHAPE] * 3)
    assert scores["accuracy"] == pytest.approx(np.trace(confusion) / confusion.sum())
    assert scores["accuracy"] >= 0.9
    assert set(scores["per_class"]) == set(scores["labels"])


def test_eval_maps_a_folder_labels_onto_the_model_by_name(trained, tmp_path, capsys):
    data = make_folder(tmp_path / "squares", shapes=["square"], count=5, seed=7)
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", data, "--json")
    assert (code, err) == (0, [])
    scores = json.loads(out[0])
    confusion = np.array(scores["confusion"])
    np.testing.assert_array_equal(confusion.sum(axis=1), [0, 0, 5])  # the model's "square" row
    assert scores["per_class"]["circle"] is None and scores["per_class"]["cross"] is None


def test_eval_refuses_a_folder_with_a_label_the_model_does_not_know(trained, tmp_path, capsys):
    data = make_folder(tmp_path / "mixed", shapes=["square", "star"], count=2)
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", data)
    assert code == 1 and out == []
    assert err == ["digitlab: the model does not know the label 'star'; it knows circle, cross, square"]


def test_eval_plain_output(trained, shapes_dir, capsys):
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", shapes_dir)
    assert code == 0
    assert out[0].startswith("accuracy ") and [line.split(":")[0] for line in out[1:]] == [
        "  circle", "  cross", "  square"]


@pytest.mark.parametrize("command", ["train", "eval"])
def test_an_empty_folder_is_a_one_line_error(command, trained, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    target = ["--out", str(tmp_path / "m.npz")] if command == "train" else ["--model", trained[0]]
    run = python_m_digitlab(command, "--data", str(empty), *target)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "digitlab: %s is empty: it needs one sub-folder of images per label" % empty]
    assert not os.path.exists(str(tmp_path / "m.npz"))


def test_train_refuses_a_folder_too_small_to_hold_out_images(tmp_path, capsys):
    data = make_folder(tmp_path / "tiny", shapes=["a", "b"], count=4)
    code, out, err = run_cli(capsys, "train", "--data", data, "--out", str(tmp_path / "m.npz"), "--model", "logreg")
    assert code == 1 and out == []
    assert err == ["digitlab: %s is too small to hold out test images: give a label at least 5 images" % data]


def test_train_refuses_to_learn_from_the_mnist_test_set(tmp_path, capsys):
    code, out, err = run_cli(capsys, "train", "--data", "mnist-test", "--out", str(tmp_path / "m.npz"))
    assert code == 1 and err == ["digitlab: mnist-test is the MNIST test set; train with --data mnist"]


@pytest.mark.parametrize("command", ["train", "eval"])
def test_a_missing_data_set_is_a_one_line_error(command, tmp_path, trained, capsys):
    absent = str(tmp_path / "nothing")
    target = ["--out", str(tmp_path / "m.npz")] if command == "train" else ["--model", trained[0]]
    code, out, err = run_cli(capsys, command, "--data", absent, *target)
    assert code == 1 and out == []
    assert err == ["digitlab: no data set at %s: give mnist, an image folder or a .npz image store" % absent]


def test_a_file_that_is_not_an_image_store_is_a_one_line_error(tmp_path, trained, capsys):
    bogus = tmp_path / "store.npz"
    bogus.write_bytes(b"not a zip")
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", str(bogus))
    assert code == 1 and err == ["digitlab: %s is not a digitlab image store (a .npz with test images)" % bogus]


def test_train_rejects_zero_epochs(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--data", "mnist", "--out", str(tmp_path / "m.npz"), "--epochs", "0"])
    assert exit_info.value.code == 2
    assert "--epochs: must be more than 0" in capsys.readouterr().err


def test_train_refuses_an_output_folder_that_does_not_exist_before_training(shapes_dir, tmp_path, capsys):
    out = str(tmp_path / "no" / "such" / "m.npz")
    code, stdout, err = run_cli(capsys, "train", "--data", shapes_dir, "--out", out, "--model", "logreg")
    assert code == 1 and stdout == []
    assert err == ["digitlab: cannot write %s: no folder %s" % (out, os.path.dirname(out))]
