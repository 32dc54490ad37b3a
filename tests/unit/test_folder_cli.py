"""Image folders as data sets, and `digitlab train|eval --data DIR`, on shapes drawn here."""
import json
import os
import subprocess

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab import cli
from digitlab.data.folder import LOOP, hold_out, read_folder
from digitlab.data.images import MAX_BYTES, NOT_A_FILE
from digitlab.data.store import ImageSet, save_sets
from digitlab.errors import DigitlabError
from digitlab.model_file import load_model
from digitlab.preprocess import centre_of_mass
from tests.unit.test_cli_engine import digitlab_process

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
    argv = ["train", "--data", shapes_dir, "--out", out, "--base", "none", "--model", "mlp", "--epochs", "15",
            "--lr", "0.01", "--json"]
    run = python_m_digitlab(*argv)  # a subprocess: capsys does not exist at module scope
    assert run.returncode == 0, run.stderr
    return out, run.stdout.splitlines(), run.stderr.splitlines()


def python_m_digitlab(*argv):
    """`python -m digitlab ARGV`, run to its end: its exit code, stdout and stderr."""
    run = digitlab_process(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = run.communicate(timeout=120)
    return subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)


# ---------------------------------------------------------------- reading a folder

def skips():
    """A skip callback and the dict {path: reason} it fills."""
    found = {}
    return (lambda path, reason: found.__setitem__(path, reason)), found


def ignore(path, reason):
    pass


def test_read_folder_labels_are_sorted_sub_folders_and_bad_files_are_named(shapes_dir):
    skip, skipped = skips()
    image_set = read_folder(shapes_dir, skip)
    assert image_set.label_names == ["circle", "cross", "square"]
    assert image_set.images.dtype == np.uint8 and image_set.images.shape == (3 * PER_SHAPE, 28, 28)
    np.testing.assert_array_equal(np.bincount(image_set.labels), [PER_SHAPE] * 3)
    assert sorted(skipped) == sorted(os.path.join(shapes_dir, *p) for p in [
        ("circle", "broken.png"), ("square", "notes.txt"), (".DS_Store",), ("cross", "._00.png")])
    assert skipped[os.path.join(shapes_dir, ".DS_Store")] == "hidden"
    assert "not an image" in skipped[os.path.join(shapes_dir, "square", "notes.txt")]
    assert not any("\n" in reason for reason in skipped.values())


def test_read_folder_preprocesses_like_the_app(shapes_dir):
    image_set = read_folder(shapes_dir, ignore)
    for image in image_set.images:
        ys, xs = np.nonzero(image)
        assert image.max() == 255  # the strongest ink is stretched to 1
        assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 <= 21  # longer side scaled to 20 px
        np.testing.assert_allclose(centre_of_mass(image.astype(float)), (14, 14), atol=1.0)


def test_hold_out_is_every_fifth_image_of_each_label(shapes_dir):
    image_set = read_folder(shapes_dir, ignore)
    train, held_out = hold_out(image_set)
    assert (len(train), len(held_out)) == (30, 6)
    np.testing.assert_array_equal(np.bincount(held_out.labels), [2, 2, 2])
    first_circles = image_set.images[image_set.labels == 0]
    np.testing.assert_array_equal(held_out.images[held_out.labels == 0], first_circles[[4, 9]])
    train_again, _ = hold_out(read_folder(shapes_dir, ignore))
    np.testing.assert_array_equal(train.images, train_again.images)
    few, none = hold_out(image_set.subset(np.arange(4)))  # no label has five: all trained on, nothing to test
    assert (len(few), none) == (4, None)


def test_files_outside_label_folders_are_reported_and_nested_folders_belong_to_their_label(tmp_path):
    root = make_folder(tmp_path / "data", shapes=["a", "b"], count=2)
    (tmp_path / "data" / "readme.txt").write_text("hello")
    make_folder(tmp_path / "data" / "a" / "more", shapes=["deeper"], count=3)
    skip, skipped = skips()
    image_set = read_folder(root, skip)
    assert image_set.label_names == ["a", "b"]
    np.testing.assert_array_equal(np.bincount(image_set.labels), [5, 2])
    assert skipped == {os.path.join(root, "readme.txt"): "not inside a label sub-folder"}


