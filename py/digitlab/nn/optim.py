"""Optimisers that update a model's parameters in place from its gradients.

Weight decay is classic L2: `wd * w` is added to the gradient of weights
(not biases) before the update.
"""
import math

import numpy as np


class Optimizer:
    def __init__(self, lr, weight_decay=0.0):
        self.lr = lr
        self.weight_decay = weight_decay
        self.state = {}

    def step(self, layers, lr=None):
        lr = self.lr if lr is None else lr
        for i, layer in enumerate(layers):
            for name, param in layer.params.items():
                grad = layer.grads[name]
                if self.weight_decay and name == "w":
                    grad = grad + self.weight_decay * param
                self.update((i, name), param, grad, lr)

    def update(self, key, param, grad, lr):
        raise NotImplementedError


class SGD(Optimizer):
    """v = momentum * v - lr * g;  w += v"""

    def __init__(self, lr=0.05, momentum=0.9, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = momentum

    def update(self, key, param, grad, lr):
        v = self.state.get(key)
        if v is None:
            v = self.state[key] = np.zeros_like(param)
        v *= self.momentum
        v -= lr * grad
        param += v


class Adam(Optimizer):
    """Kingma & Ba 2015: bias-corrected first and second moment estimates."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0

    def step(self, layers, lr=None):
        self.t += 1
        super().step(layers, lr)

    def update(self, key, param, grad, lr):
        if key not in self.state:
            self.state[key] = (np.zeros_like(param), np.zeros_like(param))
        m, v = self.state[key]
        m *= self.beta1
        m += (1 - self.beta1) * grad
        v *= self.beta2
        v += (1 - self.beta2) * np.square(grad)
        # lr * m_hat / (sqrt(v_hat) + eps), in one scratch array: the bias
        # corrections are Python-float factors, which keep float32 float32.
        step = np.sqrt(v)
        step *= 1 / math.sqrt(1 - self.beta2 ** self.t)
        step += self.eps
        np.divide(m, step, out=step)
        step *= lr / (1 - self.beta1 ** self.t)
        param -= step


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


COOLDOWN = 0.2  # steady_lr's last share of the steps, where the rate comes down


def steady_lr(base_lr, step, total_steps):
    """base_lr, then a cosine cool-down to 0 over the last COOLDOWN of the steps.

    A run's first epochs learn at full rate whatever its length: a cosine decay over a whole
    2-epoch run halves its mean rate (the codelab CNN, batch 512: 36 % after 2 epochs, this 61 %,
    on held-out training digits). Adam needs no warm-up at these rates: one cost a short run more
    than it saved (tests/bench/bench_tfjs.py; the issue of the time to 97 %).
    """
    start = int(total_steps * (1 - COOLDOWN))
    if step < start:
        return base_lr
    return _cosine_down(base_lr, (step - start) / max(1, total_steps - start))


def cosine_lr(base_lr, step, total_steps, warmup=None):
    """Linear warm-up (by default a tenth of the steps, at most 100), then cosine decay from base_lr
    to 0 over the remaining steps: the built-in model's recipe was chosen with it."""
    if warmup is None:
        warmup = min(100, total_steps // 10)
    if step < warmup:
        return base_lr * (step + 1) / warmup
    return _cosine_down(base_lr, (step - warmup) / max(1, total_steps - warmup))


def _cosine_down(base_lr, progress):
    """The rate `progress` (0 to 1, and on) of the way down a half cosine from base_lr to 0."""
    return base_lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


SCHEDULES = {"steady": steady_lr, "cosine": cosine_lr}  # learning rate at (base_lr, step, total_steps)
