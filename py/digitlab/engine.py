"""The engine's commands, in plain Python: what the browser worker can ask for.

Requests carry a JSON-able payload and, optionally, raw bytes (an image file's
header, RGBA pixels, a model file). In the page the browser decodes uploaded
images (Pillow 8 in Pyodide 0.17 cannot decode JPEG): `inspect_image` vets
the file first, then its pixels come back through `predict_pixels`. Replies are JSON-able dicts. The JavaScript
bridge (bridge.py) is the only caller in the browser; CPython tests call
`Engine.handle` directly.
"""
import base64
import platform
import tracemalloc

import numpy as np
import PIL

from . import session
from .data.archive import MAX_FOLDER_BYTES, unzipped, zipped
from .data.folder import HOLD_OUT_EVERY, hold_out
from .data.images import MAX_BYTES, WORKING_SIDE, fully_decodable, header, rgba_to_gray, undecodable
from .data.nondigits import with_none_of_these
from .data.store import (THE_MODELS, THE_TRAINING_FOLDERS, UNREADABLE_STORE, check_trainable, known_labels_only,
                         load_sets, unvalidated)
from .data.upload import FolderUpload
from .errors import DigitlabError
from .model_file import MAX_PARAMS, load_model, model_bytes
from .nn import editable, ops, zoo
from .nn.dispatch import MatmulDispatch
from .recognise import THRESHOLD, check_picture_input, check_reads_pictures, recognise_rgba
from .train import check_reads
from .transfer import BASE_NETWORK

MAX_PIXEL_SIDE = 2048
MAX_CHECK_VALUES = 1 << 22  # per matrix of a kernel_check: past a 4096 tile, 16 MB at most