def test_an_empty_label_folder_is_left_out_and_named(tmp_path):
    root = make_folder(tmp_path / "data", shapes=["a", "b"], count=2)
    os.makedirs(os.path.join(root, "empty"))
    (tmp_path / "data" / "junk").mkdir()
    (tmp_path / "data" / "junk" / "x.txt").write_text("not a picture")
    skip, skipped = skips()
    assert read_folder(root, skip).label_names == ["a", "b"]
    assert skipped[os.path.join(root, "empty")] == "no readable image: the label is left out"
    assert skipped[os.path.join(root, "junk")] == "no readable image: the label is left out"
    assert os.path.join(root, "junk", "x.txt") in skipped


def test_a_label_folder_named_as_a_reading_not_sure_is_left_out_and_named(tmp_path):
    """A model's sure "?" would read as "not sure"."""
    root = make_folder(tmp_path / "data", shapes=["a", "?", "b"], count=2)
    skip, skipped = skips()
    images = read_folder(root, skip)
    assert images.label_names == ["a", "b"] and len(images) == 4
    assert skipped == {os.path.join(root, "?"): 'a label cannot be ?, which a reading says when not sure: rename '
                                                 'the folder'}
    os.rename(os.path.join(root, "a"), str(tmp_path / "a"))
    os.rename(os.path.join(root, "b"), str(tmp_path / "b"))
    with pytest.raises(DigitlabError, match=r"has no label sub-folders but one named \?: put the images of each"):
        read_folder(root, skip)  # its only label folder


def test_a_16_bit_png_is_scaled_not_clipped(tmp_path):
    dark = np.full((40, 40), 65535, np.uint16)
    dark[8:32, 18:23] = 9000  # ink at 14 % of white: clipped to 8 bits it would read as white
    root = folder_with(tmp_path, {"one/a.png": b""})
    Image.fromarray(dark).save(os.path.join(root, "one", "a.png"))
    (digit,) = read_folder(root, ignore).images
    assert digit.max() == 255 and (digit > 128).sum() > 30


def test_a_link_to_a_folder_it_is_in_is_named_not_followed(tmp_path):
    """`a/self -> .` read a's images again at a/self/self/... until the system gave up, about 40
    deep, the copies landing in the held-out fifth too; two such links walked for ever."""
    root = make_folder(tmp_path / "data", shapes=["a", "b"], count=2)
    os.symlink(".", os.path.join(root, "a", "self"))
    os.symlink("..", os.path.join(root, "b", "up"))  # the data's own folder
    os.symlink(".", os.path.join(root, "again"))  # named once, not also as a label with no image
    make_folder(tmp_path / "elsewhere", shapes=["more"], count=3)
    os.symlink(os.path.join("..", "..", "elsewhere", "more"), os.path.join(root, "b", "more"))  # a link elsewhere is followed
    skip, skipped = skips()
    image_set = read_folder(root, skip)
    np.testing.assert_array_equal(np.bincount(image_set.labels), [2, 2 + 3])
    assert skipped == {os.path.join(root, "a", "self"): LOOP, os.path.join(root, "b", "up"): LOOP,
                       os.path.join(root, "again"): LOOP}


def test_what_is_not_a_file_is_named_and_a_file_past_the_limit_refused_unread(tmp_path):
    """A pipe among the images made reading wait for ever; a 600 MB file was read whole, then refused."""
    root = make_folder(tmp_path / "data", shapes=["a", "b"], count=2)
    os.mkfifo(os.path.join(root, "a", "pipe.png"))
    with open(os.path.join(root, "b", "huge.png"), "wb") as f:
        f.truncate(40 * 2 ** 20)  # sparse: no disk, and reading it whole would still cost 40 MB of memory
    skip, skipped = skips()
    image_set = read_folder(root, skip)
    np.testing.assert_array_equal(np.bincount(image_set.labels), [2, 2])
    assert skipped == {os.path.join(root, "a", "pipe.png"): NOT_A_FILE,
                       os.path.join(root, "b", "huge.png"): "The file is 40.0 MB; the limit is %d MB." % (MAX_BYTES // 2 ** 20)}


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
    ({"a": None}, "has no label folder with a readable image"),
    ({"a/one.png": b"garbage", "b/two.txt": b"text"}, "has no label folder with a readable image"),
], ids=["empty", "only hidden", "files without sub-folders", "empty label folder", "no readable image"])
def test_unusable_folders_are_refused_with_a_reason(tmp_path, layout, reason):
    with pytest.raises(DigitlabError, match=reason):
        read_folder(folder_with(tmp_path, layout), ignore)


