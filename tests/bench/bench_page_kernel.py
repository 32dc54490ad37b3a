"""Benchmark (not a test): should a trainer whose browser gives workers no WebGL2 (WebKitGTK, so
maybe Safari) send its matrix products to the page's own WebGL2 context?

    python tests/bench/bench_page_kernel.py [--repeats 3]

For the largest products of training the page's default CNN (batch 64), in Chromium and in
WebKitGTK in the same run, prints the best milliseconds of: NumPy in a Pyodide worker (what the
trainer does there now); the round trip through the page (operands copied out of the worker and
posted, computed on the page's WebGL2, the product posted back), with its largest relative error;
and, where the browser allows it, the kernel in the worker itself (what Chromium's trainer does).
The page path pays only if it beats NumPy by a margin: the trainer's Python could use it only by
blocking on the page (SharedArrayBuffer and Atomics, which need a cross-origin-isolated page), and
the page's thread is busy for every product, drawing included.
"""
import argparse
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path[:0] = [ROOT, os.path.join(HERE, "..", "browser")]

import build  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.webkit.driving import evaluate, start_webkit, virtual_screen  # noqa: E402

PAGE_FILES = ["page_kernel.html", "page_kernel.js", "page_kernel_worker.js"]
# (m, k, n) of the default CNN's (zoo.CNN) largest products at batch 64.
SHAPES = [
    (64 * 14 * 14, 3 * 3 * 16, 32),  # second convolution, forward: patches @ filters
    (3 * 3 * 16, 64 * 14 * 14, 32),  # its filters' gradient: patchesᵀ @ output gradient
    (64 * 28 * 28, 3 * 3 * 1, 16),  # first convolution, forward
    (64, 7 * 7 * 32, 256),  # dense head, forward
]
RUN = "([shapes, repeats]) => runBench(shapes, repeats)"  # one argument: Playwright passes one


def chromium_rows(url, repeats):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url)
        found = page.evaluate(RUN, [[list(s) for s in SHAPES], repeats])
        browser.close()
    return found


def webkit_rows(url, repeats):
    with virtual_screen() as display:
        driver = start_webkit(display)
        try:
            driver.get(url)
            return evaluate(driver, RUN, [[list(s) for s in SHAPES], repeats], timeout_s=900)
        finally:
            driver.quit()


def cell(value, digits=1):
    return "–" if value is None else "%.*f" % (digits, value)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with build.serving() as base:
        bench_dir = os.path.join(build.OUT, "bench")
        os.makedirs(bench_dir, exist_ok=True)
        for name in PAGE_FILES:
            shutil.copyfile(os.path.join(HERE, name), os.path.join(bench_dir, name))
        url = base + "bench/page_kernel.html"
        results = {"Chromium": chromium_rows(url, args.repeats), "WebKitGTK": webkit_rows(url, args.repeats)}
    print("%-10s %-18s %8s %10s %12s %10s %12s %12s" % (
        "browser", "m x k x n", "MFLOP", "NumPy ms", "page GL ms", "error", "worker GL ms", "page/NumPy"))
    for browser, found in results.items():
        for row in found["rows"]:
            m, k, n = row["shape"]
            page_ms = row.get("page_ms")
            print("%-10s %-18s %8.1f %10s %12s %10s %12s %12s" % (
                browser, "%dx%dx%d" % (m, k, n), 2e-6 * m * k * n, cell(row["numpy_ms"]), cell(page_ms),
                "–" if page_ms is None else "%.0e" % row["page_error"], cell(row.get("worker_ms")),
                "–" if page_ms is None else "%.2f" % (page_ms / row["numpy_ms"])))
        if found["pageKernel"]:
            print("  (%s: the page's WebGL2 kernel could not start: %s)" % (browser, found["pageKernel"]))
    print("(best of %d; page GL: the round trip through the page, copies and posts included; "
          "page/NumPy under 1 is faster through the page)" % args.repeats)


if __name__ == "__main__":
    main()
