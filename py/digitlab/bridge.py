"""The one module that meets JavaScript: engine-worker.js calls `call`.

Requests arrive as (command, JSON text, optional JS Uint8Array); replies
leave as JSON text. Keeping the boundary to strings and bytes makes it the
same on every Pyodide version we ship (0.17 and 314).
"""
import json

from .engine import Engine
from .errors import DigitlabError

_engine = Engine()


def call(command, payload_json, buffer=None):
    """Run one engine command; user errors come back as {"ok": false, "error": ...}."""
    try:
        result = _engine.handle(command, json.loads(payload_json), _to_bytes(buffer))
    except DigitlabError as err:
        return json.dumps({"ok": False, "error": {"type": type(err).__name__, "message": str(err)}})
    return json.dumps({"ok": True, "result": result})


def _to_bytes(buffer):
    """A JS Uint8Array proxy -> bytes (JsProxy.to_py gives a memoryview)."""
    return None if buffer is None else bytes(buffer.to_py())
