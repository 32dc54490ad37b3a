"""Safari's engine in the tests: WebKitGTK's MiniBrowser, driven through WebDriver (selenium) on a
virtual screen (Xvfb). Every browser on an iPad is WebKit: what breaks here (a JavaScript feature,
a worker's missing WebGL2, a locale) breaks there first. `build.py test` installs it (Debian's
webkit2gtk-driver and xvfb) as it does Chromium.

Each suite runs twice, in the machine's own locale (a bare Linux machine's "C" gives WebKit a
language that is no valid tag) and in en_US.
"""

import pytest
from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

import build
from tests.webkit.driving import BrowserGone, start_webkit, virtual_screen

LOCALES = {"machine-locale": None, "en_US": "en_US.UTF-8"}  # None: the machine's own LANG
# The errors that say the browser is gone (a wait's, and any other WebDriver call's), as the rerun
# plugin matches them: "TypeName: message".
BROWSER_GONE = [BrowserGone.__name__ + ":", "InvalidSessionIdException:"]
RERUNS = 2  # a test cut short runs again in a new browser this many times at most


def pytest_collection_modifyitems(items):
    for item in items:
        if "webkit" in str(item.fspath):
            item.add_marker(pytest.mark.webkit)
            # A crash of WebKitGTK's own is not the page's failure: that test runs again, in a new
            # browser (pytest-rerunfailures; the summary counts each as "rerun"). One crash cut a test
            # short twice in a fresh-clone run, a second browser's boot included: three crashes fail it.
            item.add_marker(pytest.mark.flaky(reruns=RERUNS, only_rerun=BROWSER_GONE))


@pytest.fixture(scope="session")
def screen():
    with virtual_screen() as display:
        yield display


@pytest.fixture(scope="session")
def app_url():
    with build.serving() as url:
        yield url


class WebKitSession:
    """One locale's WebKitGTK browser for a module's tests, started again when it has died: the
    browser crashes now and then, and one crash must fail one test, not every later one."""

    def __init__(self, screen, locale):
        self.screen, self.locale = screen, locale
        self.driver = start_webkit(screen, locale)

    def live(self):
        """The browser, a new one if the last stopped answering."""
        try:
            self.driver.execute_script("return 1")
        except (WebDriverException, HTTPError):  # the browser gone, or its WebDriver as well
            self.quit()
            self.driver = start_webkit(self.screen, self.locale)
        return self.driver

    def quit(self):
        self.driver.quit()  # selenium's quit ignores a session already gone, and stops the WebDriver


@pytest.fixture(scope="module", params=list(LOCALES))
def webkit_session(request, screen):
    """A module's WebKitGTK browser, in each of LOCALES in turn (a module's tests share a browser:
    starting one takes seconds)."""
    session = WebKitSession(screen, LOCALES[request.param])
    yield session
    session.quit()


@pytest.fixture
def webkit(webkit_session):
    """A live WebKitGTK browser in one locale, shared by a module's tests while it lives."""
    return webkit_session.live()

