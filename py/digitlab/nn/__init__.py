"""The neural network, from scratch in NumPy: ops, layers, losses, optimisers, models."""
