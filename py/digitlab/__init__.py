"""digitlab: handwritten digit recognition and image classifiers in plain NumPy."""
__version__ = "0.1.0"
