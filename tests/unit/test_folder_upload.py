"""A folder given to the page, through the engine's commands: paths first, then decoded pixels."""
import zlib

import numpy as np
import pytest
from PIL import Image

from digitlab.data.folder import read_folder
from digitlab.engine import Engine
from digitlab.errors import DigitlabError
from test_folder_cli import SHAPES, draw_shape, make_folder


def rgba(image):
    """A PIL image as the browser hands decoded pixels over: RGBA bytes and a size."""
    image = image.convert("RGBA")
    return {"width": image.width, "height": image.height}, image.tobytes()


def upload(engine, paths, image_for, broken=(), role="train"):
    """Run folder_start, then folder_image (or folder_skip for `broken` paths), then folder_done."""
    plan = engine.handle("folder_start", {"paths": paths})
    for item in plan["images"]:
        if item["path"] in broken:
            engine.handle("folder_skip", {"index": item["index"], "reason": "cannot be decoded"})
            continue
        size, pixels = rgba(image_for(item["path"]))
        engine.handle("folder_image", dict(size, index=item["index"]), pixels)
    return plan, engine.handle("folder_done", {"role": role})


def shape_paths(root="shapes", count=6):
    return ["%s/%s/%02d.png" % (root, shape, i) for shape in SHAPES for i in range(count)]


def shape_image(path):
    """The shape its label folder names ("circle/…/07.png"), drawn with a seed of its own path."""
    return draw_shape(path.split("/")[0], np.random.default_rng(zlib.crc32(path.encode())))


def test_a_dropped_folder_becomes_the_training_data_with_one_in_five_held_out():
    engine = Engine()
    plan, done = upload(engine, shape_paths(), shape_image)
    assert plan["name"] == "shapes" and plan["labels"] == sorted(SHAPES) and plan["skipped"] == []
    assert [item["path"] for item in plan["images"]][:2] == ["square/00.png", "square/01.png"]
    assert done == {"name": "shapes", "role": "train", "train": 15, "test": 3, "labels": sorted(SHAPES),
                    "skipped": [], "unvalidated": []}
    train, test = engine.data
    assert train.images.shape == (15, 28, 28) and train.images.dtype == np.uint8
    assert sorted(np.bincount(test.labels)) == [1, 1, 1]


def test_a_label_folder_named_as_a_reading_not_sure_is_left_out_before_its_images_are_decoded():
    engine = Engine()
    paths = shape_paths() + ["shapes/?/%02d.png" % i for i in range(6)]
    plan, done = upload(engine, paths, shape_image)
    assert plan["labels"] == done["labels"] == sorted(SHAPES) and len(plan["images"]) == 18
    assert done["skipped"] == [{"file": "?", "reason": "a label cannot be ?, which a reading says when not sure: "
                                                       "rename the folder"}]


def test_pixels_from_the_browser_give_the_digits_read_folder_gives(tmp_path):
    make_folder(tmp_path, count=6)
    on_disk = read_folder(str(tmp_path), lambda path, reason: None)
    engine = Engine()
    paths = ["%s/%02d.png" % (shape, i) for shape in SHAPES for i in range(6)]  # label folders dropped together
    plan = engine.handle("folder_start", {"paths": paths})
    assert plan["name"] is None
    for item in plan["images"]:
        size, pixels = rgba(Image.open(str(tmp_path / item["path"])))
        engine.handle("folder_image", dict(size, index=item["index"]), pixels)
    uploaded = engine.folder.image_set()
    assert uploaded.label_names == on_disk.label_names
    assert np.abs(uploaded.images.astype(int) - on_disk.images.astype(int)).max() <= 1


def test_a_folder_given_to_the_page_follows_the_rules_of_a_folder_on_disk():
    paths = shape_paths() + ["shapes/readme.txt", "shapes/circle/deeper/x.png", "shapes/.DS_Store",
                             "shapes/circle/._00.png", "shapes/cross/broken.png", "shapes/.git/config"]
    plan, done = upload(Engine(), paths, shape_image, broken={"cross/broken.png"})
    assert done["skipped"] == [{"file": "readme.txt", "reason": "not inside a label sub-folder"},
                               {"file": ".DS_Store", "reason": "hidden"},
                               {"file": "circle/._00.png", "reason": "hidden"},
                               {"file": ".git/config", "reason": "hidden"},
                               {"file": "cross/broken.png", "reason": "cannot be decoded"}]
    assert done["train"] + done["test"] == 19  # circle/deeper/x.png is a circle
    assert "circle/deeper/x.png" in [item["path"] for item in plan["images"]]


