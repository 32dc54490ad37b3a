"""The one module that meets JavaScript: engine-worker.js calls `call` and `use_webgl`.

Requests arrive as (command, JSON text, optional JS Uint8Array); replies
leave as JSON text. Keeping the boundary to strings and bytes makes it the
same on every Pyodide version we ship (0.17 and 314). The exception is the
matrix kernel, which gets NumPy arrays themselves, so that JS can read and
write their memory in place (`PyProxy.getBuffer`).
"""
import json

from .engine import Engine
from .errors import DigitlabError
from .nn.dispatch import MatmulDispatch

_engine = Engine()


def call(command, payload_json, buffer=None):
    """Run one engine command; user errors come back as {"ok": false, "error": ...}."""
    try:
        result = _engine.handle(command, json.loads(payload_json), _to_bytes(buffer))
    except DigitlabError as err:
        error = {"type": type(err).__name__, "message": str(err)}
        if getattr(err, "line", None):
            error["line"] = err.line  # a problem in the page's network code: the editor marks it
        return json.dumps({"ok": False, "error": error})
    return json.dumps({"ok": True, "result": result})


def use_webgl(kernel, device_json):
    """Hand the engine's matrix products to a WebGL kernel (None: NumPy only, the device says why).

    `kernel.matmul(a, b, out, m, k, n, trans_a, trans_b)` is JavaScript (engine-worker.js): it
    reads a and b and writes out through their buffers, in WebAssembly memory, and returns
    false once its context is lost. The device's "kernelAlways" (the page's ?kernel=on) sends it
    every product, with no races against NumPy. The engine's `info` says the kernel's status.
    """
    device = json.loads(device_json)
    always = device.pop("kernelAlways", False)  # the status says it once, as the dispatch's "always"

    def product(a, b, out, trans_a, trans_b):
        m, n = out.shape
        k = a.shape[0] if trans_a else a.shape[1]
        # Our own proxies, destroyed here: Pyodide 0.17 never frees the ones it makes for arguments.
        proxies = [_create_proxy(array) for array in (a, b, out)]
        try:
            return bool(kernel.matmul(*proxies, m, k, n, trans_a, trans_b))
        finally:
            for proxy in proxies:
                proxy.destroy()

    dispatch = MatmulDispatch(None if kernel is None else product, "WebGL", reason=device.get("reason"),
                              always=always)
    _engine.use_kernel(dispatch, device)


def _create_proxy(value):
    try:
        from pyodide.ffi import create_proxy  # Pyodide >= 0.21
    except ImportError:
        from pyodide import create_proxy  # Pyodide 0.17
    return create_proxy(value)


def _to_bytes(buffer):
    """A JS Uint8Array proxy -> bytes (JsProxy.to_py gives a memoryview)."""
    return None if buffer is None else bytes(buffer.to_py())
