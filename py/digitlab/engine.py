"""The engine's commands, in plain Python: what the browser worker can ask for.

Requests carry a JSON-able payload and, optionally, raw bytes (an image file,
canvas pixels, a model file). Replies are JSON-able dicts. The JavaScript
bridge (bridge.py) is the only caller in the browser; CPython tests call
`Engine.handle` directly.
"""
import platform
import sys

import numpy as np
import PIL

from .errors import DigitlabError
from .model_file import load_model
from .recognise import recognise_image, recognise_rgba

MAX_CANVAS_SIDE = 2048


class Engine:
    def __init__(self):
        self.saved = None
        self.commands = {
            "info": self.info,
            "load_model": self.load_model,
            "predict_canvas": self.predict_canvas,
            "predict_image": self.predict_image,
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

    def predict_canvas(self, payload, data):
        width, height = int(payload["width"]), int(payload["height"])
        if not (0 < width <= MAX_CANVAS_SIDE and 0 < height <= MAX_CANVAS_SIDE):
            raise DigitlabError("The canvas is %dx%d; at most %d a side." % (width, height, MAX_CANVAS_SIDE))
        return recognise_rgba(self._model(), data or b"", width, height)

    def predict_image(self, payload, data):
        if not data:
            raise DigitlabError("The file is empty.")
        return recognise_image(self._model(), data)

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
