# The model panel: which model recognises, download it, load one, keep it across reloads.
import json

from pyscript import window
from pyscript.ffi import create_proxy

import view
from dom import app, element, say

KEPT = "kept in this browser"


def show(model, origin):
    say("model-name", view.model_line(model, origin))
    say("model-labels", view.labels_line(model))


def answer(text):
    """Say how a model action ended; the panel counts answers so tests can wait for one."""
    say("model-message", text)
    panel = element("model-panel")
    panel.dataset.answers = str(int(panel.dataset.answers) + 1)


async def accept(source, name):
    """Make a model (file bytes, or the trainer's model) the one that recognises, and keep it.

    A refused model leaves the old one in place. -> whether it was accepted.
    """
    reply = json.loads(await app.keepModel(app.engine, source, name))
    if not reply["ok"]:
        answer(reply["error"]["message"])
        return False
    show(reply["result"], KEPT)
    answer("Now recognising with " + name + ".")
    return True


async def restore(builtin):
    """At start: use the model kept in this browser, if there is one and it still loads."""
    kept = await app.modelStore.load()
    if not kept:
        show(builtin, "built in")
        return
    reply = json.loads(await app.engine.request("load_model", "{}", kept.bytes))
    if reply["ok"]:
        show(reply["result"], KEPT)
    else:
        await app.modelStore.forget()
        show(builtin, "built in")
        answer("The model kept in this browser could not be used: " + reply["error"]["message"])


async def download(event):
    reply = json.loads(await app.exportModel(app.engine, element("float16").checked))
    if reply["ok"]:
        answer(view.saved_line(reply["result"], "the model in use"))
    else:
        answer(reply["error"]["message"])


async def load_file(file):
    say("model-message", "Checking " + file.name + "…")
    await accept(await app.readFile(file), file.name)


async def chosen(event):
    if event.target.files.length:
        file = event.target.files.item(0)
        event.target.value = ""
        await load_file(file)


def drag_over(event):
    event.preventDefault()
    element("model-drop").classList.add("over")


def drag_leave(event):
    element("model-drop").classList.remove("over")


async def dropped(event):
    event.preventDefault()
    element("model-drop").classList.remove("over")
    files = event.dataTransfer.files
    if files.length:
        await load_file(files.item(0))


async def reset(event):
    await app.modelStore.forget()
    window.location.reload()


async def start(builtin):
    await restore(builtin)
    element("download-model").addEventListener("click", create_proxy(download))
    element("load-model").addEventListener("change", create_proxy(chosen))
    drop = element("model-drop")
    drop.addEventListener("dragover", create_proxy(drag_over))
    drop.addEventListener("dragleave", create_proxy(drag_leave))
    drop.addEventListener("drop", create_proxy(dropped))
    element("reset-model").addEventListener("click", create_proxy(reset))
