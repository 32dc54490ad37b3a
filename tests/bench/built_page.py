"""The built page in Chromium, served and launched as the browser tests do: for benchmarks that time
what the page's engine does."""
import contextlib
import threading

import build
from conftest import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import sync_playwright
from status import READY



@contextlib.contextmanager
def ready_page(runtime="registry-only", timeout_ms=180000, **context_options):
    """A page of the build, its engine ready (Pyodide 0.17.1 by default), in a browser context made
    with `context_options` (a viewport, touch); closed and unserved after."""
    server = build.make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(**context_options).new_page()
            page.goto("http://127.0.0.1:%d/?runtime=%s" % (server.server_port, runtime))
            page.wait_for_function(READY, timeout=timeout_ms)
            yield page
            browser.close()
    finally:
        server.shutdown()
