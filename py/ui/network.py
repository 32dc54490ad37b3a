# The network in Python: its code in an editor, examples one tap away, a check in the trainer's
# Python (shapes, parameters, one batch through it), and problems marked on their line.
import json

from pyscript.ffi import create_proxy

import view
from dom import app, element, say

editor = {"view": None, "examples": {}, "trainer": None}  # trainer: the UI's way to the idle trainer
ANSWER_WITHIN_S = 10  # the trainer's Python stops the code itself (editable.TIME_LIMIT_S); this catches what it cannot


def code():
    """The network's code as the editor holds it (None until the editor is up)."""
    return editor["view"].text() if editor["view"] else None


def show_example(event=None):
    name = element("code-example").value
    editor["view"].setText(editor["examples"][name]["code"])
    say("code-message", editor["examples"][name]["title"])


def problem(reply):
    """Say what is wrong with the code, and mark its line in the editor."""
    error = reply["error"]
    say("code-message", error["message"])
    if error.get("line"):
        editor["view"].markLine(error["line"])


async def check(event=None):
    """Check the code in the trainer, on its data, and say how it went."""
    say("code-message", "Checking…")
    worker = await editor["trainer"]("code-message", "checking the network")
    if worker is None:
        return
    reply = json.loads(await worker.requestWithin(ANSWER_WITHIN_S, "check_code", json.dumps({"code": code()})))
    if reply["ok"]:
        say("code-message", view.network_line(reply["result"]))
    else:
        problem(reply)


async def start(engine, idle_trainer):
    """Fill the panel from the engine (examples, the training step) and start the editor;
    `idle_trainer(testid, doing)` gives the trainer when no training runs."""
    editor["trainer"] = idle_trainer
    reply = json.loads(await engine.request("code_examples", "{}"))
    if not reply["ok"]:
        say("code-message", reply["error"]["message"])
        return
    editor["examples"] = reply["result"]["examples"]
    say("code-step", reply["result"]["step"])
    select = element("code-example")
    for name, example in editor["examples"].items():
        option = select.ownerDocument.createElement("option")
        option.value, option.textContent = name, example["title"]
        select.appendChild(option)
    select.value = view.FIRST_EXAMPLE
    try:
        editor["view"] = await app.codeEditor(element("code-editor"))
    except Exception as err:  # the rest of the page works on without the editor, and says so
        say("code-message", "The code editor could not start (%s)." % err)
        return
    show_example()
    select.addEventListener("change", create_proxy(show_example))
    element("code-check").addEventListener("click", create_proxy(check))
