"""Our model file: a .npz zip of plain arrays plus one JSON metadata record.

Read with allow_pickle=False, so a file can hold numbers and text only, never
code. Each array's size is checked before it is unpacked, and every field before
a model is built from it.
"""
import io
import json
import zipfile

import numpy as np

from .data.store import label_names_fault
from .errors import ModelFileError
from .npz import NOT_A_ZIP, Refused, read_arrays, source_bytes
from .nn.layers import LAYERS
from .nn.losses import softmax
from .nn.model import Sequential
from .preprocess import BOX, SIZE

FORMAT = "digitlab-model"
VERSION = 1
META_KEY = "meta"
WEIGHT_DTYPES = ("float32", "float16")
MAX_SETTING = 4096  # largest layer setting (width, kernel, stride, pad, pool) a file may ask for
MAX_PARAMS = 20000000  # 80 MB of float32 weights: far above any model we offer
MAX_VALUES = 2 ** 21  # a layer's work for one image (its output, a convolution's patches): 8 MB of float32,
                      # 80 times our widest layer's (28x28x32)
MAX_META_BYTES = 2 ** 20  # the metadata record: names, labels and settings take a few kilobytes
MAX_UNPACKED = 4 * MAX_PARAMS + MAX_META_BYTES  # what a file's arrays may unpack to
WHOLE_SETTINGS = ("units", "filters", "kernel", "stride", "size")  # counts and sizes: whole numbers from 1
INITIALISERS = ("he", "glorot")
TEMPERATURES = (0.01, 100.0)  # a calibration temperature outside these is damage, not calibration
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # an .npz is a zip archive


class SavedModel:
    """A network plus what it needs to be used: its labels and calibration, and the file's record (`meta`)."""

    def __init__(self, model, labels, meta):
        self.model, self.labels, self.meta = model, list(labels), meta

    @property
    def name(self):
        return self.meta.get("name", "")

    @property
    def temperature(self):
        """The logits' divisor that makes confidences honest (calibrate.py); 1 for an uncalibrated model."""
        return self.meta.get("calibration", {}).get("temperature", 1.0)

    def logits(self, x, batch_size=256):
        """The network's logits for a float32 NHWC batch, calibrated (divided by the temperature)."""
        out = [self.model.forward(x[i:i + batch_size]) / self.temperature for i in range(0, len(x), batch_size)]
        return np.concatenate(out) if out else np.zeros((0,) + self.model.output_shape, np.float32)

    def predict_proba(self, x, batch_size=256):
        """Calibrated class probabilities for a float32 NHWC batch."""
        return softmax(self.logits(x, batch_size))


def save_model(target, model, labels, name="", weights_dtype="float32", metrics=None, temperature=None):
    """Write `model` to a path or binary file object, with its calibration when it has one."""
    if weights_dtype not in WEIGHT_DTYPES:
        raise ValueError("weights_dtype must be one of %s" % (WEIGHT_DTYPES,))
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "architecture": model.spec,
        "input_shape": list(model.input_shape),
        "labels": [str(label) for label in labels],
        "preprocess": {"kind": "mnist", "size": SIZE, "box": BOX},  # how its inputs were made, for other readers
        "weights_dtype": weights_dtype,
        "metrics": metrics or {},
    }
    if temperature is not None:
        meta["calibration"] = {"temperature": float(temperature)}
    arrays = {k: v.astype(weights_dtype) for k, v in model.named_params()}
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    if isinstance(target, str):  # np.savez would add ".npz" to a path: write exactly the path asked for
        with open(target, "wb") as f:
            np.savez(f, **arrays)
    else:
        np.savez(target, **arrays)


def model_bytes(model, labels, **kwargs):
    buffer = io.BytesIO()
    save_model(buffer, model, labels, **kwargs)
    return buffer.getvalue()


def load_model(source):
    """Read a model from a path or bytes; raise ModelFileError saying what is wrong."""
    try:
        data = source_bytes(source)
        if not data.startswith(ZIP_SIGNATURES):  # zipfile would open an archive with other bytes before it
            raise zipfile.BadZipFile("no zip signature")
        arrays = read_arrays(data, MAX_UNPACKED)
    except NOT_A_ZIP as err:
        raise ModelFileError("Not a digitlab model file: it is not a readable .npz archive (%s)." % _short(err))
    except Refused as err:
        raise ModelFileError("Refused: the model file %s." % err)
    except ValueError as err:  # a header numpy cannot read
        raise ModelFileError("Refused: the model file holds something other than plain arrays (%s)." % _short(err))
    if META_KEY not in arrays:
        raise ModelFileError("Not a digitlab model file: it has no metadata record.")
    meta = _read_meta(arrays.pop(META_KEY))
    model = _build(meta)
    _load_weights(model, arrays, meta["weights_dtype"])
    return SavedModel(model, meta["labels"], meta)


