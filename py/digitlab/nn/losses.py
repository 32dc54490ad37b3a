"""Softmax and its cross-entropy loss, fused for a stable, simple gradient."""
import numpy as np

NO_LABEL = -1  # an example that is none of the classes (a letter shown to a digit model)


def softmax(logits):
    """(N, K) logits -> (N, K) probabilities; the row's largest logit taken off first, so exp never
    overflows (the result is the same)."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))  # (N, K)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of integer `labels`, and its gradient w.r.t. the logits.

    loss = -mean(sum_k t_k log softmax(z)_k);  dloss/dz = (softmax(z) - t) / N
    where t is onehot(y), or for NO_LABEL the uniform 1/K over every class: the model
    learns to be unsure of what is none of them ("outlier exposure").
    """
    n, k = logits.shape
    z = logits - logits.max(axis=1, keepdims=True)  # (N, K), as softmax does
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (N, K)
    target = np.zeros_like(log_probs)  # (N, K)
    labelled = labels != NO_LABEL
    target[np.flatnonzero(labelled), labels[labelled]] = 1.0
    target[~labelled] = 1.0 / k
    loss = -(target * log_probs).sum(axis=1).mean()  # ()
    grad = np.exp(log_probs) - target  # (N, K)
    return float(loss), (grad / n).astype(logits.dtype)
