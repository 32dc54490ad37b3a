"""After one visit the app opens and works with its server gone and the network off."""
import threading

import build
from conftest import open_app, wait_until_ready, watch
from drawing import draw_digit
from test_training import TRAINING_TIMEOUT_MS, text

KEEP_TIMEOUT_MS = 120000  # the first visit keeps ~33 MB


def test_the_app_kept_on_the_first_visit_boots_recognises_and_trains_offline(browser, runtime):
    server = build.make_server(port=0)  # its own server, so that it can be taken away
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/?runtime=%s" % (server.server_port, runtime)
    # The loop runs once; leaving it closes the context and checks that nothing left this
    # machine and nothing failed on the page.
    for context, page_watch in watch(browser, service_workers="allow"):
        page = open_app(context, page_watch, url)
        page.wait_for_function("document.querySelector('[data-testid=offline]')?.textContent !== '–'",
                               timeout=KEEP_TIMEOUT_MS)
        assert text(page, "offline") == "yes: the whole app is kept in this browser"
        assert text(page, "connection") == ""  # the server answers: nothing to say

        server.shutdown()
        server.server_close()
        context.set_offline(True)
        page.reload()
        wait_until_ready(page, timeout_ms=TRAINING_TIMEOUT_MS)
        page.wait_for_function("document.querySelector('[data-testid=connection]')?.textContent.startsWith('Offline')",
                               timeout=TRAINING_TIMEOUT_MS)
        assert text(page, "connection") == "Offline: running from the copy kept in this browser"
        draw_digit(page, "7")
        page.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")
        page.click('[data-testid="show-samples"]')  # boots the trainer, which loads the MNIST digits
        page.wait_for_function("document.querySelectorAll('[data-testid=samples] figure').length === 80",
                               timeout=TRAINING_TIMEOUT_MS)
