"""Faults injected into the real page: each is said in words, nothing the user had is lost, and the
next action works."""
import functools
import http.server
import json
import os
import threading

import numpy as np

import build
from conftest import BOOT_TIMEOUT_MS, open_app, storage_quota, trainer_request, wait_until_ready
from drawing import draw_digit, mouse_stroke
from test_kernel import open_with_kernel, wait_for_evaluation
from test_training import (TRAINING_TIMEOUT_MS, accuracy_shown, choose_model_file, model_answer, start_training,
                           text, train_small_mlp, wait_until_training)

from digitlab.model_file import load_model, model_bytes

STATUS_STARTS = "s => document.querySelector('[data-testid=train-status]')?.textContent.startsWith(s)"
TABLE = []  # (fault, what the user saw, recovered): printed after the run (conftest.pytest_terminal_summary)


def seen(fault, said, recovered=True):
    TABLE.append((fault, said, "yes" if recovered else "no"))


def drawing_still_read(page):
    page.click('[data-testid="clear"]')
    draw_digit(page, "7")
    page.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")


def test_an_exception_in_a_training_step_is_said_and_frees_the_buttons(watched_context, app_url):
    context, watch = watched_context
    page = open_app(context, watch, app_url + "?runtime=registry-only&fault=train_step")
    start_training(page, "mlp", images="50")
    page.wait_for_function(STATUS_STARTS, arg="Injected fault", timeout=TRAINING_TIMEOUT_MS)
    assert text(page, "train-status") == "Injected fault: train_step failed."
    assert page.is_enabled('[data-testid="train-start"]') and page.is_disabled('[data-testid="train-cancel"]')
    drawing_still_read(page)
    watch.errors[:] = [e for e in watch.errors if "Injected fault" not in e]  # the worker logs the bug it hid
    seen("an exception in a training step", text(page, "train-status"))


def record_statuses(page):
    """From now on, every text the training status shows, in window.statuses (a slice's progress line
    may replace a message before a test looks)."""
    page.evaluate("""() => {
      window.statuses = [];
      const status = document.querySelector('[data-testid=train-status]');
      new MutationObserver(() => statuses.push(status.textContent)).observe(status, { childList: true, subtree: true,
                                                                                       characterData: true });
    }""")


def refused_while_training(context, watch, app_url, command, button):
    """A page training with `command` made to fail once: `button` pressed, the refusal said beside
    the buttons and still said once the training has gone on (its progress line takes the status).
    The page, for the test to press the button again."""
    page = open_app(context, watch, app_url + "?runtime=registry-only&fault=" + command)
    start_training(page, "codelab")
    wait_until_training(page)
    record_statuses(page)
    page.click('[data-testid="%s"]' % button)
    refusal = "Injected fault: %s failed." % command
    page.wait_for_function("s => document.querySelector('[data-testid=train-note]')?.textContent === s",
                           arg=refusal, timeout=TRAINING_TIMEOUT_MS)
    batches = page.evaluate("digitlab.charts.points().batches")
    page.wait_for_function("n => digitlab.charts.points().batches > n", arg=batches, timeout=TRAINING_TIMEOUT_MS)
    assert text(page, "train-note") == refusal
    watch.errors[:] = [e for e in watch.errors if "Injected fault" not in e]  # the worker logs the bug it hid
    return page


def test_a_pause_the_trainer_refuses_is_said_and_the_training_goes_on(watched_context, app_url):
    page = refused_while_training(*watched_context, app_url, "train_pause", "train-pause")
    assert text(page, "train-pause") == "Pause" and "Paused" not in page.evaluate("statuses")
    page.click('[data-testid="train-pause"]')  # the next pause is taken
    page.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Paused'")
    assert text(page, "train-pause") == "Resume" and text(page, "train-note") == ""
    page.click('[data-testid="train-cancel"]')
    seen("a pause the trainer refuses", "Injected fault: train_pause failed. (and the training goes on)")


def test_a_cancel_the_trainer_refuses_is_said_and_the_training_can_still_be_cancelled(watched_context, app_url):
    page = refused_while_training(*watched_context, app_url, "train_cancel", "train-cancel")
    assert page.is_enabled('[data-testid="train-cancel"]') and page.is_disabled('[data-testid="train-start"]')
    page.click('[data-testid="train-cancel"]')  # the next cancel is taken
    page.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Cancelled'")
    page.wait_for_function("document.querySelector('[data-testid=train-note]')?.textContent === ''")
    report = page.evaluate("digitlab.trainer().request('train_report').then(JSON.parse)")
    assert report["error"]["message"] == "No training is running."
    seen("a cancel the trainer refuses", "Injected fault: train_cancel failed. (and Cancel works next time)")


