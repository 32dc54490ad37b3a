"""Data: reading images safely, the MNIST store, and batch-by-batch iteration."""
