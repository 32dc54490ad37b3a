"""Where the built-in models and digits are: build.py writes them there, the CLI reads them, the page fetches them.

OUTPUT is the project's build folder, found from this file (py/digitlab/ is two folders below the
project), so the CLI finds the built-in models from any working folder; the page's URLs are
relative to OUTPUT, which it is served from.
"""
import os

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(PROJECT, "build")  # the build's output folder: the page and what it loads
MODEL = os.path.join("models", "default.npz")  # the digit network, within OUTPUT
FEATURES = os.path.join("models", "features.npz")  # the feature network transfer learning starts from, within OUTPUT
DIGITS = os.path.join("data", "mnist.npz")  # the MNIST digits as an image store (data/store.py), within OUTPUT
