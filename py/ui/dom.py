# DOM access shared by the UI modules (MicroPython, PyScript).
import json

from pyscript import document, window

app = window.digitlab


def element(testid):
    return document.querySelector('[data-testid="%s"]' % testid)


def say(testid, text):
    element(testid).textContent = text  # always text, never HTML


def answered(reply_json, testid, after=""):
    """An engine reply's result; when the engine refused, None, once `testid` says why (then `after`)."""
    reply = json.loads(reply_json)
    if reply["ok"]:
        return reply["result"]
    say(testid, reply["error"]["message"] + after)
    return None
