"""Benchmark (not a test): time to the first answer, the engine's boot stage by stage, and the
latency of reading a digit and a whole number, per runtime, against TensorFlow.js in the same run.

    python tests/bench/bench_engine.py [--boots 3] [--predictions 100]

Drives the built page in Chromium exactly as the browser tests do. A cold visit is a new browser
context (no HTTP cache, no compiled code kept); a second visit opens the page again in the same
context, once its service worker has kept the page's files. Prints:
  - the boot by stage: median milliseconds of each stage the engine worker reports (its
    `boot_stages`), from the page creating the worker to the engine being ready, then the
    page's own wait for its UI (PyScript) after that;
  - per runtime: the page ready (status "ready", engine and UI) cold and on a second visit, and
    as a ratio to TF.js's first answer in the same run (tfjs_first_answer.html: TF.js WebGL, the
    codelab CNN, one 28x28 image read); the first answer to a drawn digit (stroke end to answer
    shown); the median and p90 engine round trip for what the drawing pad sends (its inked part)
    when it holds one digit and when it holds a five-digit number;
  - per browser, Chromium and WebKitGTK (Safari's engine, through WebDriver on a virtual screen) in
    the same run: one cold visit each, its time to ready, first answer and median round trip for a
    drawn digit, and the images per second of one epoch of the page's CNN (2,000 digits, batch 64),
    with the kernel the trainer used.
"""
import argparse
import collections
import json
import os
import statistics
import sys
import threading

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..", "browser")]

import build  # noqa: E402
from bench_tfjs import TRAIN_OURS, stage_bench_files  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, runtimes_in_build  # noqa: E402
from drawing import draw_digit, draw_number  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from status import READY  # noqa: E402
from strokes import DIGITS  # noqa: E402

from tests.webkit.driving import evaluate, start_webkit, stroke, until, virtual_screen  # noqa: E402

# Page time at which the status turns "ready": watched from before the page's own scripts run.
RECORD_READY = """new MutationObserver(() => {
  if (!window.readyAt && %s) {
    window.readyAt = performance.now();
  }
}).observe(document, { subtree: true, childList: true, characterData: true });""" % READY
# The engine's boot stages, in milliseconds, from the page creating its worker (the worker dates its
# stages in epoch milliseconds, performance.timeOrigin + performance.now()).
BOOT_STAGES = """async () => {
  const { engine } = window.digitlab;
  const stages = JSON.parse(await engine.ready).result.boot_stages;
  const rows = [["worker start", stages[0][1] - (performance.timeOrigin + engine.timing.created)]];
  for (let i = 0; i + 1 < stages.length; i++) rows.push([stages[i][0], stages[i + 1][1] - stages[i][1]]);
  rows.push(["page UI after the engine", window.readyAt - engine.timing.ready]);
  return rows;
}"""
# The page's files kept by its service worker, as they are when a user comes back: a second visit
# is timed after this, not while the worker is still downloading them.
KEPT_OFFLINE = """async () => {
  const { active } = await navigator.serviceWorker.ready;
  if (active.state !== 'activated') {
    await new Promise((ok) => active.addEventListener('statechange', () => active.state === 'activated' && ok()));
  }
}"""
# Time from each stroke's end to the page showing its answer.
WATCH_ANSWERS = """() => {
  window.bench = { strokeEnds: [], answers: [] };
  document.querySelector('[data-testid=draw-canvas]').addEventListener('strokeend',
      () => bench.strokeEnds.push(performance.now()));
  new MutationObserver(() => bench.answers.push(performance.now()))
      .observe(document.querySelector('[data-testid=result]'), { attributes: true, attributeFilter: ['data-answers'] });
}"""
ROUND_TRIPS = """async (n) => {
  const { engine, pad } = window.digitlab;
  const times = [];
  let text = null;
  for (let i = 0; i < n; i++) {
    const px = pad.pixels();
    const t0 = performance.now();
    const reply = JSON.parse(await engine.request('predict_pixels',
        JSON.stringify({ width: px.width, height: px.height }), px.data));
    times.push(performance.now() - t0);
    if (!reply.ok) throw new Error(reply.error.message);
    text = reply.result.text;
  }
  return { times, text };
}"""
NUMBER = "90210"
TRAINING = json.dumps({"architecture": "cnn", "epochs": 1, "batch_size": 64, "per_label": 200})