def test_a_cancel_refused_while_paused_leaves_the_run_paused_and_says_why(watched_context, app_url):
    context, watch = watched_context
    page = open_app(context, watch, app_url + "?runtime=registry-only&fault=train_cancel")
    start_training(page, "codelab")
    wait_until_training(page)
    page.click('[data-testid="train-pause"]')
    page.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Paused'")
    page.click('[data-testid="train-cancel"]')
    page.wait_for_function("document.querySelector('[data-testid=train-note]')?.textContent.startsWith('Injected')")
    assert text(page, "train-status") == "Paused" and text(page, "train-pause") == "Resume"
    page.click('[data-testid="train-cancel"]')  # the next cancel is taken
    page.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Cancelled'")
    watch.errors[:] = [e for e in watch.errors if "Injected fault" not in e]  # the worker logs the bug it hid
    seen("a cancel the trainer refuses while paused", "Injected fault: train_cancel failed. (and the run stays paused)")


def test_a_trainer_that_cannot_start_says_why_in_the_panel_that_asked_for_it(watched_context, app_url):
    context, watch = watched_context
    context.route("**/data/mnist.npz", lambda route: route.fulfill(status=404, body="gone"))
    page = open_app(context, watch, app_url + "?runtime=registry-only")  # the predictor needs no digits
    page.click('[data-testid="show-samples"]')
    page.wait_for_function("s => document.querySelector('[data-testid=samples]')?.textContent.startsWith(s)",
                           arg="The engine could not start", timeout=BOOT_TIMEOUT_MS)
    said = text(page, "samples")
    assert "mnist.npz" in said and text(page, "train-status") == said
    drawing_still_read(page)
    watch.errors[:] = [e for e in watch.errors if "404" not in e and "mnist.npz" not in e]
    seen("the trainer cannot start (its digits are not served)", said, recovered=False)


def test_an_error_no_part_of_the_page_caught_is_shown_after_the_start_too(watched_context, app_url):
    context, watch = watched_context
    page = open_app(context, watch, app_url + "?runtime=registry-only")
    page.evaluate("""() => {
      setTimeout(() => { throw new Error("a handler's bug"); });
      Promise.reject(new Error("a promise nobody awaited"));
    }""")
    page.wait_for_function("document.querySelectorAll('[data-testid=start-problems] li').length === 2")
    said = sorted(page.locator('[data-testid="start-problems"] li').all_inner_texts())
    assert said == ["Part of the page failed: Uncaught Error: a handler's bug",
                    "Part of the page failed: a promise nobody awaited"]
    assert page.is_visible('[data-testid="start-problems"]')
    drawing_still_read(page)
    watch.errors[:] = [e for e in watch.errors if "a handler's bug" not in e and "a promise nobody awaited" not in e]
    seen("an error no part of the page caught", said[0])


def test_a_trainer_that_dies_mid_epoch_is_said_and_a_new_one_trains(app):
    start_training(app, "cnn", epochs="2")
    wait_until_training(app)
    app.evaluate("digitlab.trainer().stop('The trainer stopped (killed by the test).')")
    app.wait_for_function(STATUS_STARTS, arg="The trainer stopped")
    said = text(app, "train-status")
    assert said == "The trainer stopped (killed by the test). It starts again on your next action."
    assert app.is_enabled('[data-testid="train-start"]')
    assert text(app, "data-line") == "Data: the MNIST digits"
    drawing_still_read(app)
    start_training(app, "mlp", images="50")  # a new trainer boots and trains
    app.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "train-status") == "Done"
    seen("the trainer worker dies mid-epoch", said)


def test_a_trainer_that_dies_after_training_gives_no_other_model_as_the_one_trained(app):
    train_small_mlp(app)
    app.evaluate("digitlab.trainer().stop('The trainer stopped (killed by the test).')")
    app.wait_for_function("document.querySelector('[data-testid=trained-message]')?.textContent.includes('gone')")
    said = text(app, "trained-message")
    assert said.startswith("The model trained here is gone with its engine")
    assert app.is_hidden('[data-testid="use-trained"]') and app.is_hidden('[data-testid="download-trained"]')
    assert not app.evaluate("digitlab.unsaved")
    # The engine refuses too: a trainer started again holds the built-in model, not a trained one.
    reply = json.loads(app.evaluate("digitlab.keepModel(digitlab.engine, digitlab.trainer(), 'trained')"))
    assert reply["error"]["message"].startswith("No model has been trained since the engine started")
    assert text(app, "model-name").endswith("built in")  # the model in use is as it was
    drawing_still_read(app)
    seen("the trainer worker dies after training", said)


