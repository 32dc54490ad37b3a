"""Softmax cross-entropy, the optimisers and the learning-rate schedule, against their formulas."""
import math

import numpy as np
import pytest

from digitlab.nn.layers import Dense
from digitlab.nn.losses import NO_LABEL, softmax, softmax_cross_entropy
from digitlab.nn.optim import SGD, Adam, cosine_lr, steady_lr


def test_softmax_cross_entropy_value_by_hand():
    logits = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    labels = np.array([2, 0])
    # Row 1: -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2); row 2: uniform, so log 3.
    expected = (math.log(1 + math.exp(-1) + math.exp(-2)) + math.log(3)) / 2
    loss, _ = softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_no_label_is_scored_against_every_class_alike():
    logits = np.array([[1.0, 2.0, 3.0]])
    # -(1/3) sum_k log p_k = log(e + e^2 + e^3) - 2
    expected = math.log(math.exp(1) + math.exp(2) + math.exp(3)) - 2
    loss, grad = softmax_cross_entropy(logits, np.array([NO_LABEL]))
    assert loss == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(grad[0], softmax(logits)[0] - 1 / 3, rtol=1e-12)
    flat, _ = softmax_cross_entropy(np.zeros((1, 3)), np.array([NO_LABEL]))
    assert flat == pytest.approx(math.log(3)) and flat < loss  # least when unsure


@pytest.mark.parametrize("labels", [[0, 4, 2, 2], [0, NO_LABEL, 2, NO_LABEL]])
def test_softmax_cross_entropy_gradient_is_numerical_derivative(labels):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 5)) * 3
    labels = np.array(labels)
    _, grad = softmax_cross_entropy(logits, labels)
    numeric = np.zeros_like(logits)
    eps = 1e-6
    for idx in np.ndindex(*logits.shape):
        step = np.zeros_like(logits)
        step[idx] = eps
        up, _ = softmax_cross_entropy(logits + step, labels)
        down, _ = softmax_cross_entropy(logits - step, labels)
        numeric[idx] = (up - down) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_softmax_cross_entropy_keeps_float32():
    logits = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    assert softmax_cross_entropy(logits, np.array([0, 1, 3]))[1].dtype == np.float32


def test_softmax_rows_sum_to_one():
    p = softmax(np.random.default_rng(0).standard_normal((6, 10)) * 5)
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_softmax_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1e4, 0.0, 1e4]])
    p = softmax(logits)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p[0], softmax(np.array([[0.0, 1.0, 2.0]]))[0], rtol=1e-12)
    np.testing.assert_allclose(p[1], [0.0, 0.0, 1.0], atol=1e-300)
    loss, grad = softmax_cross_entropy(logits, np.array([0, 0]))
    assert loss == pytest.approx((math.log(1 + math.exp(1) + math.exp(2)) + 2e4) / 2)
    assert np.all(np.isfinite(grad))


def dense_layers(*shapes):
    """Dense layers with float64 params and the given (fan_in, units) shapes."""
    layers = []
    for seed, (fan_in, units) in enumerate(shapes):
        layer = Dense(units)
        layer.build((fan_in,), np.random.default_rng(seed))
        layer.params = {"w": layer.params["w"].astype(np.float64), "b": np.linspace(-1, 1, units)}
        layers.append(layer)
    return layers


def set_grads(layers, seed):
    """Give every layer random gradients; return copies of them, keyed like optimiser state."""
    rng = np.random.default_rng(seed)
    for layer in layers:
        layer.grads = {k: rng.standard_normal(v.shape) for k, v in layer.params.items()}
    return {(i, k): g.copy() for i, layer in enumerate(layers) for k, g in layer.grads.items()}


def snapshot(layers):
    return {(i, k): p.copy() for i, layer in enumerate(layers) for k, p in layer.params.items()}


def test_sgd_momentum_two_steps():
    layers = dense_layers((3, 2), (2, 4))
    lr, mu, wd = 0.1, 0.9, 0.01
    opt = SGD(lr=0.5, momentum=mu, weight_decay=wd)  # lr passed to step() overrides this
    w0 = snapshot(layers)
    g1 = set_grads(layers, 1)
    opt.step(layers, lr)
    g2 = set_grads(layers, 2)
    opt.step(layers, lr)
    for key, p0 in w0.items():
        decay = wd if key[1] == "w" else 0.0
        v1 = -lr * (g1[key] + decay * p0)
        p1 = p0 + v1
        v2 = mu * v1 - lr * (g2[key] + decay * p1)
        np.testing.assert_allclose(layers[key[0]].params[key[1]], p1 + v2, rtol=1e-12)


