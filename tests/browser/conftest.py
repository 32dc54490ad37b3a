"""Real Chromium driving the built page, with every non-local request blocked.

Each test gets a fresh page; any console error, uncaught exception or attempt
to reach a non-local host fails it.
"""
import json
import os
import sys
from urllib.parse import urlparse

import pytest

import build
from status import READY

CHROMIUM = build.CHROMIUM
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--enable-unsafe-swiftshader",
    # The network is unplugged at the DNS level too: only loopback resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
BOOT_TIMEOUT_MS = 90000


def runtimes_in_build():
    with open(os.path.join(build.OUT, build.RUNTIME_CONFIG)) as f:
        return json.load(f)["runtimes"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def app_url():
    with build.serving() as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing at %s: run `python build.py test`, which installs it" % CHROMIUM)
    with playwright_sync.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def browser_without_gpu(playwright):
    """Chromium with no GPU and no software fallback: a browser that offers no WebGL at all,
    in workers too (--disable-webgl and --disable-3d-apis leave OffscreenCanvas WebGL2 on)."""
    args = [arg for arg in CHROMIUM_ARGS if arg != "--enable-unsafe-swiftshader"]
    chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                          args=args + ["--disable-gpu", "--disable-software-rasterizer"])
    yield chromium
    chromium.close()


class PageWatch:
    """What a page did that a test must not tolerate."""

    def __init__(self):
        self.errors, self.external = [], []


def watch(browser, service_workers="block", http_cache=False, hosts=("127.0.0.1", "localhost"), **options):
    """A context whose pages may reach only this machine (`hosts`). Service workers are blocked unless a
    test asks for them: requests they answer pass by the context's routes, which guard the rest.
    Routing turns the browser's HTTP cache off; with `http_cache` the context keeps it, and a
    request that leaves this machine is then recorded (the test fails), not stopped. `options`
    go to the context (a user agent, say)."""
    watch = PageWatch()
    context = browser.new_context(has_touch=True, viewport={"width": 1100, "height": 800},
                                  service_workers=service_workers, **options)

    def local(url):
        return url.startswith(("data:", "blob:")) or urlparse(url).hostname in hosts

    def only_local(route):
        if local(route.request.url):
            route.continue_()
        else:
            watch.external.append(route.request.url)
            route.abort()

    if http_cache:
        context.on("request", lambda request: local(request.url) or watch.external.append(request.url))
    else:
        context.route("**/*", only_local)
    yield context, watch
    context.close()
    assert not watch.external, "the page tried to reach the network: %s" % watch.external
    assert not watch.errors, "console errors or uncaught exceptions: %s" % watch.errors


@pytest.fixture
def watched_context(browser):
    yield from watch(browser)


@pytest.fixture(params=["registry-only", "current"])
def runtime(request, app_url):
    if request.param not in runtimes_in_build():
        pytest.skip("runtime %r is not in this build: its official numpy/Pillow wheels could not be "
                    "staged (see build/runtime.json 'reason')" % request.param)
    return request.param


def open_app(context, watch, url, clock=False):
    """A page of the app at `url`, booted and ready to recognise; with `clock`, on Playwright's clock
    (time runs as usual, and the test can jump ahead)."""
    page = context.new_page()
    if clock:
        page.clock.install()
    # The page's console also carries the engine worker's messages.
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.goto(url)
    wait_until_ready(page)
    return page


def storage_quota(page, app_url, size):
    """Give the app's origin `size` bytes of storage in `page`'s browser context (a full storage, when small)."""
    page.context.new_cdp_session(page).send("Storage.overrideQuotaForOrigin",
                                            {"origin": app_url.rstrip("/"), "quotaSize": size})


def wait_until_ready(page, timeout_ms=BOOT_TIMEOUT_MS):
    """Until the page's engine and UI are up (after a load, a reload or an update)."""
    page.wait_for_function(READY, timeout=timeout_ms)


@pytest.fixture
def app(watched_context, app_url, runtime):
    """A page of the app, booted on `runtime` and ready to recognise."""
    return open_app(*watched_context, app_url + "?runtime=" + runtime)


def pytest_terminal_summary(terminalreporter):
    """The fault table of tests/browser/test_faults.py: each fault, what the page said, whether the
    next action worked."""
    faults = sys.modules.get("test_faults")
    if faults is None or not faults.TABLE:
        return
    terminalreporter.section("faults injected in the page")
    for fault, said, recovered in faults.TABLE:
        terminalreporter.line("%-36s | %-100s | recovered: %s" % (fault, said, recovered))


def trainer_request(page, command, payload=None):
    """Boot the page's trainer if needed, run one command on it, return the parsed reply."""
    return page.evaluate(
        """async ([command, payload]) => {
             const trainer = window.digitlab.trainer();
             const ready = JSON.parse(await trainer.ready);
             if (!ready.ok) return ready;
             return JSON.parse(await trainer.request(command, payload));
           }""", [command, json.dumps(payload or {})])
