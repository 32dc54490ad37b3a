# The model panel: which model recognises, download it, load one, keep it across reloads.
import json

from pyscript import window
from pyscript.ffi import create_proxy

import view
from dom import answered, app, element, say

KEPT = "kept in this browser"
NOT_KEPT = "not kept: gone after a reload"
BUILT_IN = "built in"
state = {"builtin": None, "origin": BUILT_IN}  # the built-in model's info; where the model in use comes from


def show(model, origin):
    state["origin"] = origin
    say("model-name", view.model_line(model, origin))
    say("model-labels", view.labels_line(model))


def answer(text):
    """Say how a model action ended; the panel counts answers so tests can wait for one."""
    say("model-message", text)
    panel = element("model-panel")
    panel.dataset.answers = str(int(panel.dataset.answers) + 1)


async def accept(source, name, beside=None):
    """Make a model (file bytes, or the trainer's model) the one that recognises, and keep it.

    A refused model leaves the old one in place, and the panel (and `beside`, the testid of the
    message beside the button pressed) says why. -> the model, or None if it was refused.
    """
    reply = json.loads(await app.keepModel(app.engine, source, name))
    if not reply["ok"]:
        answer(reply["error"]["message"])
        if beside:
            say(beside, "Not in use: %s" % reply["error"]["message"])
        return None
    model = reply["result"]
    show(model, NOT_KEPT if "not_kept" in model else KEPT)
    answer(view.accepted_line(name, model.get("not_kept")))
    return model


async def restore():
    """At start: use the model kept in this browser, if there is one and it still loads."""
    reply = json.loads(await app.restoreModel(app.engine))
    if reply["ok"] and reply["result"]:
        show(reply["result"], KEPT)
        return
    show(state["builtin"], BUILT_IN)
    if not reply["ok"]:  # unreadable or damaged: the built-in model reads, and the page says why
        answer(reply["error"]["message"])


def restarted(reply_json):
    """The predictor started again, with the model kept in this browser or else the built-in one
    (restoreModel's reply): the panel shows which, and says why when the model in use is lost (one
    the browser would not keep) or the kept one could not be used."""
    reply = json.loads(reply_json)
    if not reply["ok"] and reply["error"]["type"] == app.engineFailed:
        return  # no engine: the request that started it says why, and the next one starts it again
    kept = reply["result"] if reply["ok"] else None
    origin = KEPT if kept else BUILT_IN
    if origin == state["origin"]:
        return  # the model in use came back
    lost = state["origin"] == NOT_KEPT
    show(kept or state["builtin"], origin)
    if lost or not reply["ok"]:
        answer(view.restarted_line(kept["name"] if kept else None, None if reply["ok"] else reply["error"]["message"]))


async def download_as(file_format):
    reply = json.loads(await app.exportModel(app.engine, element("float16").checked, file_format))
    if reply["ok"]:
        answer(view.saved_line(reply["result"], "the model in use"))
    else:
        answer(reply["error"]["message"])


async def download(event):
    await download_as("digitlab")


async def download_onnx(event):
    await download_as("onnx")


async def load_file(file):
    say("model-message", "Checking " + file.name + "…")
    read = await app.readFile(file)
    if read.problem:
        say("model-message", read.problem)
        return
    await accept(read.bytes, file.name)


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
    # Asked before anything is forgotten: the reload's own "Leave site?" came after the kept model
    # was deleted, and "Stay" left the panel naming a model no longer kept.
    if app.unsaved and not window.confirm(view.RESET_LOSES_TRAINED):
        answer(view.RESET_CANCELLED)
        return
    if answered(await app.forgetModel(), "model-message") is not None:
        app.unsaved = False  # asked already: the reload does not ask again
        window.location.reload()


async def start(builtin):
    state["builtin"] = builtin
    await restore()
    app.restarted = create_proxy(restarted)
    element("download-model").addEventListener("click", create_proxy(download))
    element("download-onnx").addEventListener("click", create_proxy(download_onnx))
    element("load-model").addEventListener("change", create_proxy(chosen))
    drop = element("model-drop")
    drop.addEventListener("dragover", create_proxy(drag_over))
    drop.addEventListener("dragleave", create_proxy(drag_leave))
    drop.addEventListener("drop", create_proxy(dropped))
    element("reset-model").addEventListener("click", create_proxy(reset))
