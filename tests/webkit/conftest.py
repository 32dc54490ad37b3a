"""Safari's engine in the tests: WebKitGTK's MiniBrowser, driven through WebDriver (selenium) on a
virtual screen (Xvfb). Every browser on an iPad is WebKit: what breaks here (a JavaScript feature,
a worker's missing WebGL2, a locale) breaks there first. `build.py test` installs it (Debian's
webkit2gtk-driver and xvfb) as it does Chromium.

Each suite runs twice, in the machine's own locale (a bare Linux machine's "C" gives WebKit a
language that is no valid tag) and in en_US.
"""

import pytest

import build
from tests.webkit.driving import start_webkit, virtual_screen

LOCALES = {"machine-locale": None, "en_US": "en_US.UTF-8"}  # None: the machine's own LANG


def pytest_collection_modifyitems(items):
    for item in items:
        if "webkit" in str(item.fspath):
            item.add_marker(pytest.mark.webkit)


@pytest.fixture(scope="session")
def screen():
    with virtual_screen() as display:
        yield display


@pytest.fixture(scope="session")
def app_url():
    with build.serving() as url:
        yield url


@pytest.fixture(scope="module", params=list(LOCALES))
def webkit(request, screen):
    """A WebKitGTK browser in one locale, for a module's tests."""
    driver = start_webkit(screen, LOCALES[request.param])
    yield driver
    driver.quit()

