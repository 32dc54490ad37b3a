"""The build output: self-contained, with the runtime choice written down and a good model."""
import json
import os
import tarfile

import pytest

import build
from digitlab.data.glyphs import MADE_UP, UNNAMED
from digitlab.data.store import load_set, match_labels
from digitlab.model_file import load_model
from digitlab.train import evaluate


@pytest.fixture(scope="module")
def out():
    if not build.built():
        pytest.fail("no build: run `python build.py` (the test command does)")
    return build.OUT


def test_runtime_choice_is_recorded_with_its_reason(out):
    with open(os.path.join(out, build.RUNTIME_CONFIG)) as f:
        config = json.load(f)
    assert config["default"] in config["runtimes"] and config["reason"]
    assert "registry-only" in config["runtimes"]
    for runtime in config["runtimes"].values():
        assert os.path.exists(os.path.join(out, runtime["indexURL"], "pyodide.js"))


def test_every_file_the_page_names_is_in_the_build(out):
    with open(os.path.join(out, "index.html")) as f:
        html = f.read()
    for path in ["static/page/main.js", "static/page/app.css", "static/page/favicon.svg", "static/reply.js",
                 "vendor/pyscript/core.js", "vendor/pyscript/core.css", "py/ui/main.py", "pyscript.toml"]:
        assert path in html
        assert os.path.exists(os.path.join(out, path)), path
    for path in ["static/engine/engine-worker.js", "static/engine/matmul-kernel.js"]:  # what the engine client starts
        assert os.path.exists(os.path.join(out, path)), path
    for name in ["micropython.mjs", "micropython.wasm"]:
        assert os.path.exists(os.path.join(out, "vendor", "micropython", name))


def test_what_the_page_the_ui_and_the_engine_each_name_agrees(out):
    """Names written on both sides of a runtime boundary, which no import can share: the page (HTML),
    its UI (MicroPython) and the engine or the build (CPython, Pyodide)."""
    import re

    import view
    from digitlab import transfer
    from digitlab.data import store
    from digitlab.nn import editable, zoo
    with open(os.path.join(out, "index.html")) as f:
        html = f.read()
    assert re.search(r'<meta name="theme-color" content="([^"]+)">', html).group(1) == build.THEME
    assert view.NETWORK_IN_PYTHON == editable.NAME and '<option value="%s">' % editable.NAME in html
    models = re.search(r'<select data-testid="train-model">(.*?)</select>', html, re.S).group(1)
    offered = re.findall(r'<option value="([^"]+)">', models)
    assert offered[0] == zoo.DEFAULT and sorted(offered) == sorted(list(zoo.ARCHITECTURES) + [editable.NAME])
    assert view.FIRST_EXAMPLE == zoo.DEFAULT and zoo.DEFAULT in editable.EXAMPLES
    assert '"message">%s</p>' % view.PROMPT in html and '"data-line">%s</p>' % view.MNIST_DATA in html
    assert view.UNSURE == store.UNSURE and view.TRANSFER == transfer.NAME and view.MIN_DRAWN_CLASSES == store.MIN_LABELS
    said = []  # the service worker's and the page's words to each other
    for path in ("service-worker.js", os.path.join("static", "page", "offline.js")):
        with open(os.path.join(out, path)) as f:
            said.append(dict(re.findall(r'^const (KEPT_HEADER|SKIP_WAITING|NOT_KEPT) = "([^"]+)";', f.read(), re.M)))
    assert said[0] == said[1] and len(said[0]) == 3, said
    with open(os.path.join(out, "static", "page", "engine-client.js")) as f:
        first_stage = re.search(r'^const FIRST_STAGE = "([^"]+)";', f.read(), re.M).group(1)
    with open(os.path.join(out, "static", "engine", "engine-worker.js")) as f:
        worker = f.read()
    assert 'progress("%s", ' % first_stage in worker  # the client's stage before the worker says one
    with open(os.path.join(out, "static", "page", "offline.js")) as f:
        offline = f.read()
    assert 'new URL("%s", base)' % build.RUNTIME_CONFIG in worker and 'fetch("%s?' % build.RUNTIME_CONFIG in offline


def test_the_engine_boots_in_pyodide_017_compiling_none_of_its_python(out, tmp_path):
    """The bytecode the build wrote is what Pyodide 0.17 runs: booted with it as the page boots it
    (in Node), the engine reads a digit having compiled no module from its source."""
    with open(os.path.join(out, build.RUNTIME_CONFIG)) as f:
        runtime = json.load(f)["runtimes"]["registry-only"]
    bytecode = os.path.join(out, runtime["bytecode"])
    with tarfile.open(bytecode) as tar:
        names = tar.getnames()
    for where in ("lib/python3.8/__pycache__/", "lib/python3.8/site-packages/numpy/core/__pycache__/",
                  "lib/python3.8/site-packages/PIL/__pycache__/", "app/digitlab/__pycache__/"):
        assert any(name.startswith(where) for name in names), where  # Python's start, numpy, Pillow, ours
    assert build.compile_in_node(runtime, str(tmp_path), bytecode) == {}


def test_the_default_model_reaches_97_percent_on_the_test_digits(out):
    saved = load_model(os.path.join(out, build.MODEL))
    test_set = load_set(os.path.join(out, build.MNIST_STORE), "test")
    assert len(test_set) == 2000
    accuracy = evaluate(saved.model, test_set)["accuracy"]
    print("default model test accuracy: %.4f" % accuracy)
    assert accuracy >= 0.97


def test_the_feature_network_names_the_digits_and_glyphs_but_not_the_transfer_benchmarks_classes(out):
    saved = load_model(os.path.join(out, build.FEATURES))
    assert saved.labels[:10] == [str(d) for d in range(10)] and "made-up %d" % MADE_UP in saved.labels
    assert {"x", "+", "spiral"} <= set(saved.labels) and not UNNAMED & set(saved.labels)
    test_set = match_labels(load_set(os.path.join(out, build.MNIST_STORE), "test"), saved.labels)
    assert evaluate(saved.model, test_set)["accuracy"] >= 0.95  # it still tells digits apart (97 % when built)
