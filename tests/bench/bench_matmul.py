"""Benchmark (not a test): one n×n float32 matrix product, our engine against TensorFlow.js 4.22.0.

    python tests/bench/bench_matmul.py [--sizes 64,128,256,512,1024,2048] [--repeats 3]
                                       [--numpy-up-to 1024]

In one Chromium launched as the browser tests launch it (no network but loopback),
the page build/bench/matmul.html times, for each size n:

  NumPy       np.dot in a trainer engine worker (Pyodide 0.17.1), command kernel_race;
  ours incl.  our WebGL kernel called from Python in that worker, same command: upload,
              product, unpack and read-back into the NumPy result;
  ours excl.  the kernel's product pass alone, operands already uploaded to the GPU
              (command kernel_compute_ms);
  TF.js       tf.matMul on the WebGL backend with both operands already on the GPU,
              ending with the download of the product (await c.data()); the
              "excl." variant reads only its first value instead.

Each figure is the best of --repeats runs after one untimed warm-up, or of one run from
n = 1024 on. NumPy takes seconds there (about 10 s at 1024 and 2 min at 2048 on 2 cores),
so kernel_race, which times NumPy and ours incl. together, is skipped above --numpy-up-to.
The defaults take about 3 minutes. Prints GFLOP/s (2·n³ per product) and milliseconds per size, the ratios
ours incl. / NumPy and ours incl. / TF.js (with download), whether the goals hold at
n ≥ 512 (ours ≥ 5× NumPy, and within 1.5× of TF.js), the WebGL renderer, the engine's
crossover and calibration, the share of the CPUs other processes used, and the time
taken. TF.js is vendored from npm (build.PACKAGES["tfjs"]) into build/bench/, which
only the benchmarks use. Exits 1 if the page logged errors or asked for the network.
"""
import argparse
import os
import shutil
import sys
import time

from playwright.sync_api import sync_playwright

from bench_tfjs import BENCH_DIR, HERE, OthersLoad, Watch, build, start_server
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 (bench_tfjs put tests/browser on sys.path)

PAGE_FILES = ["matmul.html", "matmul_bench.js"]
GOAL_FROM = 512
GOAL_NUMPY = 5.0  # ours at least this many times NumPy's GFLOP/s
GOAL_TFJS = 1.5  # TF.js at most this many times ours
RUN_TIMEOUT_MS = 600000


def stage_bench_files():
    build.extract("tfjs", os.path.join(BENCH_DIR, "vendor"), ["package/dist/tf.min.js"])
    for name in PAGE_FILES:
        shutil.copyfile(os.path.join(HERE, name), os.path.join(BENCH_DIR, name))


def run_page(args):
    server, base = start_server()
    watch = Watch()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, page = watch.page(browser)
        page.set_default_timeout(RUN_TIMEOUT_MS)
        page.goto(base + "bench/matmul.html")
        page.wait_for_function("window.benchMatmul")
        load = OthersLoad().start()
        result = page.evaluate("(options) => window.benchMatmul.run(options)",
                               {"sizes": args.sizes, "repeats": args.repeats, "numpyUpTo": args.numpy_up_to})
        result["others_cpu"] = load.share()
        context.close()
        browser.close()
    server.shutdown()
    return result, watch


def gflops(size, ms):
    return 2.0 * size ** 3 / (ms / 1000.0) / 1e9


def cell(size, ms):
    return "skipped" if ms is None else "%.2f (%.1f)" % (gflops(size, ms), ms)


def ratio(ms, other_ms):
    """How many times faster `ms` is than `other_ms` (None when either is missing)."""
    return None if ms is None or other_ms is None else other_ms / ms


def print_table(rows):
    print("GFLOP/s (ms), one n×n float32 product; best of the repeats")
    columns = ("n", "NumPy", "ours incl.", "ours excl.", "TF.js", "TF.js excl.", "ours/NumPy", "ours/TF.js")
    print("%5s %17s %17s %17s %17s %17s %11s %11s" % columns)
    for row in rows:
        n = row["size"]
        ratios = ["-" if r is None else "%.2fx" % r for r in (ratio(row["kernel_ms"], row["numpy_ms"]),
                                                              ratio(row["kernel_ms"], row["tfjs_ms"]))]
        print("%5d %17s %17s %17s %17s %17s %11s %11s"
              % (n, cell(n, row["numpy_ms"]), cell(n, row["kernel_ms"]), cell(n, row["compute_ms"]),
                 cell(n, row["tfjs_ms"]), cell(n, row["tfjs_compute_ms"]), *ratios))
    print("incl./excl.: ours incl. = upload, product, unpack and read-back from Python; ours excl. = product "
          "pass only; TF.js = operands already on the GPU, product and download (await c.data()); "
          "TF.js excl. = product and a read of its first value")
    print("ours/NumPy and ours/TF.js: GFLOP/s of ours incl. over NumPy's and over TF.js's (with download)")


def print_goals(rows):
    big = [row for row in rows if row["size"] >= GOAL_FROM]
    for name, key, goal in (("ours >= %gx NumPy" % GOAL_NUMPY, "numpy_ms", GOAL_NUMPY),
                            ("within %gx of TF.js" % GOAL_TFJS, "tfjs_ms", 1.0 / GOAL_TFJS)):
        ratios = [r for r in (ratio(row["kernel_ms"], row[key]) for row in big) if r is not None]
        if not ratios:
            print("%s at n >= %d: not measured" % (name, GOAL_FROM))
            continue
        print("%s at n >= %d: %s (min ratio ours/%s %.2fx over %d sizes)"
              % (name, GOAL_FROM, "met" if min(ratios) >= goal else "not met", key.split("_")[0],
                 min(ratios), len(ratios)))


def print_notes(result, seconds):
    print("WebGL renderer (engine worker): %s; TF.js %s, tf.getBackend() = %r"
          % (result["renderer"], result["tfjs"], result["backend"]))
    print("engine crossover: %s; calibration (kernel_race at boot, transfers included): %s"
          % (result["crossover"], ", ".join("%d: numpy %.1f ms / kernel %.1f ms"
                                           % (c["size"], c["numpy_ms"], c["kernel_ms"])
                                           for c in result["calibration"])))
    others = "n/a" if result["others_cpu"] is None else "%.0f%%" % (100 * result["others_cpu"])
    print("others' CPU: %s of all %d CPUs used by processes outside this benchmark during the run"
          % (others, os.cpu_count()))
    print("time: %.1f s in the page (engine boot and its products %.1f s, TF.js %.1f s); %.1f s in all"
          % (result["seconds"], result["engine_seconds"], result["seconds"] - result["engine_seconds"], seconds))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="64,128,256,512,1024,2048")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--numpy-up-to", type=int, default=1024,
                        help="skip NumPy and ours incl. (kernel_race) above this size")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    return args


def main():
    started = time.perf_counter()
    args = parse_args()
    if not build.built():
        sys.exit("build/ is missing: run `python build.py` first")
    stage_bench_files()
    result, watch = run_page(args)
    print_table(result["rows"])
    print_goals(result["rows"])
    print_notes(result, time.perf_counter() - started)
    if watch.external or watch.errors or result["tensors_left"]:
        print("PAGE PROBLEMS: external requests %s; console errors %s; TF.js tensors left %d"
              % (watch.external, watch.errors, result["tensors_left"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
