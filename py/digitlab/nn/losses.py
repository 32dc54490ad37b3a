"""Softmax and its cross-entropy loss, fused for a stable, simple gradient."""
import numpy as np


def softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of integer `labels`, and its gradient w.r.t. the logits.

    loss = -mean(log softmax(z)[y]);  dloss/dz = (softmax(z) - onehot(y)) / N
    """
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), labels].mean()
    grad = np.exp(log_probs)
    grad[np.arange(n), labels] -= 1.0
    return float(loss), (grad / n).astype(logits.dtype)
