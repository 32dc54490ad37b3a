"""Benchmark (not a test): reading whole numbers, ours against Tesseract, in one run on the same images.

    python tests/bench/bench_numbers.py [--count 300] [--page 100] [--drawn 40] [--seed 1]

Numbers of 2-8 digits composed from MNIST's test digits (tests/sets/numbers.py), clean and
photo-like. Prints exact-number accuracy, per-digit accuracy (1 - edit distance / length) and
digit-count accuracy, by length, touching or not, clean or photo; the time per image (median,
p90) in CPython (decode included) and in the page's engine (Pyodide, `predict_pixels` round
trip of the pixels the page would send); the same for Tesseract (Debian tesseract-ocr, --psm 7,
digits only; installed with apt-get when missing; its time includes starting the process, as
any caller pays); why our misses were missed (a count wrong, a digit the network cannot read
alone, or one lost in the number), and how many numbers hold only digits it reads alone: the
most that reading them exactly could reach with this network. Then the issue's speed case (a
5-digit 1600x500 image), bad input (24 MP of noise), and numbers of 2-10 digits drawn on the page
with real mouse and touch strokes.
"""
import argparse
import base64
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "py"), os.path.join(HERE, "..", "browser")]

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import build  # noqa: E402
from digitlab.data.images import WORKING_SIDE  # noqa: E402
from digitlab.model_file import load_model  # noqa: E402
from digitlab.recognise import THRESHOLD, recognise_image  # noqa: E402
from status import READY  # noqa: E402
from tests.sets.numbers import compose, load_digits, numbers, read_alone, render_clean  # noqa: E402

ENGINE_READ = """async ([width, height, base64]) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const t0 = performance.now();
  const reply = JSON.parse(await window.digitlab.engine.request('predict_pixels',
      JSON.stringify({ width, height }), bytes));
  return { ms: performance.now() - t0, text: reply.ok ? reply.result.text : '' };
}"""
SETTLED = """n => +document.querySelector('[data-testid=result]')?.dataset.answers > n
    && window.digitlab.engine.pending.size === 0"""
TESSERACT = ["tesseract", "stdin", "stdout", "--psm", "7", "-c", "tessedit_char_whitelist=0123456789"]


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def scores(pairs):
    """[(truth, read)] -> exact, per-digit and digit-count accuracy."""
    n = float(len(pairs))
    return {"exact": sum(t == r for t, r in pairs) / n,
            "per digit": sum(max(0.0, 1 - edit_distance(t, r) / float(len(t))) for t, r in pairs) / n,
            "count": sum(len(t) == len(r) for t, r in pairs) / n}


def timing(seconds):
    ms = sorted(1000 * s for s in seconds)
    return "median %7.1f ms  p90 %7.1f ms" % (statistics.median(ms), ms[int(0.9 * (len(ms) - 1))])


def ensure_tesseract():
    if shutil.which("tesseract"):
        return
    print("installing tesseract-ocr (apt-get)", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "tesseract-ocr"], check=True, env=env, stdout=subprocess.DEVNULL)


def tesseract(data):
    """(digits read, seconds) for one encoded image."""
    t0 = time.perf_counter()
    out = subprocess.run(TESSERACT, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return "".join(c for c in out.decode() if c.isdigit()), time.perf_counter() - t0


def ours(saved, data):
    t0 = time.perf_counter()
    try:
        text = recognise_image(saved, data)["text"]
    except Exception as err:  # noqa: BLE001 - a failure is a wrong answer here, and is counted
        text = "error: %s" % err
    return text, time.perf_counter() - t0


def page_pixels(data):
    """The RGBA the page sends for an upload: decoded at most WORKING_SIDE a side."""
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.BILINEAR)
    return image.size[0], image.size[1], base64.b64encode(image.tobytes()).decode("ascii")


def report(name, rows, key):
    """Print accuracy by group: rows are dicts with truth, read and the grouping fields."""
    groups = {}
    for row in rows:
        groups.setdefault(key(row), []).append((row["truth"], row["read"]))
    for group in sorted(groups):
        s = scores(groups[group])
        print("  %-10s %-18s n=%4d  exact %5.1f%%  per digit %5.1f%%  count %5.1f%%"
              % (name, group, len(groups[group]), 100 * s["exact"], 100 * s["per digit"], 100 * s["count"]))


def misses(saved, rows):
    """Print why our numbers of each style read wrong: a count of digits wrong, a digit the network
    misreads or doubts alone (the 28x28 test digit as MNIST gives it, read as the engine reads a
    digit), or every digit right alone yet one wrong in the number (its cutting out and scaling)."""
    probs, labels = read_alone(saved)  # (N, 10), (N,)
    read = np.array(saved.labels)[probs.argmax(axis=1)]  # (N,)
    alone = (read == labels.astype(str)) & (probs.max(axis=1) >= THRESHOLD)  # (N,)
    print("Why numbers read wrong (ours); a test digit alone reads right and sure %.1f%% of the time:" % (100 * alone.mean()))
    for style in ("clean", "photo"):
        mine = [r for r in rows if r["style"] == style]
        wrong = [r for r in mine if r["read"] != r["truth"]]
        counted = [r for r in wrong if len(r["read"]) == len(r["truth"])]
        doubted = sum(not alone[r["number"].picks].all() for r in counted)
        print("  %-5s %d of %d wrong: %d miscounted, %d with a digit wrong or unsure alone, %d lost in the number;"
              " %.1f%% of the numbers hold only digits read right alone" % (
                  style, len(wrong), len(mine), len(wrong) - len(counted), doubted, len(counted) - doubted,
                  100 * np.mean([alone[r["number"].picks].all() for r in mine])))


