"""build.py's own logic: integrity checks, runtime choice and clear errors."""
import base64
import hashlib
import io
import json
import os
import re
import tarfile

import pytest

import build


def tarball(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def integrity(data):
    return base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", str(tmp_path / "cache"))
    os.makedirs(str(tmp_path / "cache" / "npm"))
    return tmp_path / "cache"


def cache_package(cache, monkeypatch, data, pinned):
    monkeypatch.setitem(build.PACKAGES, "demo", ("@demo/pkg", "1.0.0", pinned))
    (cache / "npm" / "demo-pkg-1.0.0.tgz").write_bytes(data)


def test_a_cached_package_with_its_pinned_integrity_is_used_and_extracted(cache, monkeypatch, tmp_path):
    data = tarball({"package/dist/a.js": b"one", "package/dist/b.wasm": b"two", "package/README.md": b"x"})
    cache_package(cache, monkeypatch, data, integrity(data))
    build.extract("demo", str(tmp_path / "out"), ["package/dist/a.js", "package/dist/b.wasm"])
    assert sorted(os.listdir(str(tmp_path / "out"))) == ["a.js", "b.wasm"]
    assert (tmp_path / "out" / "b.wasm").read_bytes() == b"two"


def test_a_package_that_fails_its_integrity_check_is_refused_and_removed(cache, monkeypatch):
    data = tarball({"package/dist/a.js": b"tampered"})
    cache_package(cache, monkeypatch, data, integrity(b"the real thing"))
    with pytest.raises(build.BuildError, match="integrity"):
        build.npm_tarball("demo")
    assert not (cache / "npm" / "demo-pkg-1.0.0.tgz").exists()


def test_a_package_missing_a_needed_file_is_an_error(cache, monkeypatch, tmp_path):
    data = tarball({"package/dist/a.js": b"one"})
    cache_package(cache, monkeypatch, data, integrity(data))
    with pytest.raises(build.BuildError, match="lacks package/dist/pyodide.js"):
        build.extract("demo", str(tmp_path / "out"), ["package/dist/a.js", "package/dist/pyodide.js"])


def test_without_npm_the_build_says_so(cache, monkeypatch, tmp_path):
    monkeypatch.setitem(build.PACKAGES, "demo", ("@demo/pkg", "1.0.0", "x"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm here
    with pytest.raises(build.BuildError, match="npm is not installed"):
        build.npm_tarball("demo")


@pytest.fixture
def wheels(monkeypatch, tmp_path):
    """Two stand-in wheels with pinned digests, and an unreachable release URL."""
    contents = {"numpy-x.whl": b"numpy wheel", "pillow-x.whl": b"pillow wheel"}
    monkeypatch.setattr(build, "WHEELS", {n: hashlib.sha256(d).hexdigest() for n, d in contents.items()})
    monkeypatch.setattr(build, "PYODIDE_RELEASE", "http://127.0.0.1:9/")  # nothing listens on port 9
    folder = tmp_path / "wheels"
    folder.mkdir()
    return folder, contents


def test_wheels_from_a_named_folder_choose_the_current_runtime(cache, wheels):
    folder, contents = wheels
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    name, reason, staged = build.choose_runtime("auto", str(folder))
    assert name == "current" and "staged" in reason
    assert sorted(os.listdir(staged)) == sorted(contents)


def test_a_wheel_with_the_wrong_digest_falls_back_to_registry_only(cache, wheels):
    folder, contents = wheels
    for name in contents:
        (folder / name).write_bytes(b"something else")
    name, reason, staged = build.choose_runtime("auto", str(folder))
    assert (name, staged) == ("registry-only", None)
    assert "does not match its published sha256" in reason


def test_unreachable_wheels_fall_back_with_the_reason(cache, wheels):
    name, reason, _ = build.choose_runtime("auto", None)
    assert name == "registry-only" and "could not be downloaded" in reason


def test_forcing_the_current_runtime_without_wheels_is_an_error(cache, wheels):
    with pytest.raises(build.BuildError, match="--runtime current needs the official wheels"):
        build.choose_runtime("current", None)


def test_forcing_registry_only_does_not_look_for_wheels(cache, wheels):
    assert build.choose_runtime("registry-only", None)[0] == "registry-only"
    assert not os.path.exists(str(cache / "wheels"))


def test_the_service_worker_keeps_every_page_file_and_a_new_build_renames_its_cache(tmp_path, monkeypatch):
    out = tmp_path / "build"
    for path, text in [("index.html", "<p>"), ("static/main.js", "1"), ("vendor/x/a.wasm", "w"),
                       ("bench/matmul.html", "b")]:
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text)
    monkeypatch.setattr(build, "OUT", str(out))

    def written():
        build.write_service_worker()
        script = (out / build.SERVICE_WORKER).read_text()
        cache = re.search(r'^const CACHE = CACHE_PREFIX \+ "([^"]+)";$', script, re.M).group(1)
        files = json.loads(script.split("const FILES = ", 1)[1].split(";\n", 1)[0])
        return cache, files

    cache, files = written()
    assert files == ["./", "index.html", "static/main.js", "vendor/x/a.wasm"]  # not bench/, not itself
    assert written()[0] == cache  # the same build, the same cache
    (out / "static/main.js").write_text("2")
    assert written()[0] != cache  # a changed file: browsers fetch the new build