def test_a_trainer_that_dies_while_its_model_is_in_use_but_not_kept_still_asks_before_leaving(app, app_url):
    storage_quota(app, app_url, 1024)
    train_small_mlp(app)
    app.click('[data-testid="use-trained"]')
    app.wait_for_function("document.querySelector('[data-testid=trained-message]')?.textContent.startsWith('In use')")
    app.evaluate("digitlab.trainer().stop('The trainer stopped (killed by the test).')")
    app.wait_for_function("document.querySelector('[data-testid=trained-message]')?.textContent.includes('gone')")
    assert app.evaluate("digitlab.unsaved")  # the model in use is the trained one, and a reload would lose it
    assert text(app, "model-name").startswith("mlp")


def test_cancel_pressed_while_the_trainer_starts_stops_the_training(app):
    app.click('[data-testid="train-start"]')
    app.click('[data-testid="train-cancel"]')
    app.wait_for_function("(document.querySelector('[data-testid=gpu-training]')?.textContent ?? '–') !== '–'",
                          timeout=TRAINING_TIMEOUT_MS)  # the trainer is up
    report = app.evaluate("digitlab.trainer().request('train_report').then(JSON.parse)")
    assert report["error"]["message"] == "No training is running."
    assert text(app, "train-status") == "Cancelled" and app.is_enabled('[data-testid="train-start"]')
    seen("Cancel while the trainer starts", text(app, "train-status") + " (and no training runs)")


def test_cancel_pressed_while_the_trainer_starts_the_run_leaves_it_cancelled(app):
    """Cancel pressed once the trainer has the run's start, before it answers: its answer came
    after "Cancelled" and said "Training…", with Start disabled and no training running."""
    app.evaluate("digitlab.trainer().booted()")  # up, so Start sends train_start at once
    app.evaluate("""() => {
        const trainer = digitlab.trainer(), request = trainer.request.bind(trainer);
        window.answered = [];
        trainer.request = (command, ...rest) => {
            const reply = request(command, ...rest);
            reply.then(() => window.answered.push(command));
            if (command === "train_start") document.querySelector("[data-testid=train-cancel]").click();
            return reply;
        };
    }""")
    app.click('[data-testid="train-start"]')
    app.wait_for_function("['train_start', 'train_cancel'].every(command => window.answered?.includes(command))",
                          timeout=TRAINING_TIMEOUT_MS)
    app.wait_for_function("document.querySelector('[data-testid=train-status]')?.textContent === 'Cancelled'"
                          " && !document.querySelector('[data-testid=train-start]')?.disabled")
    report = app.evaluate("digitlab.trainer().request('train_report').then(JSON.parse)")
    assert report["error"]["message"] == "No training is running."
    assert text(app, "train-status") == "Cancelled" and app.is_disabled('[data-testid="train-cancel"]')
    seen("Cancel while the run starts", text(app, "train-status") + " (and no training runs)")


def test_an_engine_that_cannot_start_answers_every_request_with_the_reason(watched_context, app_url):
    context, watch = watched_context
    page = context.new_page()
    page.goto(app_url + "?runtime=nowhere")
    page.wait_for_function("document.querySelector('[data-testid=status]')?.textContent === 'error'", timeout=60000)
    said = 'The engine could not start: The runtime "nowhere" is not part of this build.'
    assert text(page, "stage") == said + " It starts again on your next action."
    assert page.is_visible('[data-testid="retry"]')
    reply = page.evaluate("Promise.race([digitlab.engine.request('info').then(JSON.parse),"
                          " new Promise((settle) => setTimeout(() => settle('never answered'), 30000))])")
    assert reply != "never answered"
    assert reply["error"] == {"type": "EngineFailed", "message": said + " It starts again on your next action."}
    seen("the engine cannot boot (a runtime not in the build)", said + " (and each request is answered so)",
         recovered=False)


