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


def framed_number(seed, style="photo"):
    """A photo-like number of test digits (`style` of tests/sets/numbers.py) fitted in a FRAME whose
    edges go on in the picture's corner colour (the paper, or the table a sheet lies on), and what it says."""
    number = numbers("test", 1, seed=seed, style=style, lengths=[4])[0]
    photo = number.image().convert("RGB")
    photo.thumbnail((FRAME[0] - 40, FRAME[1] - 40))
    corner = np.asarray(photo)[:4, :4].reshape(-1, 3).mean(axis=0).astype(np.uint8)
    frame = Image.new("RGB", FRAME, tuple(int(v) for v in corner))
    frame.paste(photo, ((FRAME[0] - photo.width) // 2, (FRAME[1] - photo.height) // 2))
    return frame, number.text


def feed(tmp_path_factory, style):
    """A video file of a framed number for the fake camera, and what the number says."""
    frame, truth = framed_number(seed=7, style=style)
    path = tmp_path_factory.mktemp("camera") / (style + ".y4m")
    write_y4m(str(path), frame)
    return str(path), truth


@pytest.fixture(scope="module")
def camera_feed(tmp_path_factory):
    return feed(tmp_path_factory, "photo")


@pytest.fixture(scope="module")
def desk_feed(tmp_path_factory):
    return feed(tmp_path_factory, "desk")  # a tablet held over a sheet lying on a desk


def launched_with_camera(playwright, video):
    fake = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--use-file-for-fake-video-capture=" + video]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + fake)


@pytest.fixture(scope="module")
def browser_with_camera(playwright, camera_feed):
    chromium = launched_with_camera(playwright, camera_feed[0])
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def browser_with_desk_camera(playwright, desk_feed):
    chromium = launched_with_camera(playwright, desk_feed[0])
    yield chromium
    chromium.close()


@pytest.fixture
def camera_app(browser_with_camera, app_url):
    for context, watched in watch(browser_with_camera):
        yield open_app(context, watched, app_url + "?runtime=registry-only")


@pytest.fixture
def desk_camera_app(browser_with_desk_camera, app_url):
    for context, watched in watch(browser_with_desk_camera):
        yield open_app(context, watched, app_url + "?runtime=registry-only")


def take_picture(page):
    """Open the camera, take a picture and wait for its reading."""
    page.click('[data-testid="camera-open"]')
    wait_for_camera_message(page, "Camera on")
    before = answers(page)
    page.click('[data-testid="camera-take"]')
    page.wait_for_function("n => +document.querySelector('[data-testid=result]')?.dataset.answers > n",
                           arg=before, timeout=20000)


def wait_for_camera_message(page, start):
    page.wait_for_function("s => document.querySelector('[data-testid=camera-message]')?.textContent.startsWith(s)",
                           arg=start, timeout=20000)


def test_a_picture_taken_with_the_camera_is_read(camera_app, camera_feed):
    _, truth = camera_feed
    take_picture(camera_app)
    assert camera_app.eval_on_selector('[data-testid="camera-video"]', "v => v.videoWidth") == FRAME[0]
    assert text(camera_app, "prediction") == truth
    assert text(camera_app, "source") == "from the camera"
    assert camera_app.locator('[data-testid="upload-view"]').is_visible()  # the frozen frame, boxed
    assert camera_app.locator('[data-testid="digit-box"]').count() == len(truth)

    camera_app.click('[data-testid="camera-close"]')
    wait_for_camera_message(camera_app, "Camera off")
    assert camera_app.eval_on_selector('[data-testid="camera-video"]', "v => v.srcObject === null")


def test_a_sheet_on_a_desk_under_the_camera_is_read(desk_camera_app, desk_feed):
    _, truth = desk_feed
    take_picture(desk_camera_app)
    assert text(desk_camera_app, "prediction") == truth  # not the desk round the sheet, nor its edge
    assert desk_camera_app.locator('[data-testid="digit-box"]').count() == len(truth)
    desk_camera_app.click('[data-testid="camera-close"]')
    wait_for_camera_message(desk_camera_app, "Camera off")


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


def test_live_reading_ticked_off_and_on_again_reads_in_one_loop(camera_app):
    """The loop that was waiting on a frame when the box was ticked off went on beside the new one:
    two readings of each frame in flight at once."""
    camera_app.click('[data-testid="camera-open"]')
    wait_for_camera_message(camera_app, "Camera on")
    camera_app.evaluate("""() => {
        const engine = digitlab.engine, request = engine.request.bind(engine);
        window.reading = { now: 0, most: 0, done: 0 };
        engine.request = (command, ...rest) => {
            if (command !== "predict_pixels") return request(command, ...rest);
            reading.now += 1;
            reading.most = Math.max(reading.most, reading.now);
            return request(command, ...rest).finally(() => { reading.now -= 1; reading.done += 1; });
        };
        const live = document.querySelector("[data-testid=camera-live]");
        live.click(); live.click(); live.click();  // on, off and on again before a frame comes
    }""")
    camera_app.wait_for_function("window.reading?.done >= 6", timeout=60000)
    camera_app.uncheck('[data-testid="camera-live"]')
    assert camera_app.evaluate("window.reading.most") == 1
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


def test_a_camera_picture_the_browser_will_not_play_is_said_as_that_not_as_a_blocked_camera(camera_app):
    # What a browser's play rules do (iOS in Low Power Mode): the stream is allowed, the video refuses to play.
    camera_app.evaluate("() => { HTMLMediaElement.prototype.play = () => Promise.reject(new DOMException("
                        "'play() can only be initiated by a user gesture.', 'NotAllowedError')); }")
    camera_app.click('[data-testid="camera-open"]')
    wait_for_camera_message(camera_app, "The camera is allowed, but the browser would not show its picture")
    assert text(camera_app, "camera-message") == ("The camera is allowed, but the browser would not show its picture "
                                                  "(NotAllowedError). On an iPad or iPhone, turn Low Power Mode off; "
                                                  "then try again.")
    assert camera_app.locator('[data-testid="camera-open"]').is_enabled()
    assert not camera_app.evaluate("digitlab.camera.isOpen")  # nothing left running


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
