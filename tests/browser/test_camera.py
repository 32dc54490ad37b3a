"""The camera in real Chromium, fed by its fake device from a video file we make: a photo-like
number (test digits) in front of the lens. Also: no camera, and a camera that stops mid-stream."""
import numpy as np
import pytest
from PIL import Image

from conftest import CHROMIUM, CHROMIUM_ARGS, open_app, watch
from drawing import draw_digit
from test_page import answers, text
from tests.sets.numbers import numbers

FRAME = (640, 480)  # a webcam's frame, in pixels


def write_y4m(path, picture, frames=10):
    """`picture` (RGB, FRAME-sized) as a still YUV4MPEG2 video, 4:2:0, which Chromium's fake camera loops."""
    width, height = picture.size
    y, cb, cr = picture.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half, Image.BOX).tobytes() + cr.resize(half, Image.BOX).tobytes()
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n" % (width, height))
        for _ in range(frames):
            f.write(b"FRAME\n" + planes)


def photographed_number(seed):
    """A photo-like number of test digits, on paper filling a FRAME, and what it says."""
    number = numbers("test", 1, seed=seed, style="photo", lengths=[4])[0]
    photo = number.image().convert("RGB")
    photo.thumbnail((FRAME[0] - 40, FRAME[1] - 40))
    paper = np.asarray(photo)[:4, :4].reshape(-1, 3).mean(axis=0).astype(np.uint8)
    frame = Image.new("RGB", FRAME, tuple(int(v) for v in paper))
    frame.paste(photo, ((FRAME[0] - photo.width) // 2, (FRAME[1] - photo.height) // 2))
    return frame, number.text


@pytest.fixture(scope="module")
def camera_feed(tmp_path_factory):
    frame, truth = photographed_number(seed=7)
    path = tmp_path_factory.mktemp("camera") / "number.y4m"
    write_y4m(str(path), frame)
    return str(path), truth


@pytest.fixture(scope="module")
def browser_with_camera(playwright, camera_feed):
    fake = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--use-file-for-fake-video-capture=" + camera_feed[0]]
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + fake)
    yield chromium
    chromium.close()


@pytest.fixture
def camera_app(browser_with_camera, app_url):
    for context, watched in watch(browser_with_camera):
        yield open_app(context, watched, app_url + "?runtime=registry-only")


def wait_for_camera_message(page, start):
    page.wait_for_function("s => document.querySelector('[data-testid=camera-message]')?.textContent.startsWith(s)",
                           arg=start, timeout=20000)


def test_a_picture_taken_with_the_camera_is_read(camera_app, camera_feed):
    _, truth = camera_feed
    camera_app.click('[data-testid="camera-open"]')
    wait_for_camera_message(camera_app, "Camera on")
    assert camera_app.eval_on_selector('[data-testid="camera-video"]', "v => v.videoWidth") == FRAME[0]
    before = answers(camera_app)
    camera_app.click('[data-testid="camera-take"]')
    camera_app.wait_for_function("n => +document.querySelector('[data-testid=result]')?.dataset.answers > n",
                                 arg=before, timeout=20000)
    assert text(camera_app, "prediction") == truth
    assert text(camera_app, "source") == "from the camera"
    assert camera_app.locator('[data-testid="upload-view"]').is_visible()  # the frozen frame, boxed
    assert camera_app.locator('[data-testid="digit-box"]').count() == len(truth)

    camera_app.click('[data-testid="camera-close"]')
    wait_for_camera_message(camera_app, "Camera off")
    assert camera_app.eval_on_selector('[data-testid="camera-video"]', "v => v.srcObject === null")


def test_live_reading_keeps_a_number_read_the_same_over_three_frames(camera_app, camera_feed):
    _, truth = camera_feed
    camera_app.click('[data-testid="camera-open"]')
    wait_for_camera_message(camera_app, "Camera on")
    camera_app.check('[data-testid="camera-live"]')
    camera_app.wait_for_function(
        "document.querySelector('[data-testid=source]')?.textContent.includes('the same over 3 frames')",
        timeout=30000)
    assert text(camera_app, "prediction") == truth
    camera_app.uncheck('[data-testid="camera-live"]')
    camera_app.click('[data-testid="camera-close"]')
    wait_for_camera_message(camera_app, "Camera off")


def test_a_camera_that_stops_mid_stream_is_said_and_the_page_keeps_working(camera_app):
    camera_app.click('[data-testid="camera-open"]')
    wait_for_camera_message(camera_app, "Camera on")
    camera_app.check('[data-testid="camera-live"]')
    # What the browser does when a camera is unplugged: the track ends.
    camera_app.evaluate("() => { const t = window.digitlab.camera.track(); t.stop(); t.dispatchEvent(new Event('ended')); }")
    wait_for_camera_message(camera_app, "The camera stopped")
    assert camera_app.locator('[data-testid="camera-open"]').is_enabled()
    assert not camera_app.locator('[data-testid="camera-live"]').is_checked()
    camera_app.click('[data-testid="clear"]')
    draw_digit(camera_app, "7")
    camera_app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")


def test_without_a_camera_the_page_says_so_and_keeps_working(app):
    # The plain test browser has no camera device and no permission: either refusal is said in words.
    app.click('[data-testid="camera-open"]')
    app.wait_for_function("""() => {
        const m = document.querySelector('[data-testid=camera-message]')?.textContent || '';
        return m.startsWith('No camera') || m.startsWith('The camera is blocked');
    }""", timeout=20000)
    assert app.locator('[data-testid="camera-take"]').is_disabled()
    draw_digit(app, "7")
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")
