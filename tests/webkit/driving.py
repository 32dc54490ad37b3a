"""Driving the page in WebKitGTK through WebDriver: waits that tolerate a page still loading, and
strokes made of WebDriver's pointer actions."""
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.strokes import densify

BOOT_TIMEOUT_S = 180  # WebKit runs Pyodide slower than Chromium: ready in 10-13 s on a quiet machine


def until(driver, script, timeout_s=60, *args):
    """Wait until `script` (a function body that may find nothing yet: after a load its elements
    are missing for a moment, and a script run as it unloads has no result) returns something true;
    returns that."""
    wait = WebDriverWait(driver, timeout_s, poll_frequency=0.2, ignored_exceptions=[WebDriverException])
    return wait.until(lambda d: d.execute_script(script, *args))


def text(driver, testid):
    return driver.execute_script("return document.querySelector(`[data-testid='${arguments[0]}']`)?.textContent", testid)


def open_app(driver, url):
    driver.get(url)
    until(driver, "return document.querySelector('[data-testid=status]')?.textContent === 'ready'", BOOT_TIMEOUT_S)


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

