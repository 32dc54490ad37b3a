# The page's UI, run by PyScript in MicroPython on the main thread: boot, drawing and upload.
# It only wires the DOM to the engine; what to say lives in view.py, the result card in results.py.
import json

from pyscript import document, window
from pyscript.ffi import create_proxy

import camera
import classes
import models
import network
import results
import training
import view
from dom import app, element, say

engine = app.engine
pad = app.pad
# A picture chosen before the engine was ready is read once it is; the engine says how large one may be.
waiting = {"ready": False, "upload": None, "max_upload_bytes": None}


def on_progress(stage, fraction):
    element("stage").textContent = stage
    element("progress").value = fraction


async def recognise_drawing(event=None):
    if not waiting["ready"]:
        say("message", "Reading your drawing as soon as the engine is ready…")
        return
    app.picture.showDrawing()
    pixels = pad.pixels()  # the inked part of the canvas: the boxes come back in canvas pixels
    payload = {"width": pixels.width, "height": pixels.height, "left": pixels.left, "top": pixels.top}
    await results.ask("predict_pixels", payload, pixels.data, "from your drawing",
                      (pad.canvas.width, pad.canvas.height))


def clear_drawing(event):
    pad.clear()
    waiting["upload"] = None  # a picture chosen during the boot is not read either
    results.refuse(view.PROMPT, "")


async def recognise_upload(event=None):
    chooser = element("upload-image")
    if not chooser.files.length:
        return
    chosen = chooser.files.item(0)
    chooser.value = ""  # choosing the same file again fires a new change
    if not waiting["ready"]:
        waiting["upload"] = chosen
        say("message", "Reading %s as soon as the engine is ready…" % chosen.name)
        return
    await read_upload(chosen)


async def read_upload(chosen):
    problem = view.upload_problem(chosen.size, waiting["max_upload_bytes"])
    if problem:
        results.refuse(problem, "from " + chosen.name)
        return
    read = await app.readFile(chosen)
    if read.problem:
        results.refuse(read.problem, "from " + chosen.name)
        return
    await results.ask("read_picture", {}, read.bytes, "from " + chosen.name, picture=chosen)


def wake(panels):
    """The panels whose controls need the engine are inert until it is up (index.html): a folder,
    a model file or a button given them during the boot did nothing, and nothing said so."""
    found = document.querySelectorAll(panels)
    for index in range(found.length):
        found.item(index).removeAttribute("inert")


async def engine_ready():
    """The engine's `info` once it is up. A boot that failed (the server went away, say) is said,
    and the engine boots again when the user asks: the page and its drawing stay."""
    while True:
        ready = json.loads(await engine.booted())
        if ready["ok"]:
            return ready["result"]
        element("status").textContent = "error"
        say("stage", ready["error"]["message"])
        retry = element("retry")
        retry.hidden = False
        await app.clicked(retry)
        retry.hidden = True
        element("status").textContent = "loading"


async def start():
    app.ui = "started"  # the start-up watchdog (start-guard.js) tells a page whose Python never ran
    engine.onProgress(create_proxy(on_progress))
    # Listening from the first moment: a drawing or a picture given while Python loads waits for it.
    element("draw-canvas").addEventListener("strokeend", create_proxy(recognise_drawing))
    element("upload-image").addEventListener("change", create_proxy(recognise_upload))
    element("clear").addEventListener("click", create_proxy(clear_drawing))  # strokes drawn by mistake go at once
    await recognise_upload()  # a picture chosen before this page's Python was even up
    info = await engine_ready()
    element("runtime").textContent = view.runtime_line(info)
    for testid, text in view.device_lines(info["matmul"]).items():
        say(testid, text)
    await models.start(info["model"])
    results.start(info["threshold"])
    camera.start(info["working_side"])
    training.start(info["settings"])
    classes.start()
    element("recognise").addEventListener("click", create_proxy(recognise_drawing))
    element("stage").textContent = view.ready_line(window.performance.now())
    element("progress").value = 1
    wake("section[inert]:not([data-testid=code-panel])")  # the code panel: once its editor listens
    document.body.classList.add("ready")
    element("status").textContent = "ready"
    waiting["ready"], waiting["max_upload_bytes"] = True, info["max_upload_bytes"]
    if waiting["upload"] is not None:  # a picture chosen while the engine was loading
        await read_upload(waiting["upload"])
    elif pad.inked:  # strokes drawn while the engine was loading
        await recognise_drawing()
    await network.start(engine, training.idle_trainer)  # the network's code: nothing the first answer needs
    wake("[data-testid=code-panel]")
    # The connection is watched before the files are kept: an install that hangs would leave it unsaid.
    app.watchConnection(create_proxy(lambda kept: say("connection", view.connection_line(kept))))
    # Only now: keeping the app's files for offline use would compete with the boot's downloads.
    say("offline", view.KEEPING_OFFLINE)
    kept = json.loads(await app.keepOffline())
    say("offline", view.offline_line(kept))
    hint = view.install_hint(kept)
    if hint:  # the line at the top (iPads) must not promise what cannot be
        say("install-hint", hint)


await start()
