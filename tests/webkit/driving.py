"""Driving the page in WebKitGTK through WebDriver: the browser on a virtual screen, waits that
tolerate a page still loading, and strokes made of WebDriver's pointer actions. Used by the WebKit
tests and by the benchmarks that compare browsers."""
import contextlib
import glob
import os
import subprocess

from selenium import webdriver
from selenium.common.exceptions import InvalidSessionIdException, TimeoutException, WebDriverException
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.webkitgtk.options import Options
from selenium.webdriver.webkitgtk.service import Service

import build

from tests.browser.status import READY
from tests.browser.strokes import densify

# Where the page says what it is doing or what went wrong.
SAYING = ("status", "stage", "start-problems", "message", "prediction", "model-message", "train-status", "gpu-kernel")
BOOT_TIMEOUT_S = 180  # WebKit runs Pyodide slower than Chromium: ready in 10-13 s on a quiet machine
# WebKitGTK 2.50.6's JavaScriptCore segfaults in a worker's thread, always at one address (see
# BrowserGone): 7 crashes in 6 runs of the WebKit suite as it comes, 1 in 5 with its concurrent
# garbage collector off. The page does the same either way: only when the engine collects changes.
JSC_OPTIONS = {"JSC_useConcurrentGC": "0"}


class BrowserGone(AssertionError):
    """The browser's session ended under a test: the browser crashed or was killed. WebKitGTK 2.50.6's
    web process segfaults now and then (JSC_OPTIONS makes it rarer), always at one address in
    JavaScriptCore, in a worker's thread (`dmesg`): the engine's own fault, whatever script it ran
    (a script can throw, not crash its engine). Running out of memory would end it too."""


@contextlib.contextmanager
def virtual_screen():
    """An X display of its own (Xvfb, the first number free) for the MiniBrowser: its name, ":N"."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as displayfd:
        display = ":" + displayfd.readline().strip()
    try:
        yield display
    finally:
        xvfb.terminate()
        xvfb.wait()


def start_webkit(display, locale=None):
    """WebKitGTK's MiniBrowser under WebDriver on `display`, in `locale` (None: the machine's own)."""
    found = glob.glob("/usr/lib/*/webkit2gtk-4.1/MiniBrowser")
    assert found, "WebKitGTK's MiniBrowser is not installed: `python build.py test` installs webkit2gtk-driver"
    env = dict(os.environ, DISPLAY=display, **JSC_OPTIONS)
    if locale:
        env.update(LANG=locale, LC_ALL=locale)
    options = Options()
    options.binary_location = found[0]
    options.add_argument("--automation")
    driver = webdriver.WebKitGTK(options=options, service=Service(executable_path=build.WEBKIT_WEBDRIVER, env=env))
    driver.set_window_size(1100, 900)
    return driver


def until(driver, script, timeout_s=60, *args):
    """Wait until `script` (a function body that may find nothing yet: after a load its elements
    are missing for a moment, and a script run as it unloads has no result) returns something true;
    returns that."""
    def look(d):
        try:
            return d.execute_script(script, *args)
        except InvalidSessionIdException:  # not a page still loading: the browser is gone, so say it now
            raise BrowserGone("WebKit's session ended (its browser closed or crashed) while waiting "
                              "for: %s" % script) from None

    wait = WebDriverWait(driver, timeout_s, poll_frequency=0.2, ignored_exceptions=[WebDriverException])
    try:
        return wait.until(look)
    except TimeoutException:
        raise AssertionError("waited %d s for: %s\nthe page says: %s" % (timeout_s, script, said(driver))) from None


def said(driver):
    """What the page shows where it reports (a failed wait's context)."""
    return {testid: text(driver, testid) for testid in SAYING}


def evaluate(driver, function, *args, timeout_s=600):
    """Call the JavaScript `function` (source text, may be async) with JSON-able `args` and wait for
    its result, however long within `timeout_s` (WebDriver's own script timeout is 30 s)."""
    driver.execute_script(
        "window.evaluated = undefined; Promise.resolve((%s)(...arguments)).then("
        "(value) => { window.evaluated = { value }; }, (err) => { window.evaluated = { failed: String(err) }; });"
        % function, *args)
    found = until(driver, "return window.evaluated", timeout_s)
    if "failed" in found:
        raise RuntimeError(found["failed"])
    return found.get("value")


def text(driver, testid):
    return driver.execute_script("return document.querySelector(`[data-testid='${arguments[0]}']`)?.textContent", testid)


def open_app(driver, url):
    driver.get(url)
    wait_until_ready(driver)


def wait_until_ready(driver):
    """Until the page's engine and UI are up (after a load or a reload)."""
    until(driver, "return " + READY, BOOT_TIMEOUT_S)


def stroke(driver, points):
    """One mouse stroke through the drawing canvas's own pixel coordinates: WebDriver's pointer
    actions, which the page receives as Pointer Events."""
    canvas = driver.find_element("css selector", '[data-testid="draw-canvas"]')
    left, top, scale = driver.execute_script(
        "const c = arguments[0]; c.scrollIntoView({block: 'center'}); const r = c.getBoundingClientRect();"
        "return [r.left, r.top, r.width / c.width];", canvas)
    actions = ActionBuilder(driver, mouse=PointerInput(interaction.POINTER_MOUSE, "mouse"), duration=0)
    path = [(int(left + x * scale), int(top + y * scale)) for x, y in densify(points)]
    actions.pointer_action.move_to_location(*path[0])
    actions.pointer_action.pointer_down()
    for x, y in path[1:]:
        actions.pointer_action.move_to_location(x, y)
    actions.pointer_action.pointer_up()
    actions.perform()

