# The result card: what the engine read, each digit boxed over the picture, and the threshold
# below which a digit is shown as "not sure" (a slider). Drawing, upload and camera all answer here.
import json

from pyscript import document
from pyscript.ffi import create_proxy

import view
from dom import app, element, say

engine = app.engine
latest = [0]  # the newest request's number: older replies are ignored
shown = {"reply": None, "source": "", "size": None, "threshold": None}  # the last answer, to show again


def show(reply_json, source, size=None):
    """Show an engine reply; `size` is the (width, height) of the picture its boxes lie on."""
    shown.update(reply=json.loads(reply_json), source=source, size=size)
    redraw()
    card = element("result")
    card.dataset.answers = str(int(card.dataset.answers) + 1)


def redraw():
    reply, size, threshold = shown["reply"], shown["size"], shown["threshold"]
    text = view.describe(reply, threshold)
    say("prediction", text["prediction"])
    say("confidence", text["confidence"])
    say("message", text["message"])
    say("source", shown["source"])  # file names are shown as text, never HTML
    draw_boxes(view.digit_boxes(reply["result"]["digits"], size[0], size[1], threshold)
               if reply["ok"] and size else [])


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


async def ask(command, payload, data, source, size=None, picture=None):
    """Send a request to the engine and show its answer, unless a newer one was asked meanwhile.

    `size` is the (width, height) of the picture the answer's boxes lie on; or `picture`, an
    uploaded file, takes the drawing's place once the engine has read it: a file it refused (its
    header too large, say) is never decoded by the page.
    """
    latest[0] += 1
    number = latest[0]
    reply = await engine.request(command, json.dumps(payload), data)
    if picture is not None and number == latest[0]:
        size = await picture_size(picture, json.loads(reply)["ok"])
    if number == latest[0]:
        show(reply, source, size)


async def picture_size(picture, read):
    """The (width, height) of `picture` shown in the drawing's place if the engine `read` it; None
    (the drawing shown) if not, or if the browser cannot show it."""
    if not read:
        app.picture.showDrawing()
        return None
    return json.loads(await app.picture.show(picture))


def refuse(message, source):
    """Say why a picture is not read (or, from Clear, what to do); the drawing comes back in view, as
    the picture shown before would stand under the refused one's name."""
    latest[0] += 1
    app.picture.showDrawing()
    show(json.dumps({"ok": False, "error": {"message": message}}), source)


def set_threshold(value):
    shown["threshold"] = value
    element("threshold").value = str(value)
    say("threshold-line", view.threshold_line(value))


def on_threshold(event):
    set_threshold(float(event.target.value))
    if shown["reply"] is not None:
        redraw()


def start(threshold):
    """`threshold`: the engine's default, where the slider starts."""
    set_threshold(threshold)
    element("threshold").addEventListener("input", create_proxy(on_threshold))
