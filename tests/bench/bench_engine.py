"""Benchmark (not a test): engine boot, first-prediction and prediction latency per runtime.

    python tests/bench/bench_engine.py [--boots 3] [--predictions 100]

Drives the built page in Chromium exactly as the browser tests do. Prints one
table row per runtime in the build.
"""
import argparse
import os
import statistics
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..", "browser")]

import build  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, runtimes_in_build  # noqa: E402
from drawing import draw_digit  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

READY = "document.querySelector('[data-testid=status]')?.textContent === 'ready'"
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
  for (let i = 0; i < n; i++) {
    const px = pad.pixels();
    const t0 = performance.now();
    const reply = JSON.parse(await engine.request('predict_pixels',
        JSON.stringify({ width: px.width, height: px.height }), px.data));
    times.push(performance.now() - t0);
    if (!reply.ok) throw new Error(reply.error.message);
  }
  return times;
}"""


def boot(browser, url):
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function(READY, timeout=120000)
    timing = page.evaluate("window.digitlab.engine.timing")
    return page, (timing["ready"] - timing["created"]) / 1000, page.evaluate("performance.now()") / 1000


def measure(browser, url, boots, predictions):
    engine_boots, page_readies = [], []
    for _ in range(boots):
        page, engine_s, ready_s = boot(browser, url)
        engine_boots.append(engine_s)
        page_readies.append(ready_s)
        page.close()
    page, _, _ = boot(browser, url)
    page.evaluate(WATCH_ANSWERS)
    draw_digit(page, "7")
    page.wait_for_function("window.bench.answers.length >= 1", timeout=30000)
    first_ms = page.evaluate("bench.answers[0] - bench.strokeEnds[0]")
    trips = page.evaluate(ROUND_TRIPS, predictions)
    page.close()
    return {"engine boot s": statistics.median(engine_boots), "page ready s": statistics.median(page_readies),
            "first prediction ms": first_ms, "median prediction ms": statistics.median(trips),
            "p90 prediction ms": sorted(trips)[int(0.9 * len(trips)) - 1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boots", type=int, default=3)
    parser.add_argument("--predictions", type=int, default=100)
    args = parser.parse_args()
    if not os.path.exists(os.path.join(build.OUT, "runtime.json")):
        build.build()
    server = build.make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d/" % server.server_port
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rows = {name: measure(browser, base + "?runtime=" + name, args.boots, args.predictions)
                for name in runtimes_in_build()}
        browser.close()
    server.shutdown()
    columns = list(next(iter(rows.values())))
    print("%-14s" % "runtime" + "".join("%22s" % c for c in columns))
    for name, row in rows.items():
        print("%-14s" % name + "".join("%22.3f" % row[c] for c in columns))
    print("(median of %d boots; prediction = engine round trip of the 960x320 drawing canvas, %d runs; "
          "first prediction = stroke end to answer shown)" % (args.boots, args.predictions))


if __name__ == "__main__":
    main()
