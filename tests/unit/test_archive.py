"""Folders as zip files, through the engine's commands: drawn classes zipped, a zip read back."""
import base64
import io
import zipfile

import pytest

from digitlab.data import archive
from digitlab.engine import Engine
from digitlab.errors import DigitlabError


def zip_of(files, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_files_zipped_by_the_engine_come_back_from_unzip_as_they_went():
    engine = Engine()
    files = {"drawn/circle/001.png": b"\x89PNG one", "drawn/cross/001.png": b"", "drawn/cross/002.png": b"two"}
    made = engine.handle("zip_files", {"paths": list(files), "sizes": [len(b) for b in files.values()]},
                         b"".join(files.values()))
    blob = base64.b64decode(made["base64"])
    assert made["bytes"] == len(blob) and zipfile.ZipFile(io.BytesIO(blob)).namelist() == list(files)
    opened = engine.handle("unzip", {}, blob)
    assert opened["paths"] == list(files) and opened["sizes"] == [8, 0, 3]
    assert base64.b64decode(opened["base64"]) == b"".join(files.values())


def test_a_zip_from_a_mac_reads_as_the_folder_it_holds():
    blob = zip_of({"shapes/circle/a.png": b"x", "__MACOSX/shapes/circle/._a.png": b"y", "shapes/cross/b.png": b"z"})
    opened = Engine().handle("unzip", {}, blob)
    plan = Engine().handle("folder_start", {"paths": opened["paths"]})
    assert plan["labels"] == ["circle", "cross"] and plan["name"] == "shapes"
    assert plan["skipped"] == [{"file": "__MACOSX/shapes/circle/._a.png", "reason": "hidden"}]


@pytest.mark.parametrize("payload", [
    {"paths": ["a"], "sizes": [2]}, {"paths": ["a", "b"], "sizes": [1]}, {"paths": "a", "sizes": [1]},
    {"paths": ["a"], "sizes": [-1]},
])
def test_files_to_zip_that_do_not_match_their_bytes_are_refused(payload):
    with pytest.raises(DigitlabError, match="malformed"):
        Engine().handle("zip_files", payload, b"x")


def test_a_zip_that_expands_past_the_limit_is_refused_while_it_is_read(monkeypatch):
    monkeypatch.setattr(archive, "MAX_FOLDER_BYTES", 2 ** 20)
    bomb = zip_of({"a/big.png": bytes(3 * 2 ** 20)})  # 3 MB of zeros: a few kB zipped
    assert len(bomb) < 2 ** 15
    with pytest.raises(DigitlabError, match="expands to more than 1 MB"):
        Engine().handle("unzip", {}, bomb)
    assert len(archive.unzipped(zip_of({"a/small.png": bytes(2 ** 19)}))) == 1


def test_too_many_files_empty_damaged_and_encrypted_zips_are_refused(monkeypatch):
    monkeypatch.setattr(archive, "MAX_FILES", 2)
    with pytest.raises(DigitlabError, match="holds 3 files; at most 2"):
        archive.unzipped(zip_of({"a/1": b"", "a/2": b"", "a/3": b""}))
    with pytest.raises(DigitlabError, match=r"^This zip file is empty \(0 bytes\)\.$"):
        archive.unzipped(b"")
    with pytest.raises(DigitlabError, match="damaged"):
        archive.unzipped(b"PK\x03\x04 not really a zip")
    locked = bytearray(zip_of({"a/1.png": b"secret"}, zipfile.ZIP_STORED))
    for at in (6, locked.index(b"PK\x01\x02") + 8):  # the encrypted flag, in the local and central headers
        locked[at] |= 1
    with pytest.raises(DigitlabError, match="encrypted"):
        archive.unzipped(bytes(locked))