class Engine:
    def __init__(self):
        self.saved = None  # the model that reads pictures
        self.trained = None  # the model the last finished training made, until the engine stops
        self.base = None  # the built-in feature network (data/glyphs.py): the base of transfer learning
        self.own_images = None  # every image of a training folder of one's own labels, once given
        self.data = None  # (train, test) ImageSets once load_data or folder_done has run; test may be None
        self.folder = None  # a FolderUpload between folder_start and folder_done
        self.training = None
        self.matmul = MatmulDispatch(None, "WebGL", reason="No GPU kernel was offered to this engine.")
        self.device = {}  # what the host found out about its GPU
        self.commands = {
            "info": self.info,
            "load_model": self.load_model,
            "load_base": self.load_base,
            "export_model": self.export_model,
            "import_onnx": self.import_onnx,
            "inspect_image": self.inspect_image,
            "predict_pixels": self.predict_pixels,
            "load_data": self.load_data,
            "folder_start": self.folder_start,
            "folder_image": self.folder_image,
            "folder_skip": self.folder_skip,
            "folder_done": self.folder_done,
            "zip_files": self.zip_files,
            "unzip": self.unzip,
            "samples": self.samples,
            "code_examples": self.code_examples,
            "check_code": self.check_code,
            "train_start": self.train_start,
            "train_step": self.train_step,
            "train_cancel": self.train_cancel,
            "train_report": self.train_report,
            "evaluate_model": self.evaluate_model,
            "kernel_status": self.kernel_status,
            "kernel_check": self.kernel_check,
            "kernel_race": self.kernel_race,
            "memory_trace_start": self.memory_trace_start,
            "memory_trace_stop": self.memory_trace_stop,
        }

    def handle(self, command, payload, data=None):
        if command not in self.commands:
            raise DigitlabError("Unknown engine command %r." % command)
        return self.commands[command](payload, data)

    def info(self, payload=None, data=None):
        return {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pillow": PIL.__version__,
            "model": self._model_info(),
            "threshold": THRESHOLD,
            "working_side": WORKING_SIDE,
            "max_folder_bytes": MAX_FOLDER_BYTES,
            "max_upload_bytes": MAX_BYTES,
            "settings": session.SETTINGS,
            "matmul": self.kernel_status(),
        }

    def use_kernel(self, dispatch, device):
        """Route every matrix product through `dispatch` (verified first, and calibrated unless it
        always takes the kernel)."""
        self.matmul, self.device = dispatch, device
        dispatch.start()
        ops.set_matmul(dispatch if dispatch.active else None)

    def kernel_status(self, payload=None, data=None):
        return dict(self.device, **self.matmul.status())

    def kernel_check(self, payload, data=None):
        """The kernel against NumPy on the given [m, k, n] shapes, in all four transpositions."""
        shapes = payload.get("shapes", [])
        if not isinstance(shapes, list) or not all(_is_shape(shape) for shape in shapes):
            raise DigitlabError("Each shape is [m, k, n]: whole numbers from 1, and no matrix of more "
                                "than %d values." % MAX_CHECK_VALUES)
        return {"rows": self.matmul.check([tuple(shape) for shape in shapes]), "active": self.matmul.active}

    def kernel_race(self, payload, data=None):
        """Best milliseconds of one size×size product in NumPy and on the kernel (for benchmarks)."""
        if not self.matmul.active:
            raise DigitlabError("No GPU kernel is in use: %s" % self.matmul.reason)
        row = self.matmul.race(_bounded_int(payload, "size", 1, 4096), _bounded_int(payload, "repeats", 1, 20))
        if not self.matmul.active:  # dropped during the race: its time means nothing
            raise DigitlabError("The GPU kernel stopped during the race: %s" % self.matmul.reason)
        return row

    def memory_trace_start(self, payload=None, data=None):
        """Count Python's allocations from now on, from zero (tracemalloc; NumPy reports its arrays)."""
        tracemalloc.stop()
        tracemalloc.start()
        return {}

    def memory_trace_stop(self, payload=None, data=None):
        """Bytes held now and at the peak since memory_trace_start, which stops counting (for benchmarks)."""
        if not tracemalloc.is_tracing():
            raise DigitlabError("Memory is not being traced: send memory_trace_start first.")
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"current_bytes": current, "peak_bytes": peak}

    def load_model(self, payload, data):
        """Use a model file."""
        self.saved = _reading_model(data)  # refused before it replaces the model in use
        return self._model_info()

    def load_base(self, payload, data):
        """Keep a model file as the network a folder's new classifier starts from."""
        base = _model_file(data)
        check_picture_input(base)
        self.base = base
        return {"name": base.name, "labels": len(base.labels)}

    def export_model(self, payload, data=None):
        """The model that reads as a file, or with {"trained": true} the model trained here,
        base64-encoded for the page to download: a model file, or with {"format": "onnx"} an ONNX
        file for other tools."""
        saved = self._trained() if payload.get("trained") else self._model()
        if payload.get("format") == "onnx":
            from .interop.onnx_export import onnx_bytes  # only when asked: the boot need not load it

            blob = onnx_bytes(saved, float16=bool(payload.get("float16")))
        else:
            blob = model_bytes(saved.model, saved.labels, name=saved.name,
                               weights_dtype="float16" if payload.get("float16") else "float32",
                               metrics=saved.meta.get("metrics", {}), temperature=saved.temperature)
        return {"name": saved.name, "bytes": len(blob), "base64": _base64(blob)}

    def import_onnx(self, payload, data):
        """An ONNX file -> the model file of its network, base64-encoded, for the page to use and keep."""
        from .interop.onnx_import import import_onnx

        if not data:
            raise DigitlabError("The ONNX file is empty.")
        blob = import_onnx(data, name=str(payload.get("name", ""))[:100])
        return {"bytes": len(blob), "base64": _base64(blob)}

    def inspect_image(self, payload, data):
        """Vet an image file from its header alone; say what size to decode it at, whether it may be
        decoded pixel for pixel, and what to say if the browser cannot. payload {reduces_jpeg}: the
        browser decodes a JPEG straight to a reduced size, so a larger one is let through."""
        (width, height), kind = header(data or b"", bool(payload.get("reduces_jpeg")))  # turned as it is meant
        scale = min(1.0, float(WORKING_SIDE) / max(width, height))
        return {"width": width, "height": height, "undecodable": undecodable(kind),
                "fully_decodable": fully_decodable((width, height)),
                "decode_width": max(1, int(round(width * scale))), "decode_height": max(1, int(round(height * scale)))}

    def predict_pixels(self, payload, data):
        """RGBA pixels (a drawing's inked part at {left, top}, or a decoded upload at reduced size) -> digits."""
        width, height = self._pixel_size(payload)
        source = (int(payload.get("source_width", width)), int(payload.get("source_height", height)))
        origin = (int(payload.get("left", 0)), int(payload.get("top", 0)))
        return recognise_rgba(self._model(), data or b"", width, height, source, origin)

    def load_data(self, payload, data):
        """An image store (.npz of uint8 train and test sets), kept for training."""
        store = data or b""
        try:
            self.data, self.own_images = load_sets(store), None
        except UNREADABLE_STORE as err:
            raise DigitlabError("The data set could not be read (%s)." % err)
        train, test = self.data
        return {"train": len(train), "test": len(test), "labels": train.label_names}

    def folder_start(self, payload, data=None):
        """A folder's relative paths -> which files to decode (index, path), and those skipped already."""
        self.folder = FolderUpload(payload.get("paths"))
        return {"name": self.folder.name, "labels": self.folder.labels, "skipped": self.folder.skipped,
                "images": [{"index": i, "path": self.folder.paths[i]} for i in sorted(self.folder.planned)]}

    def folder_image(self, payload, data):
        """One image of the folder, decoded by the browser: RGBA pixels at reduced size."""
        width, height = self._pixel_size(payload)
        self._folder().add(int(payload["index"]), rgba_to_gray(data or b"", width, height))
        return {}

    def folder_skip(self, payload, data=None):
        self._folder().skip_file(int(payload["index"]), str(payload.get("reason", "unreadable")))
        return {}

    def folder_done(self, payload, data=None):
        """The folder read becomes the training data, some of each label held out to test (`hold_out`), or,
        with {"role": "val"}, the images to test a training folder's labels on (matched by name)."""
        folder, self.folder = self._folder(), None
        images = folder.image_set()
        if payload.get("role") == "val":
            train = self._own_images()
            test = known_labels_only(images, train.label_names, folder.skip, *THE_TRAINING_FOLDERS)
        else:
            self.own_images = images
            train, test = hold_out(images)
        self.data = (train, test)
        return {"name": folder.name, "role": payload.get("role", "train"), "train": len(train),
                "test": len(test) if test is not None else 0, "labels": train.label_names, "skipped": folder.skipped,
                "unvalidated": [label for label, _ in unvalidated(train, test)]}

    def zip_files(self, payload, data):
        """Files, {paths, sizes} with their bytes one after another -> a zip of them, base64-encoded."""
        paths, sizes = payload.get("paths"), payload.get("sizes")
        data = data or b""
        if not (isinstance(paths, list) and isinstance(sizes, list) and len(paths) == len(sizes)
                and all(isinstance(n, int) and n >= 0 for n in sizes) and sum(sizes) == len(data)):
            raise DigitlabError("The files to zip are malformed.")
        ends = np.cumsum([0] + sizes).tolist()
        blob = zipped([(path, data[start:end]) for path, start, end in zip(paths, ends, ends[1:])])
        return {"bytes": len(blob), "base64": _base64(blob)}

    def unzip(self, payload, data):
        """A zip -> the paths and sizes of the files in it, their bytes one after another in base64."""
        files = unzipped(data or b"")
        return {"paths": [path for path, _ in files], "sizes": [len(blob) for _, blob in files],
                "base64": _base64(b"".join(blob for _, blob in files))}

    def samples(self, payload, data=None):
        return session.samples(self._data()[0], int(payload["per_label"]))

    def train_start(self, payload, data=None):
        train, test = self._data()
        train = session.subset_per_label(train, payload.get("per_label"))
        own = self.own_images is not None  # the digits need neither
        if payload.get("none_of_these") and own:
            train, test = with_none_of_these(train, test, seed=0)
        check_trainable(train)
        base = self._base() if payload.get("base") and own else None
        name = payload.get("architecture", zoo.DEFAULT)
        written = name == editable.NAME and base is None  # a network written in the page, as Python
        spec = self._network(str(payload.get("code") or ""), train)[0] if written else None
        try:
            self.training = session.TrainingSession(train, test, name, session.config_from(payload), base, spec)
        except ValueError as err:
            raise DigitlabError("Cannot train: %s." % err)
        run = self.training
        return {"images": len(train), "total_steps": run.total_steps, "config": run.config.as_dict(),
                "architecture": run.architecture}

    def code_examples(self, payload=None, data=None):
        """The networks to start from, as Python ({name: {title, code}}), and the training step's lines."""
        return {"examples": editable.examples(), "step": editable.training_step()}

    def check_code(self, payload, data=None):
        """A network written in the page, checked on the training data: its layers' output shapes,
        its parameter count, and one batch through it."""
        spec, model = self._network(str(payload.get("code", "")), self._data()[0])
        return {"spec": spec, "params": model.count_params(),
                "shapes": [list(shape) for shape in model.shapes], "classes": model.output_shape[0]}

    def _network(self, code, train):
        """(spec, model) of network code, which a batch of `train` goes through once (a dry run)."""
        spec, model = editable.network_of_code(code, len(train.label_names), train.input_shape, MAX_PARAMS)
        try:
            model.forward(train.batch(slice(8)))  # its first 8 images, (8, H, W, 1)
        except (ValueError, ArithmeticError) as err:
            raise editable.CodeError(None, "One batch through the network failed: %s." % err)
        return spec, model

    def train_step(self, payload, data=None):
        result = self._session().step(float(payload["seconds"]))  # the host's time slice
        result["matmul"] = self.matmul.status()
        return result

    def train_cancel(self, payload=None, data=None):
        self.training = None
        return {"cancelled": True}

    def train_report(self, payload=None, data=None):
        """Score the finished model; it becomes this engine's trained model (for export)."""
        run = self._session()
        report = run.report()
        metrics = {"test_accuracy": report["accuracy"], "train_config": run.config.as_dict()}
        self.trained = load_model(model_bytes(run.model, run.train_set.label_names, name=run.architecture,
                                              metrics=metrics))
        report["model"] = _described(self.trained)
        return report

    def evaluate_model(self, payload, data):
        """Score a model file (the page's recognising model) on the test images of the loaded data.

        Its labels are matched to the data's by name, and images of a label it does not know are left
        out, as `eval` leaves them out; this engine's own model stays as it is.
        """
        saved = _model_file(data)
        test = self._data()[1]
        if test is None:
            raise DigitlabError("There are no images to test on: give each label %d images at least (1 in %d "
                                "is held out), or a validation folder." % (HOLD_OUT_EVERY, HOLD_OUT_EVERY))
        unknown = []
        try:
            test = known_labels_only(test, saved.labels, lambda label, reason: unknown.append(label), *THE_MODELS)
        except DigitlabError as err:
            raise DigitlabError("This model cannot be tested on these images. %s" % err)
        check_reads(saved.model, test)
        report = session.evaluation_report(saved.model, test)
        report["model"] = {"name": saved.name, "labels": saved.labels}
        report["unknown_labels"] = unknown  # not scored
        return report

    def _pixel_size(self, payload):
        width, height = int(payload["width"]), int(payload["height"])
        if not (0 < width <= MAX_PIXEL_SIDE and 0 < height <= MAX_PIXEL_SIDE):
            raise DigitlabError("The picture is %dx%d; at most %d a side." % (width, height, MAX_PIXEL_SIDE))
        return width, height

    def _base(self):
        if self.base is None:
            raise DigitlabError("%s is not loaded." % BASE_NETWORK)
        check_reads(self.base.model, self._data()[0], BASE_NETWORK)
        return self.base.model

    def _own_images(self):
        return _needed(self.own_images, "Give the training folder first: a validation folder scores its labels.")

    def _folder(self):
        return _needed(self.folder, "No folder is being read.")

    def _data(self):
        return _needed(self.data, "No data set is loaded yet.")

    def _session(self):
        return _needed(self.training, "No training is running.")

    def _model(self):
        return _needed(self.saved, "No model is loaded yet.")

    def _trained(self):
        # A worker started again after its training is a new engine: the model it trained is gone.
        return _needed(self.trained, "No model has been trained since the engine started: one trained before it "
                                     "stopped is gone. Train again.")

    def _model_info(self):
        return None if self.saved is None else _described(self.saved)


