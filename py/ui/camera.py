# The camera card: open the rear camera, take a picture and read it as an upload, or read
# continuously and keep a reading only when several frames in a row agree (view.live_reading).
import json

from pyscript.ffi import create_proxy

import results
import view
from dom import app, element, say

camera = app.camera
state = {"side": None, "live": False, "committed": None, "loop": 0}  # the side: start's; loop: the latest reading loop


def controls(opened):
    for testid in ("camera-take", "camera-live", "camera-close"):
        element(testid).disabled = not opened
    element("camera-open").disabled = opened
    element("camera-panel").classList.toggle("open", opened)


async def open_camera(event):
    say("camera-message", "Opening the camera…")
    opened = json.loads(await camera.open())
    controls(opened["ok"])
    say("camera-message", view.camera_line(opened))


def close_camera(event=None, message="Camera off."):
    state["live"] = False
    element("camera-live").checked = False
    camera.close()
    controls(False)
    say("camera-message", message)


async def take_picture(event):
    frame = camera.frame(state["side"])
    if not frame:
        say("camera-message", "The camera shows no picture yet: try again in a moment.")
        return
    size = json.loads(await app.picture.show(await camera.still()))  # the frame, frozen, with its boxes
    await results.ask("predict_pixels", {"width": frame.width, "height": frame.height}, frame.pixels,
                      "from the camera", size)


async def toggle_live(event):
    state["live"] = bool(event.target.checked)
    if state["live"]:
        say("camera-message", "Reading continuously: hold the number steady in the picture.")
        await read_live()


async def read_live():
    history = []
    state["committed"] = None
    state["loop"] += 1
    mine = state["loop"]
    while reading(mine):
        await camera.nextFrame()
        frame = camera.frame(state["side"])
        if not frame or not reading(mine):  # ticked off, or off and on again, while it waited
            continue
        reply_json = await app.engine.request("predict_pixels", json.dumps({"width": frame.width, "height": frame.height}),
                                              frame.pixels)
        reply = json.loads(reply_json)
        if not reply["ok"]:  # an engine failure stops the reading, in words
            close_camera(message=reply["error"]["message"])
            return
        text = view.live_reading(history, reply, results.shown["threshold"])
        if text and text != state["committed"] and reading(mine):
            state["committed"] = text
            size = json.loads(await app.picture.show(await camera.still()))
            results.show(reply_json, "from the camera, the same over %d frames" % view.LIVE_FRAMES, size)


def reading(loop):
    """Whether reading `loop` reads on: live reading is on, the camera open, and no newer loop began
    (one that waited on a frame while the box was ticked off and on again would read beside it)."""
    return state["live"] and camera.isOpen and state["loop"] == loop


def start(working_side):
    """`working_side`: the longest side the engine reads a picture at (frames are sent no larger)."""
    state["side"] = working_side
    camera.onStop = create_proxy(lambda message: close_camera(message=message))
    element("camera-open").addEventListener("click", create_proxy(open_camera))
    element("camera-close").addEventListener("click", create_proxy(close_camera))
    element("camera-take").addEventListener("click", create_proxy(take_picture))
    element("camera-live").addEventListener("change", create_proxy(toggle_live))
