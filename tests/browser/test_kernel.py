"""The WebGL2 matrix kernel in the real trainer worker: results, no WebGL2 (context loss: test_faults.py).

Most tests open the page with ?kernel=on, so the kernel does every product: in the default
mode it races NumPy, and on a busy machine with software WebGL NumPy may win every race."""
import re

import pytest

import view
from conftest import open_app, trainer_request, watch
from test_training import TRAINING_TIMEOUT_MS, start_training, text

MAX_ERROR = 1e-4


def open_with_kernel(watched_context, app_url, runtime):
    """The page with ?kernel=on: the trainer's kernel, once verified, takes every product."""
    return open_app(*watched_context, app_url + "?runtime=%s&kernel=on" % runtime)


@pytest.fixture
def app_with_kernel(watched_context, app_url, runtime):
    return open_with_kernel(watched_context, app_url, runtime)


def wait_for_evaluation(page):
    page.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)


def test_kernel_matches_numpy_on_odd_shapes_and_transposed_operands(app_with_kernel):
    status = trainer_request(app_with_kernel, "kernel_status")["result"]
    assert status["active"] and status["always"], status["reason"]
    assert status["max_error"] <= MAX_ERROR and status["calibration"] == []

    shapes = [[1, 1, 1], [7, 13, 5], [513, 257, 129],  # the odd shapes
              [24, 36, 20], [12, 7, 8],  # rows of whole texels go up in place; others are padded first
              [4100, 3, 5], [9, 4100, 6]]  # more rows than a tile; a longer k than one chunk
    reply = trainer_request(app_with_kernel, "kernel_check", {"shapes": shapes})
    rows = reply["result"]["rows"]
    assert len(rows) == len(shapes) * 4  # each shape as A·B, Aᵀ·B, A·Bᵀ, Aᵀ·Bᵀ
    assert {row["shape"] for row in rows} >= {"513×257·257×129 (Aᵀ)", "513×257·257×129 (Bᵀ)"}
    worst = max(rows, key=lambda row: row["error"])
    assert worst["error"] <= MAX_ERROR, worst


def test_the_texture_cache_frees_the_least_recently_used_past_its_budget_and_stays_right(app_with_kernel):
    budget = 4 * 2 ** 20
    assert trainer_request(app_with_kernel, "kernel_cache", {"max_bytes": budget})["result"]["max_bytes"] == budget
    shapes = [[513, 257, 129], [600, 300, 100], [700, 200, 300], [513, 257, 129], [64, 64, 64]]  # ~3 MB each
    rows = trainer_request(app_with_kernel, "kernel_check", {"shapes": shapes})["result"]["rows"]
    assert max(row["error"] for row in rows) <= MAX_ERROR  # a shape met again after its textures went
    cache = trainer_request(app_with_kernel, "kernel_cache")["result"]
    assert cache["evicted"] > 0 and 0 < cache["bytes"] <= budget, cache


def test_the_page_shows_the_gpu_and_how_training_uses_the_kernel(app_with_kernel):
    app = app_with_kernel
    assert text(app, "gpu-webgl2") == "yes" and text(app, "gpu-float") == "yes"
    assert "SwiftShader" in text(app, "gpu-renderer")
    start_training(app, "cnn", images="50")
    wait_for_evaluation(app)
    assert text(app, "gpu-kernel").startswith("WebGL, checked against NumPy")
    assert text(app, "gpu-crossover") == "none: every product goes to WebGL (?kernel=on)"
    shown = re.match(r"yes · (\d+) products on WebGL, (\d+) in NumPy", text(app, "gpu-training"))
    assert shown, text(app, "gpu-training")
    # The page counts the training's products; scoring the test digits afterwards adds more.
    products = trainer_request(app, "kernel_status")["result"]["products"]
    assert 0 < int(shown.group(1)) <= products["kernel"] and int(shown.group(2)) <= products["numpy"]
    assert int(shown.group(2)) == 0  # every training product is float32 and 2-D: none stayed in NumPy


def test_by_default_the_kernel_races_numpy_and_the_page_says_what_the_races_decided(app):
    start_training(app, "cnn", images="50")
    wait_for_evaluation(app)
    status = trainer_request(app, "kernel_status")["result"]
    assert not status["always"] and status["calibration"], status
    assert status["active"] or status["reason"].startswith("NumPy was faster than WebGL at every size"), status
    lines = view.kernel_lines(status)  # what the page says of this status (test_view.py checks the words)
    assert text(app, "gpu-kernel") == lines["gpu-kernel"] and text(app, "gpu-crossover") == lines["gpu-crossover"]


@pytest.fixture
def app_without_webgl(browser_without_gpu, app_url):
    for context, page_watch in watch(browser_without_gpu):
        yield open_app(context, page_watch, app_url + "?runtime=registry-only")


def test_without_webgl2_training_uses_numpy_and_says_so(app_without_webgl):
    page = app_without_webgl
    assert text(page, "gpu-webgl2") == "no" and text(page, "gpu-float") == "no"
    start_training(page, "mlp", images="50")
    wait_for_evaluation(page)
    assert text(page, "gpu-kernel") == "NumPy only: This browser offers no WebGL2 here."
    assert text(page, "gpu-training") == "no"
    status = trainer_request(page, "kernel_status")["result"]
    assert not status["webgl2"] and not status["active"] and status["products"]["kernel"] == 0