class FallingServer:
    """The built app, served until the engine asks for `trigger`: that request waits for the test to
    stop the server; from then on every request, that one too, gets no answer until the server is back."""

    def __init__(self, trigger):
        asked, self.stopped, self.down = threading.Event(), threading.Event(), False
        server = self

        class Handler(build.Handler):
            def do_GET(self):
                if self.path.split("?")[0].endswith(trigger) and not asked.is_set():
                    asked.set()
                    server.stopped.wait(BOOT_TIMEOUT_MS / 1000)
                if server.down:
                    self.close_connection = True  # the connection closes unanswered
                    return
                super().do_GET()

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=build.OUT))
        self.url = "http://127.0.0.1:%d/" % self.http.server_port
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self):
        self.down = True
        self.stopped.set()

    def start_again(self):
        self.down = False

    def close(self):
        self.stopped.set()
        self.http.shutdown()


def test_a_server_that_stops_mid_boot_is_said_and_try_again_boots_keeping_the_drawing(watched_context):
    context, watch = watched_context
    with open(os.path.join(build.OUT, build.RUNTIME_CONFIG)) as f:
        trigger = json.load(f)["bundle"]  # the engine's Python package
    server = FallingServer(trigger)
    try:
        page = context.new_page()
        page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
        with page.expect_request(lambda request: request.url.endswith(trigger), timeout=BOOT_TIMEOUT_MS):
            page.goto(server.url + "?runtime=registry-only")
        page.wait_for_function("document.querySelector('[data-testid=stage]')?.textContent === 'Loading digitlab'")
        draw_digit(page, "7")  # the UI is up: the user writes while the engine loads
        server.stop()
        page.wait_for_function("document.querySelector('[data-testid=status]')?.textContent === 'error'")
        said = text(page, "stage")
        assert said == ("The engine could not start: digitlab.tar could not be fetched: the server does not answer."
                        " It starts again on your next action.")
        server.start_again()
        page.click('[data-testid="retry"]')
        page.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'",
                               timeout=BOOT_TIMEOUT_MS)  # the drawing made before the fault is read
        assert text(page, "status") == "ready" and page.is_hidden('[data-testid="retry"]')
    finally:
        server.close()
    watch.errors[:] = [e for e in watch.errors if "ERR_EMPTY_RESPONSE" not in e]  # the browser logs each unanswered file
    seen("the server stops mid-boot", said + " [Try again]")