def test_a_missing_folder_is_refused():
    with pytest.raises(DigitlabError, match="no image folder at /no/such/dir"):
        read_folder("/no/such/dir", ignore)


# ---------------------------------------------------------------- train and eval through the CLI

def test_train_json_prints_epochs_then_a_summary_and_warns_about_bad_files(trained, shapes_dir):
    model_path, out, err = trained
    events = [json.loads(line) for line in out]
    epochs, summary = events[:-1], events[-1]
    assert [e["event"] for e in epochs] == ["epoch"] * 15
    assert [e["epoch"] for e in epochs] == list(range(15))
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "images_per_second"} <= set(epochs[0])
    skipped = summary.pop("skipped")
    assert summary == {"event": "summary", "out": model_path, "model": "mlp", "labels": ["circle", "cross", "square"],
                       "train_images": 30, "test_images": 6, "accuracy": epochs[-1]["val_accuracy"], "base": "none",
                       "classes": {"circle": PER_SHAPE, "cross": PER_SHAPE, "square": PER_SHAPE}}
    assert summary["accuracy"] >= 5 / 6
    assert sorted(entry["file"] for entry in skipped) == sorted(os.path.join(shapes_dir, *p) for p in [
        ("circle", "broken.png"), ("square", "notes.txt"), (".DS_Store",), ("cross", "._00.png")])
    assert all(entry["reason"] for entry in skipped)
    assert len(err) == 4 and all(line.startswith("digitlab: warning: skipped %s" % shapes_dir) for line in err)
    saved = load_model(model_path)
    assert saved.labels == ["circle", "cross", "square"] and saved.model.output_shape == (3,)


def test_eval_json_scores_every_image_of_a_folder(trained, shapes_dir, capsys):
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", shapes_dir, "--json")
    assert code == 0 and len(err) == 4
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


def test_eval_scores_the_labels_the_model_knows_and_names_the_others(trained, tmp_path, capsys):
    """As train --val does: the folder a model was validated on can be scored again with eval."""
    data = make_folder(tmp_path / "mixed", shapes=["square", "star"], count=2)
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", data, "--json")
    assert code == 0
    assert err == ["digitlab: warning: skipped %s: a label the model does not know: not scored"
                   % os.path.join(data, "star")]
    assert np.array(json.loads(out[0])["confusion"]).sum(axis=1).tolist() == [0, 0, 2]  # the two squares


def test_eval_refuses_a_folder_with_no_label_the_model_knows(trained, tmp_path, capsys):
    data = make_folder(tmp_path / "stars", shapes=["star"], count=2)
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", data)
    assert code == 1 and out == []
    assert err[-1] == "digitlab: None of the labels of these images (star) is among the model's (circle, cross, square)."


def test_train_refuses_a_folder_of_one_label_before_training(tmp_path, capsys):
    """A model of one label would give it to everything, 100 % sure."""
    data = make_folder(tmp_path / "one", shapes=["square"], count=5)
    code, out, err = run_cli(capsys, "train", "--data", data, "--out", str(tmp_path / "m.npz"), "--base", "none",
                             "--model", "logreg")
    assert code == 1 and out == [] and not os.path.exists(str(tmp_path / "m.npz"))
    assert err == ['digitlab: Training needs images of two labels at least, to tell apart; these are all of one '
                   'label, square. Add a label folder, or the class "none of these".']


