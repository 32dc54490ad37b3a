"""The page as an app: installable (Chromium's own check), and a new build offered, not mixed in."""
import functools
import http.server
import os
import re
import shutil
import threading

import pytest

import build
from conftest import CHROMIUM, CHROMIUM_ARGS, open_app, wait_until_ready, watch
from test_offline import KEEP_TIMEOUT_MS

CHANGED = "static/reply.js"  # a file the page loads at once, so the browser has cached it
KEPT = "document.querySelector('[data-testid=offline]')?.textContent.startsWith('yes')"


@pytest.fixture(params=["", "apps/digitlab/"], ids=["at the root", "under a sub-path"])
def served_at(request, tmp_path):
    """The build's URL, served at the root of a server or under a sub-path of it."""
    root = tmp_path / "site"
    if request.param:
        os.makedirs(str(root / os.path.dirname(request.param.rstrip("/"))))
        os.symlink(build.OUT, str(root / request.param.rstrip("/")))
    else:
        root = build.OUT
    server = build.make_server(port=0, directory=str(root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/%s" % (server.server_port, request.param)
    server.shutdown()


def test_chromium_finds_the_page_installable_with_its_manifest_and_icons(playwright, served_at, tmp_path):
    app_url = served_at
    # Installability is judged only in a profile kept on disk (else "in-incognito").
    context = playwright.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                            args=CHROMIUM_ARGS)
    try:
        page = context.new_page()
        page.goto(app_url + "?runtime=registry-only")
        page.wait_for_function(KEPT, timeout=KEEP_TIMEOUT_MS)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and re.search(r'"short_name": "digitlab"', manifest["data"])
        assert manifest["url"] == app_url + "manifest.webmanifest"
        assert manifest["parsed"]["scope"] == app_url  # "./" from the manifest: the app's own folder
        for icon in build.MANIFEST["icons"] + [{"src": "icons/apple-touch-icon.png"}]:
            response = page.request.get(app_url + icon["src"])
            assert response.ok and response.headers["content-type"] == "image/png"
        assert page.locator('[data-testid="install-hint"]').is_hidden()  # Chromium has its own prompt
        page.wait_for_selector('[data-testid="install"]:not([hidden])', timeout=30000)
    finally:
        context.close()


class CachedFor(build.Handler):
    """build.py's server, but its answers may be cached for an hour, as many static hosts allow."""

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=3600")
        http.server.SimpleHTTPRequestHandler.end_headers(self)


def test_a_new_build_waits_until_the_page_offers_it_and_then_replaces_the_old_files(browser, tmp_path):
    copy = str(tmp_path / "build")
    shutil.copytree(build.OUT, copy, ignore=shutil.ignore_patterns("bench"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(CachedFor, directory=copy))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for context, page_watch in watch(browser, service_workers="allow", http_cache=True):
            url = "http://127.0.0.1:%d/?runtime=registry-only" % server.server_port
            page = open_app(context, page_watch, url)
            page.wait_for_function(KEPT, timeout=KEEP_TIMEOUT_MS)
            other_tab = open_app(context, page_watch, url)
            (old,) = page.evaluate("caches.keys()")
            worker = os.path.join(copy, "service-worker.js")
            with open(worker) as f:
                script = f.read()
            digest = old[len(build.CACHE_PREFIX):]
            with open(worker, "w") as f:  # what a new build changes: the cache's name...
                f.write(script.replace('"%s"' % digest, '"%s-next"' % digest))
            with open(os.path.join(copy, CHANGED), "a") as f:  # ...and some of its files
                f.write("\n// the next build\n")

            page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
            page.wait_for_selector('[data-testid="update"]:not([hidden])', timeout=KEEP_TIMEOUT_MS)
            assert page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.waiting?.state)") == "installed"
            assert sorted(page.evaluate("caches.keys()")) == [old, old + "-next"]  # kept, but not in use
            kept = "(name) => caches.open(name).then((c) => c.match('%s')).then((r) => r.text())" % CHANGED
            assert page.evaluate(kept, old + "-next").endswith("// the next build\n")  # not the browser's cached copy

            with page.expect_navigation(timeout=KEEP_TIMEOUT_MS):
                page.click('[data-testid="update-reload"]')
            wait_until_ready(page, timeout_ms=KEEP_TIMEOUT_MS)
            # A promise is truthy: the predicate asks again each poll and answers from the last count
            page.wait_for_function("() => { caches.keys().then((names) => { window.cacheCount = names.length; });"
                                   " return window.cacheCount === 1; }", timeout=KEEP_TIMEOUT_MS)
            assert page.evaluate("caches.keys()") == [old + "-next"]
            assert page.locator('[data-testid="update"]').is_hidden()

            other_tab.wait_for_selector('[data-testid="update"]:not([hidden])')  # offered there too...
            with other_tab.expect_navigation(timeout=KEEP_TIMEOUT_MS):
                other_tab.click('[data-testid="update-reload"]')  # ...where the new build already runs it
            wait_until_ready(other_tab, timeout_ms=KEEP_TIMEOUT_MS)
            assert other_tab.locator('[data-testid="update"]').is_hidden()
    finally:
        server.shutdown()
