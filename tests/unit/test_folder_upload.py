"""A folder given to the page, through the engine's commands: paths first, then decoded pixels."""
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


def upload(engine, paths, image_for, broken=()):
    """Run folder_start, then folder_image (or folder_skip for `broken` paths), then folder_done."""
    plan = engine.handle("folder_start", {"paths": paths})
    for item in plan["images"]:
        if item["path"] in broken:
            engine.handle("folder_skip", {"index": item["index"], "reason": "cannot be decoded"})
            continue
        size, pixels = rgba(image_for(item["path"]))
        engine.handle("folder_image", dict(size, index=item["index"]), pixels)
    return plan, engine.handle("folder_done", {})


def shape_paths(root="shapes", count=6):
    return ["%s/%s/%02d.png" % (root, shape, i) for shape in SHAPES for i in range(count)]


def shape_image(path):
    shape, name = path.split("/")[-2:]
    return draw_shape(shape, np.random.default_rng(int(name[:2])))


def test_a_dropped_folder_becomes_the_training_data_with_one_in_five_held_out():
    engine = Engine()
    plan, done = upload(engine, shape_paths(), shape_image)
    assert plan["name"] == "shapes" and plan["labels"] == sorted(SHAPES) and plan["skipped"] == []
    assert [item["path"] for item in plan["images"]][:2] == ["square/00.png", "square/01.png"]
    assert done == {"name": "shapes", "train": 15, "test": 3, "labels": sorted(SHAPES), "skipped": []}
    train, test = engine.data
    assert train.images.shape == (15, 28, 28) and train.images.dtype == np.uint8
    assert sorted(np.bincount(test.labels)) == [1, 1, 1]


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


def test_files_outside_label_folders_hidden_files_and_unreadable_images_are_skipped_by_name():
    paths = shape_paths() + ["shapes/readme.txt", "shapes/circle/deeper/x.png", "shapes/.DS_Store",
                             "shapes/circle/._00.png", "shapes/cross/broken.png"]
    plan, done = upload(Engine(), paths, shape_image, broken={"cross/broken.png"})
    assert done["skipped"] == ["readme.txt: not inside a label sub-folder",
                               "circle/deeper/x.png: a folder inside a label folder",
                               "cross/broken.png: cannot be decoded"]
    assert done["train"] + done["test"] == 18


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


def test_a_label_without_a_readable_image_or_too_few_images_is_refused_and_the_data_is_kept():
    engine = Engine()
    upload(engine, shape_paths(), shape_image)
    before = engine.data
    with pytest.raises(DigitlabError, match="Label folder square has no readable image"):
        upload(engine, shape_paths(), shape_image, broken={"square/%02d.png" % i for i in range(6)})
    with pytest.raises(DigitlabError, match="too small to hold out test images"):
        upload(engine, shape_paths(count=3), shape_image)
    assert engine.data is before
    with pytest.raises(DigitlabError, match="No folder is being read"):
        engine.handle("folder_done", {})


def test_an_image_that_is_not_planned_or_too_big_is_refused():
    engine = Engine()
    engine.handle("folder_start", {"paths": shape_paths()})
    size, pixels = rgba(shape_image("square/00.png"))
    with pytest.raises(DigitlabError, match="not one of the folder's images"):
        engine.handle("folder_image", dict(size, index=999), pixels)
    with pytest.raises(DigitlabError, match="at most 2048 a side"):
        engine.handle("folder_image", {"index": 0, "width": 4096, "height": 1}, b"")