@pytest.mark.parametrize("command", ["predict", "train", "eval", "export", "import"])
def test_each_commands_help_is_printed(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("usage: ")


def test_train_refuses_an_unknown_architecture_before_reading_the_data(tmp_path, capsys):
    out_path = str(tmp_path / "m.npz")
    code, out, err = run_cli(capsys, "train", "--data", str(tmp_path / "no such folder"), "--out", out_path,
                             "--base", "none", "--model", "resnet")
    assert code == 1 and out == [] and not os.path.exists(out_path)
    assert err == ["digitlab: unknown model 'resnet'; choose from logreg, mlp, codelab, cnn, wide, deep"]


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


def test_a_folder_too_small_to_hold_out_images_still_trains_and_says_it_is_not_validated(tmp_path, capsys):
    data = make_folder(tmp_path / "tiny", shapes=["a", "b"], count=3)
    out_path = str(tmp_path / "m.model")
    code, out, err = run_cli(capsys, "train", "--data", data, "--out", out_path, "--base", "none", "--model", "logreg",
                             "--epochs", "2")
    assert code == 0 and out[-1] == "no images to validate on -> %s" % out_path
    assert err[0] == "digitlab: warning: no images to validate on: every label needs 5 images, or give --val DIR"
    assert err[1:] == ["digitlab: warning: label %s (3 images) cannot be validated: no image of it to validate on" % k
                       for k in "ab"]
    assert load_model(out_path).labels == ["a", "b"]


def test_a_validation_folder_of_no_training_label_is_refused_before_training(tmp_path, capsys):
    data = make_folder(tmp_path / "train", shapes=["square", "circle"], count=3)
    val = make_folder(tmp_path / "val", shapes=["star"], count=2)
    code, out, err = run_cli(capsys, "train", "--data", data, "--val", val, "--out", str(tmp_path / "m"), "--base",
                             "none", "--model", "logreg")
    assert code == 1 and out == [] and not os.path.exists(str(tmp_path / "m"))
    assert err == ["digitlab: None of the labels of these images (star) is among the training folder's (circle, square)."]


def test_plain_training_lines_count_epochs_from_one(tmp_path, capsys):
    data = make_folder(tmp_path / "d", shapes=["a", "b"], count=5)
    code, out, _ = run_cli(capsys, "train", "--data", data, "--out", str(tmp_path / "m"), "--base", "none",
                           "--model", "logreg", "--epochs", "2")
    assert code == 0 and [line.split("  ")[0] for line in out[:2]] == ["epoch 1", "epoch 2"]


def test_a_validation_folder_scores_training_by_label_name(tmp_path, capsys):
    data = make_folder(tmp_path / "train", shapes=["square", "circle"], count=3)
    val = make_folder(tmp_path / "val", shapes=["circle", "star", "square"], count=4, seed=5)
    code, out, err = run_cli(capsys, "train", "--data", data, "--val", val, "--out", str(tmp_path / "m"), "--base",
                             "none", "--model", "logreg", "--epochs", "2", "--json")
    assert code == 0
    summary = json.loads(out[-1])
    assert (summary["train_images"], summary["test_images"]) == (6, 8)  # the stars are not scored
    assert {"file": os.path.join(val, "star"), "reason": "label not in the training folder: not scored"} \
        in summary["skipped"]
    assert all("val_accuracy" in json.loads(line) for line in out[:-1])


def test_out_is_written_at_exactly_the_path_given(tmp_path, capsys):
    data = make_folder(tmp_path / "d", shapes=["a", "b"], count=5)
    out_path = str(tmp_path / "x.model")
    code, _, _ = run_cli(capsys, "train", "--data", data, "--out", out_path, "--base", "none", "--model", "logreg",
                         "--epochs", "1")
    assert code == 0 and sorted(os.listdir(str(tmp_path))) == [
        "d", "x.model"]
    code, out, _ = run_cli(capsys, "eval", "--model", out_path, "--data", data)
    assert code == 0 and out[0].startswith("accuracy ")


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
    assert code == 1 and err == ["digitlab: %s is not a digitlab image store (a .npz of images and labels): File is "
                                 "not a zip file" % bogus]


def image_store(path, train_side, test_side, labels=("a", "b")):
    """A .npz image store of 10 random images a set, of those sides."""
    rng = np.random.default_rng(0)
    sets = {name: ImageSet(rng.integers(0, 256, (10, side, side), dtype=np.uint8), np.arange(10) % len(labels), labels)
            for name, side in (("train", train_side), ("test", test_side))}
    save_sets(str(path), **sets)
    return str(path)


def test_a_store_whose_two_sets_differ_in_image_size_is_refused_before_training(tmp_path, capsys):
    store = image_store(tmp_path / "odd.npz", 28, 20)
    code, out, err = run_cli(capsys, "train", "--data", store, "--out", str(tmp_path / "m.npz"), "--base", "none")
    assert code == 1 and out == [] and not os.path.exists(str(tmp_path / "m.npz"))
    assert err == ["digitlab: %s is not a digitlab image store (a .npz of images and labels): its train images are "
                   "28x28 and its test images 20x20" % store]


@pytest.mark.parametrize("labels, names, said", [
    (np.arange(10)[:, None] % 2, ["a", "b"], "its train labels are of shape (10, 1), not one number per image"),
    (np.arange(10) % 2, ["a", "a"], "among its train label names, one is named twice"),
    (np.arange(10) % 2, ["", "b"], "among its train label names, one is empty"),
], ids=["a column of labels, as Keras keeps them", "a name twice", "an empty name"])
def test_a_store_whose_labels_are_not_one_number_an_image_or_whose_names_repeat_is_refused(
        tmp_path, capsys, labels, names, said):
    """A (10, 1) column of labels ended in an IndexError traceback; two labels of one name trained a
    model with that name twice, and its summary merged their counts."""
    store = str(tmp_path / "odd.npz")
    np.savez(store, train_images=np.zeros((10, 28, 28), np.uint8), train_labels=labels, train_label_names=names,
             test_images=np.zeros((2, 28, 28), np.uint8), test_labels=np.arange(2), test_label_names=["a", "b"])
    code, out, err = run_cli(capsys, "train", "--data", store, "--out", str(tmp_path / "m.npz"), "--base", "none")
    assert code == 1 and out == [] and not os.path.exists(str(tmp_path / "m.npz"))
    assert err == ["digitlab: %s is not a digitlab image store (a .npz of images and labels): %s" % (store, said)]


def test_eval_refuses_images_of_another_size_than_the_model_reads(trained, tmp_path, capsys):
    store = image_store(tmp_path / "small.npz", 20, 20, labels=("circle", "cross", "square"))
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", store)
    assert code == 1 and out == [] and err == ["digitlab: The model reads 28x28x1 images, and these are 20x20x1."]


def test_a_store_with_a_label_named_as_a_reading_not_sure_is_refused_before_training(tmp_path, capsys):
    store = image_store(tmp_path / "unsure.npz", 28, 28, labels=("a", "?"))
    code, out, err = run_cli(capsys, "train", "--data", store, "--out", str(tmp_path / "m.npz"), "--base", "none")
    assert code == 1 and out == [] and not os.path.exists(str(tmp_path / "m.npz"))
    assert err == ["digitlab: A label cannot be ?, which a reading says when not sure: rename it."]


def test_a_calibration_share_that_holds_out_no_image_or_all_of_a_label_is_refused_before_training(tmp_path, capsys):
    """0.01 of 10 images is none: the model was trained and saved uncalibrated, and nothing said;
    and a share that leaves a label nothing to train on is refused too."""
    store = image_store(tmp_path / "small.npz", 28, 28)
    out_path = str(tmp_path / "m.npz")
    argv = ["train", "--data", store, "--out", out_path, "--base", "none", "--model", "logreg", "--epochs", "1"]
    code, out, err = run_cli(capsys, *argv, "--calibrate", "0.01")
    assert code == 1 and out == [] and not os.path.exists(out_path)
    assert err == ["digitlab: --calibrate 0.01 of 10 training images holds out none to calibrate on: give a larger "
                   "share."]
    code, out, err = run_cli(capsys, *argv, "--calibrate", "0.96")  # all of them: a ZeroDivisionError traceback
    assert code == 1 and out == [] and not os.path.exists(out_path)
    assert err == ["digitlab: --calibrate 0.96 holds out every training image of a label: give a smaller share."]
    code, out, err = run_cli(capsys, *argv, "--calibrate", "0.2")  # 2 of them
    assert code == 0 and "calibration" in load_model(open(out_path, "rb").read()).meta


def test_eval_of_a_store_with_no_test_images_says_so(trained, tmp_path, capsys):
    store = str(tmp_path / "empty.npz")
    save_sets(store, train=ImageSet(np.zeros((2, 28, 28), np.uint8), [0, 1], ["a", "b"]),
              test=ImageSet(np.zeros((0, 28, 28), np.uint8), [], ["a", "b"]))
    code, out, err = run_cli(capsys, "eval", "--model", trained[0], "--data", store)
    assert code == 1 and out == [] and err == ["digitlab: There are no images to score."]


def test_a_base_network_that_reads_another_size_than_the_images_is_refused(tmp_path, capsys):
    store = image_store(tmp_path / "small.npz", 20, 20)
    code, out, err = run_cli(capsys, "train", "--data", store, "--out", str(tmp_path / "m.npz"), "--base", "builtin")
    assert code == 1 and out == [] and not os.path.exists(str(tmp_path / "m.npz"))
    assert err == ["digitlab: The network to start from reads 28x28x1 images, and these are 20x20x1."]


@pytest.mark.parametrize("option, value, said", [
    ("--epochs", "0", "must be a number more than 0"),
    ("--lr", "nan", "must be a number more than 0"),  # float("nan") <= 0 is False: it passed, and trained to NaN
    ("--warp", "inf", "must be a number more than 0"),  # an infinite warp ended in an OverflowError traceback
    ("--lr", "fast", "invalid float value: 'fast'"),  # not "invalid parse value", the parser's own name
])
def test_train_refuses_a_setting_that_is_no_number_more_than_0(tmp_path, capsys, option, value, said):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--data", "mnist", "--out", str(tmp_path / "m.npz"), option, value])
    assert exit_info.value.code == 2
    assert "%s: %s" % (option, said) in capsys.readouterr().err
    assert not os.path.exists(str(tmp_path / "m.npz"))


@pytest.mark.parametrize("out, reason", [
    ("", "cannot write '': give a file name"),
    ("models/", "cannot write 'models/': give a file name"),
    ("models", "cannot write models: a folder of that name is there"),
])
def test_train_refuses_an_out_it_cannot_write_before_training(shapes_dir, tmp_path, monkeypatch, capsys, out, reason):
    monkeypatch.chdir(tmp_path)
    os.mkdir("models")
    code, stdout, err = run_cli(capsys, "train", "--data", shapes_dir, "--out", out, "--base", "none", "--model", "logreg")
    assert (code, stdout, err) == (1, [], ["digitlab: " + reason])
    assert os.listdir("models") == []


def test_a_file_that_cannot_be_written_is_a_one_line_error(trained, capsys):
    """A full disk (Linux's /dev/full), found only when writing: said in words, not a traceback."""
    code, out, err = run_cli(capsys, "export", trained[0], "/dev/full")
    assert (code, out, err) == (1, [], ["digitlab: cannot write /dev/full: No space left on device"])


def test_a_tfjs_export_onto_a_file_is_refused(trained, tmp_path, capsys):
    (tmp_path / "taken").write_bytes(b"mine")
    code, out, err = run_cli(capsys, "export", trained[0], str(tmp_path / "taken"), "--format", "tfjs")
    assert (code, out) == (1, []) and (tmp_path / "taken").read_bytes() == b"mine"
    assert err == ["digitlab: cannot write the folder %s: a file of that name is there" % (tmp_path / "taken")]


def test_train_refuses_an_output_folder_that_does_not_exist_before_training(shapes_dir, tmp_path, capsys):
    out = str(tmp_path / "no" / "such" / "m.npz")
    code, stdout, err = run_cli(capsys, "train", "--data", shapes_dir, "--out", out, "--base", "none", "--model", "logreg")
    assert code == 1 and stdout == []
    assert err == ["digitlab: cannot write %s: no folder %s" % (out, os.path.dirname(out))]
