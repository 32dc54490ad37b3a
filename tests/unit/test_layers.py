"""Backward passes of every layer against central differences, in float64."""
import numpy as np
import pytest

from digitlab.nn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU
from digitlab.nn.losses import softmax_cross_entropy
from digitlab.nn.model import Sequential
from digitlab.nn import ops
from digitlab.nn.ops import col2im_matmul, im2col

EPS = 1e-6
TOLERANCE = 1e-6


def numerical_grad(f, x):
    """d f() / d x by central differences, perturbing `x` in place."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + EPS
        up = f()
        x[idx] = old - EPS
        down = f()
        x[idx] = old
        grad[idx] = (up - down) / (2 * EPS)
    return grad


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def built(layer, input_shape, seed=0):
    """`layer` built for one sample of `input_shape`, with float64 parameters."""
    layer.build(input_shape, np.random.default_rng(seed))
    layer.params = {k: v.astype(np.float64) for k, v in layer.params.items()}
    return layer


def assert_gradients_match(layer, x, seed=1):
    """Check d/dx and d/dparams of sum(layer(x) * g) for a random upstream gradient g."""
    g = np.random.default_rng(seed).standard_normal(layer.forward(x, training=True).shape)
    dx = layer.backward(g)
    assert dx.shape == x.shape

    def objective():
        return np.sum(layer.forward(x, training=True) * g)

    checks = [("x", dx, x)] + [(name, layer.grads[name], p) for name, p in layer.params.items()]
    for name, analytic, wrt in checks:
        numeric = numerical_grad(objective, wrt)
        assert np.abs(numeric).max() > 0, name
        assert rel_error(analytic, numeric) < TOLERANCE, name


def random_input(shape, seed=2):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("init", ["he", "glorot"])
def test_dense_gradients(init):
    layer = built(Dense(4, init=init), (5,))
    assert set(layer.params) == {"w", "b"}
    assert_gradients_match(layer, random_input((3, 5)))


@pytest.mark.parametrize("kernel, stride, pad, h, w", [
    (3, 1, 0, 7, 5),
    (3, 1, 1, 5, 7),
    (3, 2, 0, 7, 7),
    (3, 2, 1, 6, 5),
    (2, 2, 1, 5, 5),
])
def test_conv2d_gradients(kernel, stride, pad, h, w):
    layer = built(Conv2D(4, kernel, stride=stride, pad=pad), (h, w, 3))
    layer.params["b"] += random_input(4, seed=5)
    assert_gradients_match(layer, random_input((2, h, w, 3)))


def test_maxpool_gradients_and_dropped_edge():
    rng = np.random.default_rng(0)
    x = rng.permutation(2 * 5 * 7 * 3).reshape(2, 5, 7, 3).astype(np.float64)
    layer = MaxPool2D(2)
    assert_gradients_match(layer, x)
    dx = layer.backward(np.ones((2, 2, 3, 3)))
    assert np.all(dx[:, 4, :, :] == 0) and np.all(dx[:, :, 6, :] == 0)
    assert dx.sum() == 2 * 2 * 3 * 3  # one unit per window, none lost


def test_maxpool_routes_a_tied_window_to_its_first_maximum():
    x = np.zeros((1, 4, 4, 2))  # a blank background: every window is a tie
    x[0, 2, 3, 1] = x[0, 3, 2, 1] = 5.0  # two equal maxima in one window
    layer = MaxPool2D(2)
    layer.forward(x, training=True)
    dx = layer.backward(np.arange(1.0, 9.0).reshape(1, 2, 2, 2))
    expected = np.zeros_like(x)
    expected[0, ::2, ::2, :] = np.arange(1.0, 9.0).reshape(2, 2, 2)
    expected[0, 2, 2, 1], expected[0, 2, 3, 1] = 0.0, 8.0  # (2, 3) comes first in reading order
    np.testing.assert_array_equal(dx, expected)


def test_maxpool_forward_is_window_max():
    x = np.random.default_rng(0).standard_normal((2, 7, 6, 3))
    out = MaxPool2D(3).forward(x)
    expected = np.array([[[x[n, 3 * i:3 * i + 3, 3 * j:3 * j + 3, :].max(axis=(0, 1))
                           for j in range(2)] for i in range(2)] for n in range(2)])
    np.testing.assert_array_equal(out, expected)


def test_relu_gradients():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 1.0, (3, 4, 5)) * rng.choice([-1.0, 1.0], (3, 4, 5))
    assert_gradients_match(ReLU(), x)


def test_flatten_gradients_and_shapes():
    x = random_input((2, 3, 4, 5))
    layer = Flatten()
    assert layer.build((3, 4, 5), None) == (60,)
    assert layer.forward(x).shape == (2, 60)
    assert_gradients_match(layer, x)


def test_dropout_backward_uses_the_forward_mask():
    x = random_input((4, 50))
    g = random_input((4, 50), seed=3)
    layer = Dropout(0.4, seed=7)
    out = layer.forward(x, training=True)
    mask = out / x
    assert set(np.round(np.unique(mask), 12)) == {0.0, round(1 / 0.6, 12)}
    np.testing.assert_allclose(layer.backward(g), g * mask, rtol=1e-12)

    def objective():  # a fresh layer with the same seed draws the same mask
        return np.sum(Dropout(0.4, seed=7).forward(x, training=True) * g)

    assert rel_error(layer.backward(g), numerical_grad(objective, x)) < TOLERANCE


def test_dropout_is_identity_at_inference():
    x = random_input((4, 50))
    g = random_input((4, 50), seed=3)
    layer = Dropout(0.5)
    layer.forward(x, training=True)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(g), g)


def test_dropout_preserves_the_mean():
    out = Dropout(0.3, seed=1).forward(np.ones((200, 500)), training=True)
    assert abs(out.mean() - 1.0) < 0.01
    assert abs((out == 0).mean() - 0.3) < 0.01


def test_sequential_gradients_through_softmax_cross_entropy():
    spec = [
        {"type": "conv2d", "filters": 4, "kernel": 3, "stride": 1, "pad": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 6},
        {"type": "relu"},
        {"type": "dense", "units": 3, "init": "glorot"},
    ]
    model = Sequential(spec, (7, 7, 2), seed=3)
    for layer in model.layers:
        layer.params = {k: v.astype(np.float64) for k, v in layer.params.items()}
        for name in layer.params:
            layer.params[name] += 0.1 * random_input(layer.params[name].shape, seed=4)
    x = random_input((3, 7, 7, 2))
    y = np.array([0, 2, 1])

    def objective():
        return softmax_cross_entropy(model.forward(x, training=True), y)[0]

    _, grad = softmax_cross_entropy(model.forward(x, training=True), y)
    dx = model.backward(grad)
    analytic = [dx] + [layer.grads[k] for layer in model.layers for k in sorted(layer.params)]
    wrt = [x] + [layer.params[k] for layer in model.layers for k in sorted(layer.params)]
    assert len(wrt) == 1 + 6
    for a, p in zip(analytic, wrt):
        assert rel_error(a, numerical_grad(objective, p)) < TOLERANCE


def test_sequential_backward_without_input_grad_gives_the_same_weight_grads():
    model = Sequential([{"type": "conv2d", "filters": 3, "kernel": 3, "stride": 1, "pad": 1},
                        {"type": "flatten"}, {"type": "dense", "units": 2}], (5, 5, 1), seed=0)
    x = random_input((2, 5, 5, 1)).astype(np.float32)
    g = random_input((2, 2), seed=3).astype(np.float32)
    model.forward(x, training=True)
    assert model.backward(g).shape == x.shape
    full = [dict(layer.grads) for layer in model.layers]
    assert model.backward(g, input_grad=False) is None
    for layer, grads in zip(model.layers, full):
        assert set(layer.grads) == set(grads)
        for name in grads:
            np.testing.assert_array_equal(layer.grads[name], grads[name])


@pytest.mark.parametrize("kernel, stride, pad, h, w", [
    (3, 1, 0, 5, 6), (3, 2, 1, 7, 5), (2, 2, 0, 5, 5), (5, 1, 2, 6, 6), (3, 3, 1, 8, 7),
])
def test_col2im_matmul_is_the_adjoint_of_im2col_matmul(kernel, stride, pad, h, w):
    x = random_input((2, h, w, 3))
    filters = random_input((kernel * kernel * 3, 4), seed=8)
    cols, out_hw = im2col(x, kernel, kernel, stride, pad)
    y = random_input((cols.shape[0], 4), seed=9)
    back = col2im_matmul(y, filters, x.shape, kernel, kernel, stride, pad, out_hw)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum((cols @ filters) * y), np.sum(x * back), rtol=1e-12)


@pytest.mark.parametrize("m, k, n", [(5, 9, 4), (40, 31, 3), (7, 32, 3), (3, 300, 6)])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_numpy_s_products_without_blas_use_einsum_for_a_long_inner_dimension(monkeypatch, m, k, n, dtype, rtol):
    monkeypatch.setattr(ops, "WITHOUT_BLAS", True)  # the loops chosen for Pyodide, run in CPython
    einsums, einsum = [], np.einsum
    monkeypatch.setattr(ops.np, "einsum", lambda *args: einsums.append(args[0]) or einsum(*args))
    a, b = random_input((m, k)).astype(dtype), random_input((k, n), seed=3).astype(dtype)
    for right, contiguous in ((b, True), (np.asfortranarray(b), False), (b[:, ::-1], False)):  # transposed, strided
        del einsums[:]
        want = a @ right
        # to the products' scale: an entry that sums to near 0 from large terms keeps their float32 error
        np.testing.assert_allclose(ops.numpy_matmul(a, right), want, rtol=rtol, atol=rtol * np.abs(want).max())
        assert len(einsums) == (k >= ops.LONG_INNER and contiguous)


def test_numpy_s_products_without_blas_leave_other_ranks_to_matmul(monkeypatch):
    monkeypatch.setattr(ops, "WITHOUT_BLAS", True)
    stacked, b = random_input((2, 3, 40)), random_input((40, 5), seed=3)
    np.testing.assert_allclose(ops.numpy_matmul(stacked, b), np.matmul(stacked, b), rtol=1e-12)  # broadcast
    with pytest.raises(ValueError):
        ops.numpy_matmul(random_input((3, 40)), random_input((41, 5)))


def naive_conv(x, w, b, kernel, stride, pad):
    """Direct NHWC convolution; `w` rows are ordered (kernel row, kernel column, channel)."""
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n, h, wd, c = x.shape
    taps = w.reshape(kernel, kernel, c, -1)
    oh, ow = (h - kernel) // stride + 1, (wd - kernel) // stride + 1
    out = np.zeros((n, oh, ow, taps.shape[-1]))
    for i in range(oh):
        for j in range(ow):
            for di in range(kernel):
                for dj in range(kernel):
                    out[:, i, j, :] += x[:, i * stride + di, j * stride + dj, :] @ taps[di, dj]
    return out + b


@pytest.mark.parametrize("kernel, stride, pad, h, w", [(3, 1, 0, 7, 5), (3, 2, 1, 7, 6), (5, 1, 2, 6, 6)])
def test_conv2d_forward_matches_naive_convolution(kernel, stride, pad, h, w):
    layer = built(Conv2D(4, kernel, stride=stride, pad=pad), (h, w, 3))
    layer.params["b"] += random_input(4, seed=5)
    x = random_input((2, h, w, 3))
    out = layer.forward(x)
    assert out.shape[1:] == Conv2D(4, kernel, stride, pad).build((h, w, 3), np.random.default_rng(0))
    expected = naive_conv(x, layer.params["w"], layer.params["b"], kernel, stride, pad)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("layer, input_shape", [
    (Dense(7), (12,)),
    (Conv2D(5, 3, stride=2, pad=1), (9, 8, 3)),
    (MaxPool2D(2), (6, 6, 2)),
    (Flatten(), (3, 4, 2)),
])
def test_count_params_matches_what_build_allocates(layer, input_shape):
    predicted = layer.count_params(input_shape)
    layer.build(input_shape, np.random.default_rng(0))
    assert predicted == sum(p.size for p in layer.params.values())


def test_dropout_draws_its_masks_from_the_model_s_seed():
    spec = [{"type": "flatten"}, {"type": "dropout", "rate": 0.5}]
    x = np.ones((4, 3, 3, 1), np.float32)
    masks = [Sequential(spec, (3, 3, 1), seed=seed).forward(x, training=True) for seed in (1, 1, 2)]
    np.testing.assert_array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[0], masks[2])


def test_two_dropouts_in_one_model_draw_different_masks():
    """Drawing the same mask, two dropouts of 0.5 kept a quarter of the units at 4 times their value
    (a mean of 2), not a quarter at 4 and the rest dropped at random (a mean of 1)."""
    spec = [{"type": "flatten"}, {"type": "dropout", "rate": 0.5}, {"type": "dropout", "rate": 0.5}]
    model = Sequential(spec, (20, 50, 1), seed=3)
    assert abs(model.forward(np.ones((20, 20, 50, 1), np.float32), training=True).mean() - 1.0) < 0.05
    model = Sequential(spec, (20, 50, 1), seed=3)  # the first keeps the model's seed: models trained so far are unchanged
    np.testing.assert_array_equal(model.layers[1].forward(np.ones((20, 1000), np.float32), training=True),
                                  Dropout(0.5, seed=3).forward(np.ones((20, 1000), np.float32), training=True))

