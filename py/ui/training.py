# The training panel: settings, Start / Pause / Cancel, live charts and the evaluation.
import json

from pyscript import document
from pyscript.ffi import create_proxy

import models
import network
import view
from dom import answered, app, element, say

SAMPLES_PER_LABEL = 8  # the sample images shown of each label
run = {"total": 1, "paused": False, "trainer": None, "cancelled": False, "settings": None, "reading": False,
       "trained": False, "waits": []}  # trained: the trainer holds a model it trained, to use or download;
# waits: where busy() said to wait, which the run's (or the reading's) end clears


async def trainer(testid="train-status"):
    """The training worker, booted on first use; None if it failed to start, once `testid` and the
    training status (where its start-up stages showed) say why."""
    if run["trainer"] is None:
        run["trainer"] = app.trainer()
        run["trainer"].onProgress(create_proxy(lambda stage, fraction: say("train-status", stage)))
        run["trainer"].onTraining(create_proxy(on_step))
    ready = json.loads(await run["trainer"].booted())
    if not ready["ok"]:
        for where in ("train-status", testid):
            say(where, ready["error"]["message"])
        return None
    show_kernel(ready["result"]["matmul"])
    return run["trainer"]


async def idle_trainer(testid, doing):
    """The training worker when it neither trains nor reads a folder; else None, and `testid` says to wait."""
    return None if busy(testid, doing) else await trainer(testid)


def busy(testid, doing):
    """Whether the trainer trains or reads a folder (a folder read half through, then another, would
    mix their images); if so `testid` says to wait."""
    if run["reading"] or element("train-start").disabled:
        say(testid, "Wait for the %s before %s." % ("folder to be read" if run["reading"] else "training to end", doing))
        run["waits"].append(testid)
        return True
    return False


def over():
    """A run or a folder's reading is over: what was said beside the buttons, and each "Wait for…", go."""
    for testid in ["train-note"] + run["waits"]:
        say(testid, "")
    run["waits"] = []


def show_kernel(matmul):
    for testid, text in view.kernel_lines(matmul).items():
        say(testid, text)


def buttons(training):
    element("train-start").disabled = training
    element("train-pause").disabled = not training
    element("train-cancel").disabled = not training


async def start_training(event):
    buttons(True)
    element("train-pause").disabled = True  # until the trainer is up
    run["cancelled"] = False
    say("train-note", "")
    say("train-status", "Starting the training…")  # not the last run's "Done" while the trainer checks the settings
    worker = await trainer()
    if worker is None or run["cancelled"]:  # Cancel pressed while the trainer was starting
        buttons(False)
        if run["cancelled"]:
            say("train-status", "Cancelled")  # over the trainer's last start-up stage
        return
    numbers = {name: element(testid).value for name, testid in view.FIELDS.items()}
    settings, problems = view.training_settings(element("train-model").value, numbers, element("train-images").value,
                                                element("train-transfer").checked, element("train-none").checked,
                                                run["settings"], network.code())
    for name, testid in view.FIELDS.items():
        say(testid + "-error", problems.get(name, ""))  # said next to its field
    if problems:
        buttons(False)
        say("train-status", "Some settings are out of range: see the notes beside them.")
        return
    if settings["architecture"] == view.NETWORK_IN_PYTHON:  # the user's code runs as it starts
        reply = json.loads(await worker.requestWithin(network.ANSWER_WITHIN_S, "train_start", json.dumps(settings)))
    else:
        reply = json.loads(await worker.request("train_start", json.dumps(settings)))
    if run["cancelled"]:  # Cancel pressed while the trainer started the run: it cancels it next, "Cancelled" stays
        return
    if not reply["ok"]:
        buttons(False)
        say("train-status", reply["error"]["message"])
        if reply["error"].get("line"):
            network.problem(reply)  # the network's code: its line marked in the editor
        return
    started = reply["result"]
    run["total"], run["paused"] = started["total_steps"], False
    element("evaluation").hidden = True
    element("train-progress").value = 0
    app.charts.reset()
    buttons(True)
    say("train-pause", "Pause")
    say("train-status", view.training_line(started))