def visit(page, url):
    """Open the app at `url`; -> (seconds to page ready, [(stage, ms)])."""
    page.goto(url)
    page.wait_for_function(READY, timeout=120000)
    return page.evaluate("window.readyAt") / 1000, page.evaluate(BOOT_STAGES)


def tfjs_first_answer(page, url):
    page.goto(url)
    page.wait_for_function("window.firstAnswerMs !== undefined", timeout=120000)
    return page.evaluate("window.firstAnswerMs") / 1000


def new_page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.add_init_script(RECORD_READY)
    return context, context.new_page()


def boots(browser, url, tfjs_url, count):
    """Seconds to ready (and the app's boot stages) on cold and second visits, of the app and of
    the TF.js page, each `count` times."""
    found = collections.defaultdict(list)
    for _ in range(count):
        context, page = new_page(browser)
        for which in ("cold", "second"):
            ready_s, stages = visit(page, url)
            found[which].append(ready_s)
            found["stages " + which].append(stages)
            page.evaluate(KEPT_OFFLINE)
        context.close()
        context, page = new_page(browser)
        for which in ("cold", "second"):
            found["tfjs " + which].append(tfjs_first_answer(page, tfjs_url))
        context.close()
    return found


def latencies(browser, url, predictions):
    context, page = new_page(browser)
    visit(page, url)
    page.evaluate(WATCH_ANSWERS)
    draw_digit(page, "7")
    page.wait_for_function("window.bench.answers.length >= 1", timeout=30000)
    first_ms = page.evaluate("bench.answers[0] - bench.strokeEnds[0]")
    digit = page.evaluate(ROUND_TRIPS, predictions)
    page.click('[data-testid="clear"]')
    draw_number(page, NUMBER, np.random.default_rng(0))
    number = page.evaluate(ROUND_TRIPS, predictions)
    context.close()
    return first_ms, digit, number


def summary(ready_s, first_ms, digit, trained):
    epoch = trained["epochs"][0]
    matmul = trained["matmul"]
    return {"ready": ready_s, "first": first_ms, "digit": statistics.median(digit["times"]),
            "images_per_s": epoch["images_per_second"],
            "kernel": "WebGL" if matmul["active"] else "NumPy (%s)" % matmul["reason"]}


def chromium_line(browser, url, predictions):
    context, page = new_page(browser)
    ready_s, _ = visit(page, url)
    page.evaluate(WATCH_ANSWERS)
    draw_digit(page, "7")
    page.wait_for_function("window.bench.answers.length >= 1", timeout=30000)
    first_ms = page.evaluate("bench.answers[0] - bench.strokeEnds[0]")
    digit = page.evaluate(ROUND_TRIPS, predictions)
    trained = page.evaluate(TRAIN_OURS, TRAINING)
    context.close()
    return summary(ready_s, first_ms, digit, trained)


def webkit_line(url, predictions):
    """The same steps in WebKitGTK: WebDriver cannot run a script before the page's own, so the
    watch for "ready" starts once the page has loaded, long before the engine is up."""
    with virtual_screen() as display:
        driver = start_webkit(display)
        try:
            driver.get(url)
            driver.execute_script(RECORD_READY)
            ready_s = until(driver, "return window.readyAt", 300) / 1000
            evaluate(driver, WATCH_ANSWERS)
            for points in DIGITS["7"]:
                stroke(driver, points)
            until(driver, "return window.bench.answers.length >= 1", 30)
            first_ms = driver.execute_script("return bench.answers[0] - bench.strokeEnds[0]")
            digit = evaluate(driver, ROUND_TRIPS, predictions)
            trained = evaluate(driver, TRAIN_OURS, TRAINING, timeout_s=1200)
        finally:
            driver.quit()
    return summary(ready_s, first_ms, digit, trained)


