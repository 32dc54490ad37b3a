# DOM access shared by the UI modules (MicroPython, PyScript).
from pyscript import document, window

app = window.digitlab


def element(testid):
    return document.querySelector('[data-testid="%s"]' % testid)


def say(testid, text):
    element(testid).textContent = text  # always text, never HTML