async def on_step(reply_json):
    reply = json.loads(reply_json)
    if not reply["ok"]:
        say("train-status", reply["error"]["message"])
        buttons(False)
        over()
        if reply["error"]["type"] == app.engineFailed:  # a new trainer starts on the MNIST digits, untrained
            show_mnist_data(None)
            lose_trained()
        return
    if run["cancelled"]:  # a slice that was under way when Cancel was pressed: "Cancelled" stays
        return
    step = reply["result"]
    show_kernel(step["matmul"])
    app.charts.add(json.dumps(step))
    if step["features"]:  # a transfer run's caching, most of its time: the bar fills, then again for the head's steps
        element("train-progress").value = step["features"]["done"] / step["features"]["total"]
        say("train-status", view.caching_line(step["features"]))
    if step["batches"]:
        last = step["batches"][-1]
        element("train-progress").value = last["step"] / run["total"]
        say("train-status", view.progress_line(last, run["total"]))
    if step["epochs"]:
        say("train-speed", view.speed_line(step["epochs"][-1]))
    if step["done"]:
        buttons(False)
        over()
        say("train-status", "Done: scoring the test images…")
        await show_evaluation()


async def show_evaluation():
    report = answered(await run["trainer"].request("train_report"), "train-status")
    if report is None:
        return
    say("train-status", "Done")
    run["trained"] = True
    show_report(report, view.trained_here(report["model"]))
    say("trained-message", "Not in use yet: use it, or download it to keep it.")
    app.unsaved = True  # leaving now would lose it: the page asks first (main.js)


def lose_trained():
    """The trainer stopped: a model it trained can no longer be put in use or downloaded."""
    if not run["trained"]:
        return
    run["trained"] = False
    element("use-trained").hidden = element("download-trained").hidden = True
    say("trained-message", "The model trained here is gone with its engine (one already put in use stays). "
                           "Train again for a new one.")
    if models.state["origin"] != models.NOT_KEPT:  # else the model in use, not kept, is lost on leaving
        app.unsaved = False


async def test_model_in_use(event):
    """Score the model that recognises on the test images of the training data."""
    worker = await idle_trainer("train-note", "testing a model")  # in the status, the next slice's line replaced it
    if worker is None:
        return
    say("train-status", "Testing the model in use…")
    report = answered(await app.evaluateModel(app.engine, worker), "train-status")
    if report is None:
        return
    say("train-status", "Tested the model in use")
    show_report(report, "the model in use (%s)" % report["model"]["name"])
    say("trained-message", view.unknown_labels_line(report["unknown_labels"]))


def show_report(report, whose):
    say("test-accuracy", view.accuracy_line(report, whose))
    # The model trained here stays at hand while another's report shows: its buttons name it.
    element("use-trained").hidden = element("download-trained").hidden = not run["trained"]
    say("trained-message", "")
    say("per-class", view.per_class_line(report["labels"], report["per_class"]))
    app.drawConfusion(element("confusion"), json.dumps(report["labels"]), json.dumps(report["confusion"]))
    app.drawGallery(element("mistakes"), json.dumps(view.mistake_items(report["mistakes"])))
    element("evaluation").hidden = False


async def pause(event):
    command = "train_resume" if run["paused"] else "train_pause"
    element("train-pause").disabled = True  # one request at a time: the trainer answers between slices
    # A refusal is said beside the buttons: the run goes on, and its next slice's line would replace it in the status.
    reply = answered(await run["trainer"].request(command), "train-note")
    element("train-pause").disabled = not element("train-start").disabled  # unless the run ended meanwhile
    if reply is None:
        return
    say("train-note", "")
    run["paused"] = not run["paused"]
    say("train-pause", "Resume" if run["paused"] else "Pause")
    say_run_state()


def say_run_state():
    """The status of a run going on: after a Pause or Resume taken, or a Cancel refused."""
    say("train-status", "Paused" if run["paused"] else "Training")


async def cancel(event):
    run["cancelled"] = True
    buttons(False)
    say("train-status", "Cancelled")
    reply = json.loads(await run["trainer"].request("train_cancel"))
    if reply["ok"]:
        over()
        run["paused"] = False  # a run cancelled while paused: its Pause button said "Resume" until the next Start
        say("train-pause", "Pause")
    elif reply["error"]["type"] == app.engineFailed:  # the trainer is gone, and its training with it
        say("train-status", reply["error"]["message"])
    else:  # refused by a trainer still running: so is the training, and its progress line comes back
        run["cancelled"] = False
        buttons(True)
        say_run_state()
        say("train-note", reply["error"]["message"])


async def use_trained(event):
    model = await models.accept(run["trainer"], "the model trained here", "trained-message")
    if model is None:
        return
    if "not_kept" in model:  # in use, but a reload would lose it: leaving still asks first
        say("trained-message", "In use, but not kept in this browser: download it to keep it.")
        return
    app.unsaved = False
    say("trained-message", "In use, and kept in this browser.")


