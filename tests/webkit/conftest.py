"""Safari's engine in the tests: WebKitGTK's MiniBrowser, driven through WebDriver (selenium) on a
virtual screen (Xvfb). Every browser on an iPad is WebKit: what breaks here (a JavaScript feature,
a worker's missing WebGL2, a locale) breaks there first. `build.py test` installs it (Debian's
webkit2gtk-driver and xvfb) as it does Chromium.

Each suite runs twice, in the machine's own locale (a bare Linux machine's "C" gives WebKit a
language that is no valid tag) and in en_US.
"""
import glob
import os
import subprocess
import threading

import pytest
from selenium import webdriver
from selenium.webdriver.webkitgtk.options import Options
from selenium.webdriver.webkitgtk.service import Service

import build

LOCALES = {"machine-locale": None, "en_US": "en_US.UTF-8"}  # None: the machine's own LANG


def pytest_collection_modifyitems(items):
    for item in items:
        if "webkit" in str(item.fspath):
            item.add_marker(pytest.mark.webkit)


@pytest.fixture(scope="session")
def screen():
    """A virtual X display for the MiniBrowser: its name (":N"), the first one free."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as displayfd:
        display = ":" + displayfd.readline().strip()
    yield display
    xvfb.terminate()
    xvfb.wait()


@pytest.fixture(scope="session")
def app_url():
    if not os.path.exists(os.path.join(build.OUT, "runtime.json")):
        build.build()
    server = build.make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/" % server.server_port
    server.shutdown()


def minibrowser():
    found = glob.glob("/usr/lib/*/webkit2gtk-4.1/MiniBrowser")
    assert found, "WebKitGTK's MiniBrowser is not installed: `python build.py test` installs webkit2gtk-driver"
    return found[0]


@pytest.fixture(scope="module", params=list(LOCALES))
def webkit(request, screen):
    """A WebKitGTK browser in one locale, for a module's tests."""
    env = dict(os.environ, DISPLAY=screen)
    if LOCALES[request.param]:
        env.update(LANG=LOCALES[request.param], LC_ALL=LOCALES[request.param])
    options = Options()
    options.binary_location = minibrowser()
    options.add_argument("--automation")
    driver = webdriver.WebKitGTK(options=options, service=Service(executable_path=build.WEBKIT_WEBDRIVER, env=env))
    driver.set_window_size(1100, 900)
    yield driver
    driver.quit()