def test_a_lost_webgl_context_mid_training_falls_back_to_numpy_and_training_completes(watched_context, app_url,
                                                                                       runtime):
    app = open_with_kernel(watched_context, app_url, runtime)  # the kernel takes every product: no race to lose
    start_training(app, "cnn", images="50", epochs="2")
    # Wait until the kernel has done real training work, then take its context away.
    app.wait_for_function("document.querySelector('[data-testid=gpu-training]')?.textContent.startsWith('yes')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert trainer_request(app, "lose_webgl_context")["ok"]
    before = trainer_request(app, "kernel_status")["result"]["products"]
    wait_for_evaluation(app)

    status = trainer_request(app, "kernel_status")["result"]
    assert not status["active"] and "context was lost" in status["reason"]
    assert status["products"]["numpy"] > before["numpy"]  # training went on, in NumPy
    assert text(app, "gpu-kernel").startswith("NumPy only: The WebGL context was lost")
    assert accuracy_shown(app) > 50
    seen("the WebGL context is lost mid-training", text(app, "gpu-kernel"))


def test_an_engine_failure_that_is_no_user_error_is_said_by_its_own_line_and_the_engine_goes_on(watched_context,
                                                                                                app_url):
    context, watch = watched_context
    page = open_app(context, watch, app_url + "?runtime=registry-only")
    reply = trainer_request(page, "samples")  # the page always says how many: a bug's KeyError, not a user's error
    assert reply["error"] == {"type": "InternalError", "message": "KeyError: 'per_label'"}  # not the traceback
    assert trainer_request(page, "samples", {"per_label": 1})["ok"]
    watch.errors[:] = [e for e in watch.errors if "KeyError" not in e]  # the console keeps the whole traceback
    seen("an engine command fails with a bug", reply["error"]["message"])


def built_model(name=None):
    """The built-in model's file; with `name`, the same network saved under that name."""
    with open(os.path.join(build.OUT, build.MODEL), "rb") as f:
        data = f.read()
    if name is None:
        return data
    saved = load_model(data)
    return model_bytes(saved.model, saved.labels, name=name, metrics=saved.meta["metrics"],
                       temperature=saved.temperature)


def refused_once(watched_context, app_url, button, said):
    """A page that trained a small MLP, then pressed `button` while exporting a model fails once:
    -> (page, watch, the trained model's message, once it starts with `said`). Nothing is lost."""
    context, watch = watched_context
    page = open_app(context, watch, app_url + "?runtime=registry-only&fault=export_model")
    train_small_mlp(page)
    page.click('[data-testid="%s"]' % button)
    page.wait_for_function("document.querySelector('[data-testid=trained-message]')?.textContent.startsWith(%r)"
                           % said)
    assert page.evaluate("digitlab.unsaved") and page.is_enabled('[data-testid="use-trained"]')
    return page, watch, text(page, "trained-message")


def test_a_failed_model_download_is_said_and_the_trained_model_stays_to_download_again(watched_context, app_url,
                                                                                          tmp_path):
    page, watch, said = refused_once(watched_context, app_url, "download-trained", "Injected")
    assert said == "Injected fault: export_model failed."
    with page.expect_download() as download:
        page.click('[data-testid="download-trained"]')
    path = tmp_path / "trained.npz"
    download.value.save_as(path)
    assert load_model(path.read_bytes()).name.startswith("mlp")  # the model trained before the fault
    assert not page.evaluate("digitlab.unsaved")
    watch.errors[:] = [e for e in watch.errors if "Injected fault" not in e]
    seen("the model download fails", said + " (Download again works)")


def test_a_trained_model_that_cannot_be_put_in_use_says_why_beside_its_button(watched_context, app_url):
    page, watch, said = refused_once(watched_context, app_url, "use-trained", "Not in use:")
    assert said == "Not in use: Injected fault: export_model failed."
    assert text(page, "model-message") == "Injected fault: export_model failed."
    page.click('[data-testid="use-trained"]')  # the fault was once: now it goes into use
    page.wait_for_function("document.querySelector('[data-testid=trained-message]')?.textContent.startsWith('In use')")
    watch.errors[:] = [e for e in watch.errors if "Injected fault" not in e]
    seen("the trained model cannot be put in use", said)


def test_storage_that_refuses_a_model_keeps_it_in_use_and_says_it_will_not_last(app, app_url):
    storage_quota(app, app_url, 1024)
    said = choose_model_file(app, "mine.npz", built_model("mine"))
    assert said == ("Now recognising with mine.npz, but it is not kept in this browser: the browser's storage for "
                    "this page is full. Download it to keep it.")
    assert text(app, "model-name").startswith("mine") and text(app, "model-name").endswith("not kept: gone after a reload")
    drawing_still_read(app)
    assert json.loads(app.evaluate("digitlab.engine.request('info')"))["result"]["model"]["name"] == "mine"
    seen("the browser's storage is full when a model is kept", said)


def test_a_damaged_kept_model_is_said_and_the_built_in_one_reads(app):
    app.evaluate("async (bytes) => (await import('./static/page/model-store.js')).modelStore.save("
                 "new Uint8Array(bytes), 'damaged.npz')", list(built_model()[:5000]))
    app.reload()
    wait_until_ready(app)
    app.wait_for_function("(document.querySelector('[data-testid=model-message]')?.textContent ?? '') !== ''")
    said = text(app, "model-message")
    assert said.startswith("The model kept in this browser could not be used: Not a digitlab model file")
    assert text(app, "model-name").endswith("built in")
    drawing_still_read(app)
    app.reload()  # it was forgotten: the next start is quiet
    wait_until_ready(app)
    assert text(app, "model-message") == ""
    seen("the kept model is damaged", said)


# IndexedDB as some Safari versions leave it: an open request that is never answered.
SILENT_STORAGE = """Object.defineProperty(window, "indexedDB", { value: { open: () => ({}) } });"""


def test_storage_that_never_answers_delays_the_start_a_few_seconds_and_the_built_in_model_reads(watched_context,
                                                                                                app_url):
    context, watch = watched_context
    context.add_init_script(SILENT_STORAGE)
    page = open_app(context, watch, app_url + "?runtime=registry-only")  # ready: the start did not wait for ever
    page.wait_for_function("(document.querySelector('[data-testid=model-message]')?.textContent ?? '') !== ''")
    said = text(page, "model-message")
    assert said == ("The model kept in this browser could not be read: the browser refused its storage (it did not "
                    "answer in 10 s).")
    assert text(page, "model-name").endswith("built in")
    drawing_still_read(page)
    seen("the browser's storage never answers", said)


def test_a_predictor_that_dies_comes_back_with_the_model_in_use(app):
    assert choose_model_file(app, "mine.npz", built_model("mine")) == "Now recognising with mine.npz."
    app.evaluate("digitlab.engine.stop('The engine stopped (killed by the test).')")
    drawing_still_read(app)  # the next drawing starts a new predictor
    assert json.loads(app.evaluate("digitlab.engine.request('info')"))["result"]["model"]["name"] == "mine"
    assert text(app, "model-message") == "Now recognising with mine.npz."  # nothing changed to be said
    seen("the predictor worker dies", "nothing: the next drawing starts it again, with the model in use")


def test_a_predictor_that_dies_with_a_model_not_kept_says_it_reads_with_the_built_in_one_again(app, app_url):
    storage_quota(app, app_url, 1024)
    assert choose_model_file(app, "mine.npz", built_model("mine")).endswith("Download it to keep it.")
    said = model_answer(app, lambda: app.evaluate("digitlab.engine.stop('The engine stopped (killed by the test).')"
                                                  " || digitlab.engine.request('info')"))
    assert said == ("The engine started again, recognising with the built-in model: the model in use before was "
                    "not kept in this browser, so it is gone. Load or train it again.")
    assert text(app, "model-name").endswith("built in")
    drawing_still_read(app)
    seen("the predictor dies while a model not kept is in use", said)


def test_a_predictor_whose_restart_stalls_comes_back_with_the_model_in_use(watched_context, app_url):
    app = open_app(*watched_context, app_url + "?runtime=registry-only", clock=True)
    assert choose_model_file(app, "mine.npz", built_model("mine")) == "Now recognising with mine.npz."
    app.evaluate("() => { digitlab.engine.init.fault = 'boot_stall';"  # the next start's first worker stands still
                 " digitlab.engine.stop('The engine stopped (killed by the test).');"
                 " window.answer = digitlab.engine.request('info'); }")  # starts it, and sets it up with mine.npz
    app.wait_for_function("digitlab.engine.stage === 'Loading numpy and Pillow'", timeout=BOOT_TIMEOUT_MS)
    app.clock.fast_forward("01:01")  # a second worker boots, and is set up again
    reply = app.evaluate("Promise.race([window.answer.then(JSON.parse),"
                         " new Promise((settle) => setTimeout(() => settle('never answered'), 90000))])")
    assert reply != "never answered"
    assert reply["result"]["model"]["name"] == "mine"
    seen("a restarted predictor stalls", "nothing: a second worker starts, with the model in use")


def test_a_restart_that_cannot_boot_answers_with_the_reason_and_keeps_the_kept_model(app):
    """The predictor dies, and the new one cannot boot while it restores the kept model: the request
    that started it is answered (not left waiting), and the kept model, which did nothing wrong, stays
    kept for the next start."""
    assert choose_model_file(app, "mine.npz", built_model("mine")) == "Now recognising with mine.npz."
    runtime = app.evaluate("digitlab.engine.init.runtime")
    app.evaluate("digitlab.engine.init.runtime = 'nowhere';"  # the next boot fails, as a runtime out of memory would
                 " digitlab.engine.stop('The engine stopped (killed by the test).')")
    reply = app.evaluate("Promise.race([digitlab.engine.request('info').then(JSON.parse),"
                         " new Promise((settle) => setTimeout(() => settle('never answered'), 30000))])")
    said = 'The engine could not start: The runtime "nowhere" is not part of this build.'
    assert reply != "never answered"
    assert reply["error"] == {"type": "EngineFailed", "message": said + " It starts again on your next action."}
    app.evaluate("(runtime) => { digitlab.engine.init.runtime = runtime; }", runtime)
    assert json.loads(app.evaluate("digitlab.engine.request('info')"))["result"]["model"]["name"] == "mine"
    drawing_still_read(app)
    seen("a restarted predictor cannot boot", said + " (the request answered so; the kept model kept)")


UNREADABLE = """() => {  // a file that moved or changed after it was chosen: the browser refuses to read it
  const read = File.prototype.arrayBuffer;
  File.prototype.arrayBuffer = function () {
    return this.name === "gone.png" ? Promise.reject(new DOMException("The file is gone.", "NotReadableError"))
      : read.call(this);
  };
}"""


def test_a_chosen_file_that_cannot_be_read_is_said_by_name_and_the_next_one_is_read(app, tmp_path):
    from test_page import png_bytes, upload
    from tests.unit.test_folder_cli import draw_shape
    app.evaluate(UNREADABLE)
    upload(app, "gone.png", b"\x89PNG never read")
    said = "gone.png could not be read (The file is gone.): was it moved or changed since it was chosen?"
    assert text(app, "message") == said and text(app, "source") == "from gone.png"

    rng = np.random.default_rng(0)
    for label in ("circle", "cross"):
        os.makedirs(str(tmp_path / "shapes" / label))
        for i in range(3):
            draw_shape(label, rng).save(str(tmp_path / "shapes" / label / ("%d.png" % i)))
    draw_shape("cross", rng).save(str(tmp_path / "shapes" / "cross" / "gone.png"))
    app.set_input_files('[data-testid="folder-input"]', str(tmp_path / "shapes"))
    app.wait_for_function("document.querySelector('[data-testid=data-message]')?.textContent.endsWith('change.')",
                          timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "data-message") == ("shapes/cross/gone.png could not be read (The file is gone.): was it moved or "
                                         "changed since it was chosen? The training data did not change.")
    assert text(app, "data-line") == "Data: the MNIST digits"

    from PIL import Image
    seven = Image.new("L", (120, 120), 255)
    seven.paste(0, (30, 20, 90, 30))
    seven.paste(0, (70, 30, 80, 100))
    upload(app, "seven.png", png_bytes(seven))  # the next file is read as ever
    assert text(app, "source") == "from seven.png" and text(app, "message") != said
    seen("a chosen file cannot be read (moved since)", said + " (a folder's: its path, and the data unchanged)")


def test_settings_out_of_range_are_named_beside_their_fields_and_nothing_starts(app):
    assert app.input_value('[data-testid="train-epochs"]') == "3"  # filled from the engine's definition
    app.fill('[data-testid="train-lr"]', "-1")
    app.fill('[data-testid="train-epochs"]', "0")
    app.click('[data-testid="train-start"]')
    app.wait_for_function(STATUS_STARTS, arg="Some settings are out of range")
    lr_said, epochs_said = text(app, "train-lr-error"), text(app, "train-epochs-error")
    assert (lr_said, epochs_said) == ("A number from 1e-05 to 1", "A whole number from 1 to 50")
    assert text(app, "train-batch-error") == ""
    assert app.is_enabled('[data-testid="train-start"]') and app.is_hidden('[data-testid="evaluation"]')
    app.fill('[data-testid="train-lr"]', "0.002")
    start_training(app, "mlp", images="50")
    app.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)
    assert text(app, "train-lr-error") == "" and text(app, "train-epochs-error") == ""
    seen("learning rate -1, epochs 0", "%s / %s, beside the fields" % (lr_said, epochs_said))


