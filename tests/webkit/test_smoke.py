"""The page on WebKit (Safari's engine), in the steps a class's tablet takes: it starts with nothing
failed, reads digits drawn with pointer events and a picture uploaded, loads and saves a model,
trains an epoch, and opens again from its service worker with the server gone."""
import os
import random
import signal
import subprocess
import threading

import pytest
import build
from digitlab.model_file import load_model, model_bytes
from tests.browser.strokes import DIGITS, number_strokes
from tests.sets.numbers import numbers
from tests.webkit.driving import BOOT_TIMEOUT_S, BrowserGone, open_app, stroke, text, until, wait_until_ready

PREDICTION_IS = "return document.querySelector('[data-testid=prediction]')?.textContent === arguments[0]"
TRAINING_TIMEOUT_S = 300  # 50 digits a label, one epoch, in NumPy (no WebGL2 in a WebKitGTK worker): 15 s quiet


@pytest.fixture
def app(webkit, app_url):
    open_app(webkit, app_url)
    return webkit


def clear(driver):
    driver.find_element("css selector", '[data-testid="clear"]').click()
    until(driver, PREDICTION_IS, 10, "–")


def test_the_page_starts_with_every_part_working(app):
    assert app.execute_script("return document.querySelector('[data-testid=start-problems]').hidden")
    assert app.execute_script("return document.querySelectorAll('[data-testid^=chart-] .uplot').length") == 2
    assert app.execute_script("return Intl.getCanonicalLocales(navigator.language).length") == 1
    assert text(app, "runtime").startswith("Pyodide")


def test_digits_and_a_number_drawn_with_pointer_events_are_read(app):
    for digit in "703":
        clear(app)
        for points in DIGITS[digit]:
            stroke(app, points)
        until(app, PREDICTION_IS, 30, digit)
    clear(app)
    for points in number_strokes("314", random.Random(3)):
        stroke(app, points)
    until(app, PREDICTION_IS, 30, "314")
    assert len(app.find_elements("css selector", '[data-testid="digit-box"]')) == 3


def test_an_uploaded_picture_of_a_number_is_read(app, tmp_path):
    number = numbers("test", 1, seed=21, lengths=[4])[0]
    path = tmp_path / "number.png"
    path.write_bytes(number.data)
    app.find_element("css selector", '[data-testid="upload-image"]').send_keys(str(path))
    until(app, PREDICTION_IS, 30, number.text)
    assert app.find_element("css selector", '[data-testid="upload-view"]').is_displayed()


def test_a_model_file_is_loaded_and_the_model_in_use_saved(app, tmp_path):
    saved = load_model(os.path.join(build.OUT, build.MODEL))
    path = tmp_path / "tablet.npz"
    path.write_bytes(model_bytes(saved.model, saved.labels, name="tablet"))
    app.find_element("css selector", '[data-testid="load-model"]').send_keys(str(path))
    until(app, "return document.querySelector('[data-testid=model-name]')?.textContent.includes('tablet')", 30)
    app.find_element("css selector", '[data-testid="download-model"]').click()
    said = until(app, "const m = document.querySelector('[data-testid=model-message]')?.textContent;"
                      "return m && m.startsWith('Downloading') && m", 30)
    assert said.startswith("Downloading tablet")
    app.execute_script("return digitlab.forgetModel()")  # the next test starts from the built-in model


def test_an_epoch_trains_in_numpy_and_the_engine_panel_says_why(app):
    app.execute_script("""
        const set = (id, value) => {
            const field = document.querySelector(`[data-testid=${id}]`);
            field.value = value;
            field.dispatchEvent(new Event('change', { bubbles: true }));
        };
        set('train-model', 'mlp'); set('train-epochs', '1'); set('train-images', '50');""")
    app.find_element("css selector", '[data-testid="train-start"]').click()
    until(app, "return !document.querySelector('[data-testid=evaluation]')?.hidden", TRAINING_TIMEOUT_S)
    assert text(app, "train-status") == "Done"
    assert text(app, "gpu-training").startswith("no")
    assert text(app, "gpu-kernel") == ("NumPy only: This browser gives WebGL2 to the page but not to its workers, "
                                       "and the trainer cannot wait on the page's here.")


def test_the_page_opens_again_with_its_server_gone(webkit):
    server = build.make_server(port=0)  # a server of its own, to stop
    threading.Thread(target=server.serve_forever, daemon=True).start()
    open_app(webkit, "http://127.0.0.1:%d/" % server.server_port)
    kept = until(webkit, "const t = document.querySelector('[data-testid=offline]')?.textContent;"
                         "return /^(yes|no):/.test(t || '') && t", BOOT_TIMEOUT_S)  # kept, or why not
    if kept.startswith("no"):
        server.shutdown()
        pytest.skip("WebKitGTK keeps no offline copy here: %s" % kept)
    server.shutdown()
    server.server_close()
    webkit.refresh()
    wait_until_ready(webkit)
    assert webkit.execute_script("return navigator.serviceWorker.controller !== null")  # what answered, with no server


def test_the_camera_on_a_machine_without_one_is_said_in_words(app):
    # WebKitGTK here has no camera (iPad Safari's is tested as far as a browser can be: Chromium's
    # fake camera, through the <video playsinline muted autoplay> iOS asks for): the page says so.
    before = text(app, "camera-message")
    app.find_element("css selector", '[data-testid="camera-open"]').click()
    said = until(app, "const m = document.querySelector('[data-testid=camera-message]')?.textContent;"
                      "return m !== arguments[0] && m !== 'Opening the camera…' && m", 30, before)
    assert "camera" in said.lower() and not said.startswith("Camera on")  # a refusal, in words
    assert not app.find_element("css selector", '[data-testid="camera-take"]').is_enabled()


@pytest.mark.parametrize("death", ["the browser crashed", "its WebDriver ended"])
def test_a_browser_that_died_is_replaced_for_the_next_test(webkit_session, death):
    dead = webkit_session.live()
    if death == "the browser crashed":
        browsers = subprocess.run(["pgrep", "-P", str(dead.service.process.pid)], stdout=subprocess.PIPE,
                                  universal_newlines=True).stdout.split()
        assert browsers, "WebKitWebDriver started no browser"
        for pid in browsers:
            os.kill(int(pid), signal.SIGKILL)
        with pytest.raises(BrowserGone):  # what a wait says (conftest.py runs a test it ends again, RERUNS times at most)
            until(dead, "return 1", 30)
    else:
        dead.quit()
    alive = webkit_session.live()
    assert alive.session_id != dead.session_id
    assert alive.execute_script("return 6 * 7") == 42
    assert webkit_session.live() is alive  # a browser that answers is kept