def _short(err):
    return str(err).splitlines()[0][:120] if str(err) else type(err).__name__


def _read_meta(raw):
    if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > MAX_META_BYTES:
        raise ModelFileError("Not a digitlab model file: its metadata record is malformed.")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (ValueError, RecursionError):  # RecursionError: lists nested thousands deep
        raise ModelFileError("Not a digitlab model file: its metadata is not valid JSON.")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("Not a digitlab model file: it is an .npz of some other kind.")
    if meta.get("version") != VERSION:
        raise ModelFileError("Unsupported model format version %r (this app reads version %d)."
                             % (meta.get("version"), VERSION))
    labels = meta.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(s, str) for s in labels):
        raise ModelFileError("Damaged model file: its labels are missing or not text.")
    fault = label_names_fault(labels)
    if fault:
        raise ModelFileError("Damaged model file: among its labels, %s." % fault)
    if not isinstance(meta.get("name", ""), str) or not isinstance(meta.get("metrics", {}), dict):
        raise ModelFileError("Damaged model file: its name or its metrics are malformed.")
    if meta.get("weights_dtype") not in WEIGHT_DTYPES:
        raise ModelFileError("Damaged model file: unknown weight type %r." % (meta.get("weights_dtype"),))
    if not _sane_calibration(meta.get("calibration", {"temperature": 1.0})):
        raise ModelFileError("Damaged model file: its calibration is not a temperature between %g and %g."
                             % TEMPERATURES)
    return meta


def _sane_calibration(calibration):
    t = calibration.get("temperature") if isinstance(calibration, dict) else None
    return isinstance(t, (int, float)) and not isinstance(t, bool) and TEMPERATURES[0] <= t <= TEMPERATURES[1]


def _build(meta):
    spec, shape = meta.get("architecture"), meta.get("input_shape")
    if not isinstance(spec, list) or not all(isinstance(s, dict) and s.get("type") in LAYERS for s in spec):
        raise ModelFileError("Damaged model file: its architecture names an unknown layer.")
    for key, value in ((k, v) for s in spec for k, v in s.items() if k != "type"):
        problem = setting_problem(key, value)
        if problem:
            raise ModelFileError("Damaged model file: a layer setting is out of range (%s=%r: %s)."
                                 % (key, value, problem))
    if not (isinstance(shape, list) and len(shape) == 3 and all(setting_problem("size", d) is None for d in shape)):
        raise ModelFileError("Damaged model file: its input shape is invalid.")
    try:
        model = Sequential(spec, shape, max_params=MAX_PARAMS, max_values=MAX_VALUES, initialise=False)  # weights next
    except (TypeError, ValueError, KeyError) as err:
        raise ModelFileError("Damaged model file: its architecture cannot be built (%s)." % _short(err))
    if model.output_shape != (len(meta["labels"]),):
        raise ModelFileError("Damaged model file: %d labels for %s outputs."
                             % (len(meta["labels"]), model.output_shape))
    return model


def setting_problem(key, value):
    """What is wrong with a layer's setting `key` for a model file to keep, or None. Settings are
    small whole numbers (a pad may be 0), a dropout rate or an initialiser's name: this bounds memory
    and keeps every layer computable (no stride or pool of 0, no fraction of a filter)."""
    if key == "init":
        return None if value in INITIALISERS else "one of %s" % ", ".join(INITIALISERS)
    if key == "rate":
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if number and 0 <= value < 1 else "a rate from 0 up to (not including) 1"
    low = 1 if key in WHOLE_SETTINGS else 0
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= MAX_SETTING:
        return None
    return "a whole number from %d to %d" % (low, MAX_SETTING)


def _load_weights(model, arrays, dtype):
    expected = dict(model.named_params())
    if set(arrays) != set(expected):
        missing = sorted(set(expected) - set(arrays))
        raise ModelFileError("Damaged model file: weights do not match the architecture (missing %s)."
                             % (", ".join(missing) or "none, extra arrays present"))
    for key, target in expected.items():
        value = arrays[key]
        if value.shape != target.shape or value.dtype != np.dtype(dtype):
            raise ModelFileError("Damaged model file: weight %s has shape %s and type %s, expected %s and %s."
                                 % (key, value.shape, value.dtype, target.shape, dtype))
        if not np.all(np.isfinite(value)):
            raise ModelFileError("Damaged model file: weight %s holds non-finite numbers." % key)
        target[...] = value.astype(np.float32)