def test_adam_two_steps():
    layers = dense_layers((3, 2), (2, 4))
    lr, b1, b2, eps, wd = 0.01, 0.8, 0.95, 1e-8, 0.1
    opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps, weight_decay=wd)
    w0 = snapshot(layers)
    g1 = set_grads(layers, 1)
    opt.step(layers)
    w1 = snapshot(layers)
    g2 = set_grads(layers, 2)
    opt.step(layers)
    for key, p0 in w0.items():
        decay = wd if key[1] == "w" else 0.0
        d1 = g1[key] + decay * p0
        # Step 1: the bias-corrected moments are d1 and d1**2, so each weight moves by lr.
        np.testing.assert_allclose(w1[key], p0 - lr * np.sign(d1), rtol=1e-6)
        d2 = g2[key] + decay * w1[key]
        m = (1 - b1) * (b1 * d1 + d2)
        v = (1 - b2) * (b2 * d1 ** 2 + d2 ** 2)
        m_hat, v_hat = m / (1 - b1 ** 2), v / (1 - b2 ** 2)
        expected = w1[key] - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(layers[key[0]].params[key[1]], expected, rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1, momentum=0.0, weight_decay=0.5),
                                  lambda: Adam(lr=1e-3, weight_decay=0.5)])
def test_weight_decay_shrinks_weights_but_not_biases(make):
    layers = dense_layers((3, 2))
    before = snapshot(layers)
    layers[0].grads = {k: np.zeros_like(v) for k, v in layers[0].params.items()}
    make().step(layers)
    w, b = layers[0].params["w"], layers[0].params["b"]
    np.testing.assert_array_equal(b, before[(0, "b")])
    assert np.all(np.abs(w) < np.abs(before[(0, "w")]))


def test_sgd_weight_decay_is_l2_gradient():
    layers = dense_layers((3, 2))
    w0 = layers[0].params["w"].copy()
    layers[0].grads = {k: np.zeros_like(v) for k, v in layers[0].params.items()}
    SGD(lr=0.1, momentum=0.0, weight_decay=0.5).step(layers)
    np.testing.assert_allclose(layers[0].params["w"], w0 * (1 - 0.1 * 0.5), rtol=1e-12)


def test_steady_lr_holds_the_rate_then_cools_down_over_the_last_fifth():
    assert [steady_lr(0.1, step, 100) for step in (0, 40, 79)] == [0.1, 0.1, 0.1]  # a run's length never slows its start
    assert steady_lr(0.1, 90, 100) == pytest.approx(0.05)
    assert steady_lr(0.1, 100, 100) == pytest.approx(0.0, abs=1e-15)


def test_cosine_lr_warms_up_over_a_tenth_of_the_steps_by_default():
    assert cosine_lr(0.1, 4, 100) == pytest.approx(0.05) and cosine_lr(0.1, 9, 100) == pytest.approx(0.1)


def test_cosine_lr_warmup_is_linear():
    assert cosine_lr(0.1, 0, 110, warmup=10) == pytest.approx(0.01)
    assert cosine_lr(0.1, 4, 110, warmup=10) == pytest.approx(0.05)
    assert cosine_lr(0.1, 9, 110, warmup=10) == pytest.approx(0.1)


def test_cosine_lr_decays_from_base_to_zero():
    assert cosine_lr(0.1, 10, 110, warmup=10) == pytest.approx(0.1)
    assert cosine_lr(0.1, 60, 110, warmup=10) == pytest.approx(0.05)
    assert cosine_lr(0.1, 35, 110, warmup=10) == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))
    assert cosine_lr(0.1, 110, 110, warmup=10) == pytest.approx(0.0, abs=1e-15)
    assert cosine_lr(0.1, 200, 110, warmup=10) == pytest.approx(0.0, abs=1e-15)


def test_cosine_lr_without_warmup_starts_at_base():
    assert cosine_lr(0.2, 0, 50, warmup=0) == pytest.approx(0.2)
    assert cosine_lr(0.2, 25, 50, warmup=0) == pytest.approx(0.1)