def _described(saved):
    return {"name": saved.name, "labels": saved.labels, "parameters": int(saved.model.count_params()),
            "metrics": saved.meta.get("metrics", {})}


def _base64(blob):
    """Bytes as the base64 text a reply carries them in (JSON holds no bytes)."""
    return base64.b64encode(blob).decode("ascii")


def _needed(value, missing):
    """`value`, which a command needs; when it is not there yet, the user's next step, said."""
    if value is None:
        raise DigitlabError(missing)
    return value


def _model_file(data):
    """The model in model file bytes sent by the page."""
    if not data:
        raise DigitlabError("The model file is empty.")
    return load_model(data)


def _reading_model(data):
    """The model in model file bytes, refused unless it reads pictures as the page sends them (a model
    of another image size can still be scored on its own images: evaluate_model)."""
    saved = _model_file(data)
    check_reads_pictures(saved)
    return saved


def _is_shape(shape):
    """[m, k, n] of whole numbers from 1, no matrix of the product over MAX_CHECK_VALUES."""
    if not (isinstance(shape, list) and len(shape) == 3
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape)):
        return False
    m, k, n = shape
    return max(m * k, k * n, m * n) <= MAX_CHECK_VALUES


def _bounded_int(payload, key, low, high):
    try:
        value = int(payload[key])
    except (KeyError, TypeError, ValueError):
        raise DigitlabError("%r must be a whole number." % key)
    if not low <= value <= high:
        raise DigitlabError("%r must be between %d and %d." % (key, low, high))
    return value