async def download_trained(event):
    saved = answered(await app.exportModel(run["trainer"], False, "digitlab", True), "trained-message")
    if saved is None:
        return
    app.unsaved = False
    say("trained-message", view.saved_line(saved, "the model trained here"))


async def show_samples(event):
    element("samples-panel").hidden = False
    say("samples", "Loading…")
    worker = await trainer("samples")
    if worker is None:
        return
    samples = answered(await worker.request("samples", json.dumps({"per_label": SAMPLES_PER_LABEL})), "samples")
    if samples is not None:
        app.drawGallery(element("samples"), json.dumps(view.sample_items(samples)))


async def load_folder(files, role="train", testid="data-message"):
    """Files of a folder (JS [{path, file}]) become the training data, or with role "val" the images
    to validate it on, if they make one; else the data stays as it was, and `testid` says why.
    -> whether they did. Start waits while the folder is read."""
    if busy(testid, "changing its data"):
        return False
    run["reading"], element("train-start").disabled = True, True  # before any await: a second folder waits
    try:
        reply = await read_folder(files, role, testid)
    finally:
        run["reading"], element("train-start").disabled = False, False
        over()
    data = reply and answered(reply, testid, " The training data did not change.")
    if data is None:
        return False
    if role == "val":
        say("val-line", view.validation_line(data))
    else:
        say("data-line", view.folder_line(data))
        say("val-line", view.HELD_OUT_LINE)
        element("val-skipped").replaceChildren()
        element("val-panel").hidden = False
    say(testid, "")
    skipped_list(role).replaceChildren()  # a folder refused leaves those of the data in use
    show_skipped(skipped_list(role), data["skipped"])
    element("use-mnist").hidden = False
    say("train-status", "Ready to train on your images")
    return True


async def read_folder(files, role, testid):
    """The trainer's reply to the folder (JSON), None if the trainer did not start (`testid` says why)."""
    worker = await trainer(testid)
    if worker is None:
        return None
    say(testid, "Reading the folder…")
    return await app.loadFolder(worker, files, role)


def skipped_list(role):
    return element("val-skipped" if role == "val" else "folder-skipped")


def show_skipped(listed, skipped):
    for line in view.skipped_lines(skipped):
        item = document.createElement("li")
        item.textContent = line  # file names are shown as text, never HTML
        listed.append(item)


async def chosen(testid, role):
    input = element(testid)
    files = app.filesFromInput(input)
    input.value = ""  # choosing the same folder again reads it again
    await load_folder(files, role)


async def folder_chosen(event):
    await chosen("folder-input", "train")


async def val_folder_chosen(event):
    await chosen("val-input", "val")


async def zip_chosen(event):
    await chosen("zip-input", "train")


async def use_mnist(event):
    worker = await idle_trainer("data-message", "changing its data")
    if worker is None:
        return
    data = answered(await worker.request("use_mnist"), "data-message")
    if data is not None:
        show_mnist_data(data)


def show_mnist_data(data):
    """The data panel back on the MNIST digits (`data`: load_data's result, None when not known)."""
    say("data-line", view.mnist_line(data) if data else view.MNIST_DATA)
    say("data-message", "")
    element("folder-skipped").replaceChildren()
    element("use-mnist").hidden = True
    element("val-panel").hidden = True


def start(settings):
    """`settings`: the engine's definition of the training settings, which fills the form."""
    run["settings"] = settings
    for name, testid in view.FIELDS.items():
        field = element(testid)
        for attribute in ("min", "max"):
            field.setAttribute(attribute, str(settings[name][attribute]))
        field.value = str(settings[name]["default"])
    element("folder-input").addEventListener("change", create_proxy(folder_chosen))
    element("val-input").addEventListener("change", create_proxy(val_folder_chosen))
    element("zip-input").addEventListener("change", create_proxy(zip_chosen))
    app.watchFolderDrop(element("folder-drop"), create_proxy(load_folder),
                        create_proxy(lambda message: say("data-message", message)))
    element("use-mnist").addEventListener("click", create_proxy(use_mnist))
    element("train-start").addEventListener("click", create_proxy(start_training))
    element("train-pause").addEventListener("click", create_proxy(pause))
    element("train-cancel").addEventListener("click", create_proxy(cancel))
    element("use-trained").addEventListener("click", create_proxy(use_trained))
    element("download-trained").addEventListener("click", create_proxy(download_trained))
    element("test-model").addEventListener("click", create_proxy(test_model_in_use))
    element("show-samples").addEventListener("click", create_proxy(show_samples))
