"""The engine's commands, in plain Python: what the browser worker can ask for.

Requests carry a JSON-able payload and, optionally, raw bytes (an image file's
header, RGBA pixels, a model file). In the page the browser decodes uploaded
images (Pillow 8 in Pyodide 0.17 cannot decode JPEG): `inspect_image` vets
the file first, then its pixels come back through `predict_pixels`. Replies are JSON-able dicts. The JavaScript
bridge (bridge.py) is the only caller in the browser; CPython tests call
`Engine.handle` directly.
"""
import platform
import sys

import numpy as np
import PIL

from .data.images import WORKING_SIDE, open_image
from .errors import DigitlabError
from .model_file import load_model
from .recognise import recognise_rgba

MAX_PIXEL_SIDE = 2048


class Engine:
    def __init__(self):
        self.saved = None
        self.commands = {
            "info": self.info,
            "load_model": self.load_model,
            "inspect_image": self.inspect_image,
            "predict_pixels": self.predict_pixels,
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
            "platform": sys.platform,
            "model": self._model_info(),
        }

    def load_model(self, payload, data):
        if not data:
            raise DigitlabError("The model file is empty.")
        self.saved = load_model(data)
        return self._model_info()

    def inspect_image(self, payload, data):
        """Vet an image file from its header alone; say what size to decode it at."""
        if not data:
            raise DigitlabError("The file is empty.")
        width, height = open_image(data).size
        scale = min(1.0, float(WORKING_SIDE) / max(width, height))
        return {"width": width, "height": height,
                "decode_width": max(1, int(round(width * scale))), "decode_height": max(1, int(round(height * scale)))}

    def predict_pixels(self, payload, data):
        """RGBA pixels (a drawing, or a decoded upload at reduced size) -> digits."""
        width, height = int(payload["width"]), int(payload["height"])
        if not (0 < width <= MAX_PIXEL_SIDE and 0 < height <= MAX_PIXEL_SIDE):
            raise DigitlabError("The picture is %dx%d; at most %d a side." % (width, height, MAX_PIXEL_SIDE))
        source = (int(payload.get("source_width", width)), int(payload.get("source_height", height)))
        return recognise_rgba(self._model(), data or b"", width, height, source)

    def _model(self):
        if self.saved is None:
            raise DigitlabError("No model is loaded yet.")
        return self.saved

    def _model_info(self):
        if self.saved is None:
            return None
        return {"name": self.saved.name, "labels": self.saved.labels,
                "parameters": int(self.saved.model.count_params()),
                "metrics": self.saved.meta.get("metrics", {})}