@pytest.mark.parametrize("paths, reason", [
    ([], "The folder is empty"),
    (["shapes/a.png", "shapes/b.png"], "no label sub-folders"),
    (["a/../../etc/passwd"], "malformed"),
    (["a//b.png"], "malformed"),
    ([3], "malformed"),
])
def test_unusable_folders_are_refused_with_a_reason(paths, reason):
    with pytest.raises(DigitlabError, match=reason):
        Engine().handle("folder_start", {"paths": paths})


def test_a_label_without_a_readable_image_is_left_out_and_a_small_folder_trains_untested():
    engine = Engine()
    _, done = upload(engine, shape_paths(), shape_image, broken={"square/%02d.png" % i for i in range(6)})
    assert done["labels"] == ["circle", "cross"]
    assert {"file": "square", "reason": "no readable image: the label is left out"} in done["skipped"]
    _, done = upload(engine, shape_paths(count=3), shape_image)
    assert (done["train"], done["test"], done["unvalidated"]) == (9, 0, sorted(SHAPES))
    assert engine.data[1] is None


def test_a_folder_with_nothing_readable_is_refused_and_the_data_is_kept():
    engine = Engine()
    upload(engine, shape_paths(), shape_image)
    before = engine.data
    with pytest.raises(DigitlabError, match="The folder has no label folder with a readable image"):
        upload(engine, shape_paths(), shape_image, broken={p.split("/", 1)[1] for p in shape_paths()})
    assert engine.data is before
    with pytest.raises(DigitlabError, match="No folder is being read"):
        engine.handle("folder_done", {})


def test_a_validation_folder_tests_the_training_labels_it_has_and_names_the_others():
    engine = Engine()
    with pytest.raises(DigitlabError, match="Give the training folder first"):
        upload(engine, shape_paths(), shape_image, role="val")
    upload(engine, shape_paths(), shape_image)
    val_paths = ["val/circle/%02d.png" % i for i in range(4)] + ["val/moon/00.png"]
    _, done = upload(engine, val_paths, shape_image, role="val")
    assert (done["role"], done["train"], done["test"]) == ("val", 18, 4)  # every training image trains
    assert done["skipped"] == [{"file": "moon", "reason": "label not in the training folder: not scored"}]
    assert done["unvalidated"] == ["cross", "square"]
    train, test = engine.data
    assert train.label_names == test.label_names == sorted(SHAPES) and set(test.labels) == {0}
    with pytest.raises(DigitlabError, match=r"None of the labels of these images \(moon\) is among the training folder's "
                                            r"\(circle, cross, square\)\."):
        upload(engine, ["val/moon/00.png"], shape_image, role="val")
    assert engine.data == (train, test)


def test_an_image_that_is_not_planned_or_too_big_is_refused():
    engine = Engine()
    engine.handle("folder_start", {"paths": shape_paths()})
    size, pixels = rgba(shape_image("square/00.png"))
    with pytest.raises(DigitlabError, match="not one of the folder's images"):
        engine.handle("folder_image", dict(size, index=999), pixels)
    with pytest.raises(DigitlabError, match="at most 2048 a side"):
        engine.handle("folder_image", {"index": 0, "width": 4096, "height": 1}, b"")


def test_a_blank_image_in_a_folder_is_skipped_and_the_rest_is_read():
    """As read_folder skips it: one empty photo does not lose the folder."""
    blank = "shapes/circle/00.png"
    _, done = upload(Engine(), shape_paths(), lambda path: Image.new("L", (40, 40), 255) if path == blank[7:]
                     else shape_image(path))
    assert done["train"] + done["test"] == 17
    assert done["skipped"] == [{"file": blank[7:], "reason": "No digit found: the image is blank."}]


def test_the_page_refuses_to_train_on_a_folder_of_one_label_unless_none_of_these_makes_two():
    engine = Engine()
    upload(engine, ["squares/square/%02d.png" % i for i in range(6)], shape_image)
    with pytest.raises(DigitlabError, match="these are all of one label, square"):
        engine.handle("train_start", {"architecture": "logreg", "epochs": 1})
    assert engine.training is None
    started = engine.handle("train_start", {"architecture": "logreg", "epochs": 1, "none_of_these": True})
    assert started["images"] > 5  # the squares and built-in strokes that are none of them
