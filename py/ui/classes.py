# Classes made by drawing: name a class, keep drawings of it, then train on them or zip them.
# The drawings live in JavaScript (drawn-classes.js); this wires its buttons to the training data.
import json

from pyscript.ffi import create_proxy

import training
import view
from dom import answered, app, element, say

ZIP_NAME = "drawn-classes.zip"


def add_class(event):
    name = element("class-name").value.strip()
    problem = view.class_name_problem(name, json.loads(app.classes.counts()))
    if problem:
        say("class-message", problem)
        return
    app.classes.add(name)
    element("class-name").value = ""
    changed()


def changed(event=None):
    if event is not None and (event.detail.blank or event.detail.problem):
        say("class-message", event.detail.problem or view.NOTHING_DRAWN)
        return
    counts = json.loads(app.classes.counts())
    ready = view.classes_ready(counts)
    element("class-use").disabled = not ready
    element("class-zip").disabled = not sum(counts.values())
    say("class-message", view.classes_line(counts))


async def use_classes(event):
    if await training.load_folder(app.classes.files(), testid="class-message"):
        say("class-message", "These drawings are the training data now: train them below.")


async def download_zip(event):
    if answered(await app.downloadZip(app.engine, app.classes.files(), ZIP_NAME), "class-message") is not None:
        say("class-message", "Downloading %s: drop it on the training data to train on these drawings again."
            % ZIP_NAME)


def start():
    element("class-add").addEventListener("click", create_proxy(add_class))
    element("class-list").addEventListener("classeschange", create_proxy(changed))
    element("class-use").addEventListener("click", create_proxy(use_classes))
    element("class-zip").addEventListener("click", create_proxy(download_zip))