# Start-up: a part that fails fails alone and says so; a start that hangs is said (start-guard.js)

def test_a_browser_language_that_is_no_valid_tag_starts_the_charts_all_the_same(watched_context, app_url):
    # WebKitGTK on a Linux machine in the "C" locale says navigator.language is "C": the chart library
    # threw as it loaded, and the page never started.
    context, watch = watched_context
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'language', { get: () => 'C' });")
    page = open_app(context, watch, app_url + "?runtime=registry-only")
    assert page.evaluate("navigator.language") == "en"
    assert page.locator('[data-testid^="chart-"] .uplot').count() == 2
    assert page.is_hidden('[data-testid="start-problems"]')


def test_charts_that_cannot_load_fail_alone_and_drawing_and_training_work(watched_context, app_url):
    context, watch = watched_context
    page = context.new_page()
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.route("**/vendor/uplot/uPlot.iife.min.js", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(app_url + "?runtime=registry-only")
    wait_until_ready(page)
    said = page.locator('[data-testid="start-problems"] li').all_inner_texts()
    assert said == ["uPlot.iife.min.js could not be loaded: part of the page is missing.",
                    "The training charts could not start (uPlot is not defined); the rest of the app works without them."]
    assert page.is_visible('[data-testid="start-problems"]')
    assert text(page, "charts-missing") == said[1]
    drawing_still_read(page)
    train_small_mlp(page)
    assert text(page, "train-status") == "Done"
    watch.errors[:] = [e for e in watch.errors if "404" not in e]  # the browser logs the missing file
    seen("the chart library cannot load", said[1])


def test_a_start_that_hangs_is_said_after_a_minute_and_a_second_hang_ends_it_in_words(watched_context, app_url):
    context, watch = watched_context
    held = []
    context.route("**/pyodide.asm.wasm", lambda route: held.append(route))  # never answered: the runtime's download hangs
    page = context.new_page()
    page.clock.install()  # time runs as usual, and the test can jump ahead
    runtime_asked = context.expect_event("request", lambda request: request.url.endswith("/pyodide.asm.wasm"),
                                         timeout=BOOT_TIMEOUT_MS)
    with runtime_asked:  # seen from goto on, so a request made before the wait below is not missed
        page.goto(app_url + "?runtime=registry-only")
    stage = "Loading the Python runtime (Pyodide 0.17.1)"
    page.wait_for_function("s => document.querySelector('[data-testid=stage]')?.textContent === s", arg=stage,
                           timeout=BOOT_TIMEOUT_MS)
    assert page.is_hidden('[data-testid="start-problems"]')
    with context.expect_event("request", lambda request: request.url.endswith("/pyodide.asm.wasm"),
                              timeout=BOOT_TIMEOUT_MS):  # the new worker asks for the runtime again
        page.clock.fast_forward("01:01")  # the engine's worker is replaced, and the page says it is still loading
    again = '%s (started again: the first start stood still for 60 s at "%s")' % (stage, stage)
    still = ('Still loading after 60 s. The engine is at "%s"; the page\'s Python has started. '
             "Reloading the page may help." % again)
    page.wait_for_function("s => document.querySelector('[data-testid=start-problems] li')?.textContent === s",
                           arg=still, timeout=BOOT_TIMEOUT_MS)
    assert text(page, "status") == "loading"
    page.clock.fast_forward("01:01")  # the second worker stands still too: the page says so and offers to retry
    page.wait_for_function("document.querySelector('[data-testid=status]')?.textContent === 'error'")
    said = text(page, "stage")
    assert said == ('The engine stood still for 60 s, twice, at "%s". It starts again on your next action.' % stage)
    assert page.is_visible('[data-testid="retry"]')
    seen("a start that hangs (the runtime never downloads)", still + " Then: " + said + " [Try again]",
         recovered=False)


def test_a_boot_that_stalls_once_is_started_again_and_reads_the_drawing_made_meanwhile(watched_context, app_url):
    """During the boot the panels that need the engine take no input (a folder or a model file given
    them was dropped, and nothing said), and Clear wipes a stroke made by mistake."""
    context, watch = watched_context
    page = context.new_page()
    page.clock.install()
    page.goto(app_url + "?runtime=registry-only&fault=boot_stall")  # the first worker never gets past numpy
    page.wait_for_function("document.querySelector('[data-testid=stage]')?.textContent === 'Loading numpy and Pillow'",
                           timeout=BOOT_TIMEOUT_MS)
    inert = "() => Array.from(document.querySelectorAll('[inert]'), (panel) => panel.dataset.testid)"
    assert page.evaluate(inert) == ["camera-panel", "model-panel", "classes-panel", "training-panel", "code-panel"]
    mouse_stroke(page, [(700, 45), (700, 235)])  # a 1 far right, by mistake
    page.wait_for_function("document.querySelector('[data-testid=message]')?.textContent"
                           ".startsWith('Reading your drawing as soon as the engine is ready')")
    page.click('[data-testid="clear"]')
    page.wait_for_function("document.querySelector('[data-testid=message]')?.textContent === "
                           "'Write a number or upload a photo of one.'")
    draw_digit(page, "7")
    page.clock.fast_forward("01:01")
    page.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'",
                           timeout=BOOT_TIMEOUT_MS)  # read by the second worker, without the 1
    page.wait_for_function("!document.querySelector('[inert]')")  # the code panel wakes once its editor is up
    assert text(page, "status") == "ready"
    assert page.evaluate("digitlab.engine.progress.stage").endswith(
        '(started again: the first start stood still for 60 s at "Loading numpy and Pillow")')
    seen("a boot that stalls (a worker stands still at numpy)", "the engine started again after 60 s; the drawing is read")


def test_the_engine_says_its_downloads_bytes_as_they_come_on_a_slow_network(watched_context, app_url):
    context, watch = watched_context
    page = context.new_page()
    network = context.new_cdp_session(page)
    network.send("Network.enable")  # 5 MB/s, the engine worker's downloads too: they take seconds
    network.send("Network.emulateNetworkConditions",
                 {"offline": False, "latency": 0, "downloadThroughput": 5e6, "uploadThroughput": 5e6})
    page.goto(app_url + "?runtime=registry-only")
    wait_until_ready(page)
    runtime = os.path.join(build.OUT, "vendor", "pyodide-0.17.1")  # what the worker fetches, and the packages
    largest = [os.path.join(runtime, name) for name in ("pyodide.asm.wasm", "numpy.data", "pillow.data")]
    counted = page.evaluate("digitlab.engine.downloaded")  # the bytes the worker said it received as they came
    assert counted >= sum(os.path.getsize(path) for path in largest), counted
    seen("a slow network (5 MB/s)", "the engine says its downloads' bytes as they come (%.1f MB), signs of life"
         % (counted / 2 ** 20))