def print_browsers(lines):
    print("\nper browser (one cold visit each; train: one epoch of the page's CNN, 2,000 digits, batch 64)")
    print("%-12s%10s%10s%10s%14s  %s" % ("browser", "ready s", "first ms", "digit ms", "train img/s", "trainer's products"))
    for name, line in lines.items():
        print("%-12s%10.2f%10.0f%10.1f%14.0f  %s" % (name, line["ready"], line["first"], line["digit"],
                                                   line["images_per_s"], line["kernel"]))


def median_stages(runs):
    """[(stage, median ms)] over boots whose stages match the first's."""
    names = [name for name, _ in runs[0]]
    return [(name, statistics.median(dict(run)[name] for run in runs)) for name in names]


def p90(values):
    return sorted(values)[int(0.9 * len(values)) - 1]


def print_stages(name, found):
    cold, second = median_stages(found["stages cold"]), dict(median_stages(found["stages second"]))
    print("\nboot of %s by stage (ms, median of %d)" % (name, len(found["stages cold"])))
    print("%-40s%10s%10s" % ("stage", "cold", "second"))
    for stage, ms in cold:
        print("%-40s%10.0f%10.0f" % (stage, ms, second.get(stage, float("nan"))))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boots", type=int, default=3)
    parser.add_argument("--predictions", type=int, default=100)
    parser.add_argument("--browsers", default="chromium,webkit", help="the per-browser lines: chromium, webkit")
    args = parser.parse_args()
    build.ensure_built()
    stage_bench_files()
    server = build.make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d/" % server.server_port
    rows = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in runtimes_in_build():
            url = base + "?runtime=" + name
            found = boots(browser, url, base + "bench/tfjs_first_answer.html", args.boots)
            print_stages(name, found)
            rows[name] = (found, latencies(browser, url, args.predictions))
        lines = {}
        if "chromium" in args.browsers:
            lines["Chromium"] = chromium_line(browser, base + "?runtime=registry-only", args.predictions)
        browser.close()
    if "webkit" in args.browsers:
        lines["WebKitGTK"] = webkit_line(base + "?runtime=registry-only", args.predictions)
    server.shutdown()
    print("\n%-14s%12s%12s%12s%12s%12s%12s%10s%10s%10s%10s%10s" % (
        "runtime", "ready cold", "ready 2nd", "TF.js cold", "TF.js 2nd", "ratio cold", "ratio 2nd",
        "first ms", "digit ms", "p90", "number ms", "p90"))
    for name, (found, (first_ms, digit, number)) in rows.items():
        ready = {key: statistics.median(found[key]) for key in ("cold", "second", "tfjs cold", "tfjs second")}
        print("%-14s%12.2f%12.2f%12.2f%12.2f%12.2f%12.2f%10.0f%10.1f%10.1f%10.1f%10.1f" % (
            name, ready["cold"], ready["second"], ready["tfjs cold"], ready["tfjs second"],
            ready["cold"] / ready["tfjs cold"], ready["second"] / ready["tfjs second"], first_ms,
            statistics.median(digit["times"]), p90(digit["times"]),
            statistics.median(number["times"]), p90(number["times"])))
        print("  (the number drawn, %s, was read as %r)" % (NUMBER, number["text"]))
    print("(seconds to ready: median of %d visits each; TF.js = its first answer; ratio = ours / TF.js; "
          "round trips: %d engine requests with what the drawing pad sends, its inked part)" % (args.boots, args.predictions))
    print_browsers(lines)


if __name__ == "__main__":
    main()
