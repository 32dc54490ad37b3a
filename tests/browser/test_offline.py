"""After one visit the app opens and works with its server gone and the network off."""
import threading

import build
from conftest import CHROMIUM, CHROMIUM_ARGS, open_app, storage_quota, wait_until_ready, watch
from drawing import draw_digit
from test_training import TRAINING_TIMEOUT_MS, text

KEEP_TIMEOUT_MS = 120000  # the first visit keeps ~33 MB
SAID = "/^(yes|no):/.test(document.querySelector('[data-testid=offline]')?.textContent || '')"  # kept, or why not
# What an iPad's Safari calls itself when it asks for the mobile site (by default it says "Macintosh").
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Mobile/15E148 Safari/604.1")
LAN_HOST = "digitlab.lan"  # a name for this machine as a school's network would give it: not a secure origin


def test_the_app_kept_on_the_first_visit_boots_recognises_and_trains_offline(browser, runtime):
    server = build.make_server(port=0)  # its own server, so that it can be taken away
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/?runtime=%s" % (server.server_port, runtime)
    # The loop runs once; leaving it closes the context and checks that nothing left this
    # machine and nothing failed on the page.
    for context, page_watch in watch(browser, service_workers="allow"):
        page = open_app(context, page_watch, url)
        page.wait_for_function(SAID, timeout=KEEP_TIMEOUT_MS)
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


def test_storage_too_small_to_keep_the_app_is_said_and_the_app_works_online(browser, app_url):
    for context, page_watch in watch(browser, service_workers="allow"):
        first = context.new_page()  # the quota is set before the app's page loads and registers its worker
        storage_quota(first, app_url, 1 << 20)
        page = open_app(context, page_watch, app_url + "?runtime=registry-only")
        page.wait_for_function(SAID, timeout=KEEP_TIMEOUT_MS)
        assert text(page, "offline") == "no: the files could not be kept (the browser's storage for this page is full)"
        draw_digit(page, "7")  # and the app works
        page.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")


def test_an_ipad_on_a_plain_http_address_works_and_is_told_it_cannot_go_offline_from_there(playwright):
    """The README's classroom set-up: the build served from a laptop, opened on an iPad by its address.
    http from another machine is no secure origin, so no browser keeps the page for offline use."""
    server = build.make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rules = [arg for arg in CHROMIUM_ARGS if arg.startswith("--host-resolver-rules=")]
    args = [arg for arg in CHROMIUM_ARGS if arg not in rules] + [rules[0].replace("=", "=MAP %s 127.0.0.1, " % LAN_HOST, 1)]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        for context, page_watch in watch(browser, service_workers="allow", hosts=(LAN_HOST,), user_agent=IPAD):
            page = open_app(context, page_watch, "http://%s:%d/?runtime=registry-only" % (LAN_HOST, server.server_port))
            page.wait_for_function(SAID, timeout=KEEP_TIMEOUT_MS)
            reason = "browsers keep a page for offline use only when it comes from https or from this device (localhost)"
            assert text(page, "offline") == "no: " + reason
            assert page.locator('[data-testid="install-hint"]').is_visible()
            assert text(page, "install-hint") == "Offline use is not possible from here: %s." % reason
            draw_digit(page, "7")  # and the app works
            page.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
