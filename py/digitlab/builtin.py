"""Where the built-in models and digits are: build.py writes them there, the CLI reads them, the page fetches them.

Paths are relative to the project root, where the CLI runs, except that the page's URLs are
relative to the build's output folder, which it is served from.
"""
import os

OUTPUT = "build"  # the build's output folder: the page and what it loads
MODEL = os.path.join("models", "default.npz")  # the digit network, within OUTPUT
FEATURES = os.path.join("models", "features.npz")  # the feature network transfer learning starts from, within OUTPUT
DIGITS = os.path.join("data", "mnist.npz")  # the MNIST digits as an image store (data/store.py), within OUTPUT
