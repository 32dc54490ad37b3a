# The page's UI, run by PyScript in MicroPython on the main thread.
# It only wires the DOM to the engine; what to say lives in view.py.
import json

from pyscript import document, window
from pyscript.ffi import create_proxy

import models
import training
import view
from dom import app, element, say

engine = app.engine
pad = app.pad
latest = [0]  # the newest request's number: older replies are ignored


def on_progress(stage, fraction):
    element("stage").textContent = stage
    element("progress").value = fraction


def show(reply_json, source, size=None):
    """Show an engine reply; `size` is the (width, height) of the picture its boxes lie on."""
    reply = json.loads(reply_json)
    text = view.describe(reply)
    element("prediction").textContent = text["prediction"]
    element("confidence").textContent = text["confidence"]
    element("message").textContent = text["message"]
    element("source").textContent = source  # file names are shown as text, never HTML
    draw_boxes(view.digit_boxes(reply["result"]["digits"], *size) if reply["ok"] and size else [])
    card = element("result")
    card.dataset.answers = str(int(card.dataset.answers) + 1)


def draw_boxes(boxes):
    layer = element("digit-boxes")
    layer.replaceChildren()
    for box in boxes:
        frame = document.createElement("div")
        frame.className = "digit-box unsure" if box["unsure"] else "digit-box"
        frame.setAttribute("data-testid", "digit-box")
        for side in ("left", "top", "width", "height"):
            frame.style.setProperty(side, box[side])
        caption = document.createElement("span")
        caption.textContent = box["caption"]
        frame.appendChild(caption)
        layer.appendChild(frame)


async def ask(command, payload, data, source, size):
    latest[0] += 1
    number = latest[0]
    reply = await engine.request(command, json.dumps(payload), data)
    if number == latest[0]:
        show(reply, source, size)


async def recognise_drawing(event=None):
    app.picture.showDrawing()
    pixels = pad.pixels()
    await ask("predict_pixels", {"width": pixels.width, "height": pixels.height}, pixels.data,
              "from your drawing", (pixels.width, pixels.height))


def refuse(message, source):
    latest[0] += 1
    show(json.dumps({"ok": False, "error": {"message": message}}), source)


def clear_drawing(event):
    pad.clear()
    app.picture.showDrawing()
    refuse("Write a number or upload a photo of one.", "")


async def recognise_upload(event):
    chooser = event.target
    if not chooser.files.length:
        return
    chosen = chooser.files.item(0)
    chooser.value = ""  # choosing the same file again fires a new change
    problem = view.upload_problem(chosen.size)
    if problem:
        refuse(problem, "from " + chosen.name)
        return
    data = await app.readFile(chosen)
    size = json.loads(await app.picture.show(chosen))  # the upload takes the drawing's place
    await ask("recognise_image", {}, data, "from " + chosen.name, size)


async def start():
    engine.onProgress(create_proxy(on_progress))
    ready = json.loads(await engine.ready)
    if not ready["ok"]:
        element("status").textContent = "error"
        element("stage").textContent = ready["error"]["message"]
        return
    element("runtime").textContent = view.runtime_line(ready["result"])
    for testid, text in view.device_lines(ready["result"]["matmul"]).items():
        say(testid, text)
    await models.start(ready["result"]["model"])
    training.start()
    element("draw-canvas").addEventListener("strokeend", create_proxy(recognise_drawing))
    element("recognise").addEventListener("click", create_proxy(recognise_drawing))
    element("clear").addEventListener("click", create_proxy(clear_drawing))
    element("upload-image").addEventListener("change", create_proxy(recognise_upload))
    element("stage").textContent = view.ready_line(window.performance.now())
    element("progress").value = 1
    document.body.classList.add("ready")
    element("status").textContent = "ready"
    if pad.inked:  # strokes drawn while the engine was loading
        await recognise_drawing()
    # Only now: keeping the app's files for offline use would compete with the boot's downloads.
    say("offline", view.offline_line(json.loads(await app.keepOffline())))


await start()