def speed_case(seed):
    """A 5-digit number of test digits filling a 1600x500 white image, PNG."""
    images, _ = load_digits("test")
    rng = np.random.default_rng(seed)
    ink = compose([images[i] for i in rng.integers(0, len(images), 5)], 280, False, rng)
    scale = min(1600.0 / ink.shape[1], 500.0 / ink.shape[0])
    fitted = Image.fromarray(ink).resize((int(ink.shape[1] * scale), int(ink.shape[0] * scale)), Image.BILINEAR)
    sheet = np.zeros((500, 1600), np.float32)
    h, w = fitted.size[1], fitted.size[0]
    sheet[(500 - h) // 2:(500 - h) // 2 + h, (1600 - w) // 2:(1600 - w) // 2 + w] = np.asarray(fitted)
    return render_clean(sheet)


def noise_24mp():
    out = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (4000, 6000), dtype=np.uint8)).save(out, "PNG")
    return out.getvalue()


def main():
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300, help="numbers per style (clean, photo)")
    parser.add_argument("--page", type=int, default=100, help="of those, read in the page's engine too")
    parser.add_argument("--drawn", type=int, default=40, help="numbers drawn on the page, half mouse, half touch")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ensure_tesseract()
    build.ensure_built()
    with open(os.path.join(build.OUT, build.MODEL), "rb") as f:
        saved = load_model(f.read())

    sample = numbers("test", args.count, args.seed, "clean") + numbers("test", args.count, args.seed, "photo")
    rows = []
    for number in sample:
        read, seconds = ours(saved, number.data)
        peer, peer_seconds = tesseract(number.data)
        rows.append({"truth": number.text, "read": read, "peer": peer, "s": seconds, "peer_s": peer_seconds,
                     "style": number.style, "touching": "touching" if number.touching else "apart",
                     "length": "%d digits" % len(number.text), "number": number})
    print("Numbers composed from MNIST test digits: %d clean + %d photo-like" % (args.count, args.count))
    for who, field in (("ours", "read"), ("tesseract", "peer")):
        view = [dict(r, read=r[field]) for r in rows]
        report(who, view, lambda r: r["style"])
        report(who, view, lambda r: r["style"] + " " + r["touching"])
        report(who, [r for r in view if r["style"] == "clean"], lambda r: "clean " + r["length"])
    for style in ("clean", "photo"):
        mine = [r for r in rows if r["style"] == style]
        print("  time %-5s ours (CPython) %s   tesseract %s   tesseract/ours %.1fx" % (
            style, timing([r["s"] for r in mine]), timing([r["peer_s"] for r in mine]),
            statistics.median(r["peer_s"] for r in mine) / statistics.median(r["s"] for r in mine)))
    misses(saved, rows)

    case = speed_case(args.seed)
    cpython = [ours(saved, case)[1] for _ in range(30)]
    peer = [tesseract(case)[1] for _ in range(5)]
    print("5-digit 1600x500 PNG: ours (CPython, decode included) %s; tesseract %s"
          % (timing(cpython), timing(peer)))
    noise = noise_24mp()
    t0 = time.perf_counter()
    try:
        result = recognise_image(saved, noise)
        answer = "%d digits, note: %s" % (len(result["digits"]), result.get("note"))
    except Exception as err:  # noqa: BLE001
        answer = "refused: %s" % err
    print("24 MP of noise (PNG, %.1f MB): %.2f s in CPython -> %s" % (len(noise) / 2 ** 20, time.perf_counter() - t0, answer))

    in_the_page(rows[:args.page // 2] + rows[args.count:args.count + args.page - args.page // 2], case, args.drawn)


def in_the_page(rows, case, drawn):
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from drawing import draw_number, mouse_stroke, touch_stroke
    from playwright.sync_api import sync_playwright

    server = build.make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(has_touch=True, viewport={"width": 1100, "height": 800})
        page = context.new_page()
        page.goto("http://127.0.0.1:%d/?runtime=registry-only" % server.server_port)
        page.wait_for_function(READY, timeout=120000)
        if rows:  # --page 0 reads none of them there
            answers = [page.evaluate(ENGINE_READ, page_pixels(r["number"].data)) for r in rows]
            page_rows = [dict(r, read=a["text"]) for r, a in zip(rows, answers)]
            print("In the page's engine (Pyodide 0.17.1), %d of the same numbers:" % len(rows))
            report("page", page_rows, lambda r: r["style"])
            print("  time (predict_pixels round trip) %s" % timing([a["ms"] / 1000 for a in answers]))
        case_ms = [page.evaluate(ENGINE_READ, page_pixels(case))["ms"] / 1000 for _ in range(20)]
        print("5-digit 1600x500 image in the page's engine (reduced to %d px as uploads are): %s"
              % (WORKING_SIDE, timing(case_ms)))

        rng, pairs = random.Random(7), []
        for i in range(drawn):
            number = "".join(rng.choice("0123456789") for _ in range(rng.randint(2, 10)))
            page.click('[data-testid="clear"]')
            draw_number(page, number, rng, mouse_stroke if i % 2 == 0 else touch_stroke)
            before = int(page.locator('[data-testid="result"]').get_attribute("data-answers"))
            page.click('[data-testid="recognise"]')  # the newest request: replies to earlier strokes are dropped
            page.wait_for_function(SETTLED, arg=before, timeout=30000)
            pairs.append((number, page.locator('[data-testid="prediction"]').inner_text()))
        if pairs:
            s = scores(pairs)
            print("Numbers of 2-10 digits drawn on the page (mouse and touch), n=%d: exact %.1f%%, per digit %.1f%%, "
                  "count %.1f%%" % (len(pairs), 100 * s["exact"], 100 * s["per digit"], 100 * s["count"]))
            print("  wrong: %s" % [p for p in pairs if p[0] != p[1]][:10])
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
