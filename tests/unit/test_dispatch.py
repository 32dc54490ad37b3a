"""Matrix products routed between NumPy and a kernel (WebGL in the browser; NumPy stand-ins here)."""
import io
import time

import numpy as np
import pytest

from digitlab.data.store import ImageSet, save_sets
from digitlab.engine import Engine
from digitlab.errors import DigitlabError
from digitlab.nn import ops
from digitlab.nn import dispatch as dispatch_module
from digitlab.nn.dispatch import MAX_ERROR, TRIALS, VERIFY_SHAPES, MatmulDispatch, operand
from digitlab.nn.losses import softmax_cross_entropy
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import architecture

SLOW_SECONDS = 0.02  # a "slow" kernel's delay per call: far above any NumPy product timed here


@pytest.fixture(autouse=True)
def numpy_matmul_afterwards():
    """Every test leaves ops.matmul on NumPy, whatever it installed."""
    yield
    ops.set_matmul(None)


def numpy_kernel(a, b, out, trans_a, trans_b):
    out[...] = np.dot(a.T if trans_a else a, b.T if trans_b else b)
    return True


def slow_kernel(a, b, out, trans_a, trans_b):
    numpy_kernel(a, b, out, trans_a, trans_b)
    time.sleep(SLOW_SECONDS)
    return True


def idle_kernel(a, b, out, trans_a, trans_b):
    """Faster than NumPy at anything but tiny sizes, and wrong."""
    return True


def noisy_kernel(a, b, out, trans_a, trans_b):
    """Right to about 1e-3 relative: ten times too loose."""
    numpy_kernel(a, b, out, trans_a, trans_b)
    out *= 1 + 1e-3 * np.random.RandomState(0).standard_normal(out.shape).astype(np.float32)
    return True


def failing_kernel(a, b, out, trans_a, trans_b):
    raise RuntimeError("shader failed to compile")


def lost_after(n):
    """A kernel that is right for `n` calls, then scribbles on `out` and reports its context lost."""
    calls = []

    def product(a, b, out, trans_a, trans_b):
        calls.append((trans_a, trans_b))
        if len(calls) > n:
            out.fill(np.nan)
            return False
        return numpy_kernel(a, b, out, trans_a, trans_b)

    return product, calls


def cached_kernel():
    """A right kernel much faster than NumPy on a repeated product: it copies the result it worked out before."""
    cache = {}

    def product(a, b, out, trans_a, trans_b):
        key = (id(a), id(b), trans_a, trans_b)
        if key not in cache:
            cache[key] = np.dot(a.T if trans_a else a, b.T if trans_b else b)
        out[...] = cache[key]
        return True

    return product


def recording(kernel, calls):
    """`kernel`, appending (a, b, trans_a, trans_b) to `calls` on each call."""
    def product(a, b, out, trans_a, trans_b):
        calls.append((a, b, trans_a, trans_b))
        return kernel(a, b, out, trans_a, trans_b)

    return product


def ready(kernel, crossover):
    """A dispatch past its calibration, with the given crossover."""
    dispatch = MatmulDispatch(kernel, "Test")
    dispatch.crossover = crossover
    return dispatch


def rand(*shape, seed=0):
    return np.random.RandomState(seed).standard_normal(shape).astype(np.float32)


def same_memory(x, base):
    """x is `base` itself or a plain view of all of it: nothing was copied."""
    return x.ctypes.data == base.ctypes.data and x.shape == base.shape and x.strides == base.strides


def assert_product(got, a, b):
    assert got.shape == (a.shape[0], b.shape[1])
    np.testing.assert_allclose(got, np.dot(a, b), rtol=1e-5, atol=1e-6)


# operand

def test_a_contiguous_operand_passes_as_itself():
    x = rand(4, 6)
    got, transposed = operand(x)
    assert got is x and not transposed


def test_a_transposed_view_passes_as_its_base_without_a_copy():
    x = rand(4, 6)
    got, transposed = operand(x.T)
    assert transposed and got.shape == (4, 6) and got.flags.c_contiguous
    assert same_memory(got, x)


def test_a_strided_slice_is_copied_to_a_contiguous_array():
    x = rand(4, 6)
    sliced = x[:, ::2]
    got, transposed = operand(sliced)
    assert not transposed and got.flags.c_contiguous and not np.shares_memory(got, x)
    np.testing.assert_array_equal(got, sliced)


# what the kernel receives

@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (False, True), (True, False), (True, True)])
def test_the_kernel_gets_contiguous_bases_and_transposition_flags(trans_a, trans_b):
    m, k, n = 6, 5, 4
    base_a = rand(k, m) if trans_a else rand(m, k)
    base_b = rand(n, k, seed=1) if trans_b else rand(k, n, seed=1)
    a, b = (base_a.T if trans_a else base_a), (base_b.T if trans_b else base_b)
    calls = []
    result = ready(recording(numpy_kernel, calls), crossover=1)(a, b)
    assert len(calls) == 1
    got_a, got_b, got_trans_a, got_trans_b = calls[0]
    assert (got_trans_a, got_trans_b) == (trans_a, trans_b)
    assert same_memory(got_a, base_a) and same_memory(got_b, base_b)
    assert got_a.flags.c_contiguous and got_b.flags.c_contiguous
    assert_product(result, a, b)


def test_a_strided_operand_reaches_the_kernel_as_a_contiguous_copy():
    x, b = rand(6, 10), rand(5, 4, seed=1)
    a = x[:, ::2]
    calls = []
    result = ready(recording(numpy_kernel, calls), crossover=1)(a, b)
    got_a, _, trans_a, _ = calls[0]
    assert not trans_a and got_a.flags.c_contiguous and not np.shares_memory(got_a, x)
    assert_product(result, a, b)


# verify and check

def test_check_tries_all_four_transpositions_of_every_shape():
    calls = []
    dispatch = MatmulDispatch(recording(numpy_kernel, calls), "Test")
    rows = dispatch.check([(2, 3, 4), (5, 1, 7)])
    assert len(rows) == 8 and len(calls) == 8
    assert {(ta, tb) for _, _, ta, tb in calls[:4]} == {(False, False), (False, True), (True, False), (True, True)}
    assert [row["shape"].split(" ")[0] for row in rows] == ["2×3·3×4"] * 4 + ["5×1·1×7"] * 4
    assert len({row["shape"] for row in rows}) == 8
    assert all(0 <= row["error"] < 1e-6 for row in rows)


def test_a_correct_kernel_passes_verification():
    calls = []
    dispatch = MatmulDispatch(recording(numpy_kernel, calls), "Test")
    dispatch.verify()
    assert dispatch.active and dispatch.reason is None
    assert 0 <= dispatch.max_error < 1e-6
    assert len(calls) == 4 * len(VERIFY_SHAPES)


def test_a_kernel_off_by_a_relative_1e_3_is_dropped():
    dispatch = MatmulDispatch(noisy_kernel, "Test")
    dispatch.verify()
    assert not dispatch.active
    assert MAX_ERROR < dispatch.max_error < 1e-2
    assert "relative error %.1e" % dispatch.max_error in dispatch.reason


def test_a_kernel_losing_its_context_during_verification_is_dropped():
    kernel, calls = lost_after(3)
    dispatch = MatmulDispatch(kernel, "Test")
    dispatch.verify()
    assert not dispatch.active and "Test context was lost" in dispatch.reason
    assert dispatch.max_error is None and len(calls) == 4
    assert dispatch.check([(2, 2, 2)]) == []  # a dropped kernel checks nothing


# calibrate

def test_a_kernel_slower_than_numpy_at_every_size_is_dropped():
    dispatch = MatmulDispatch(slow_kernel, "Test")
    assert dispatch.calibrate(sizes=(16, 32)) is None
    assert dispatch.crossover is None and not dispatch.active
    assert dispatch.reason == "NumPy was faster than Test at every size up to 32."
    assert [row["size"] for row in dispatch.calibration] == [16, 32]
    assert all(row["kernel_ms"] >= SLOW_SECONDS * 1000 > row["numpy_ms"] for row in dispatch.calibration)


def test_a_kernel_faster_than_numpy_sets_the_crossover_at_the_first_size():
    dispatch = MatmulDispatch(idle_kernel, "Test")
    assert dispatch.calibrate(sizes=(128, 256)) == 128
    assert dispatch.crossover == 128 and dispatch.status()["active"]
    assert len(dispatch.calibration) == 1 and dispatch.calibration[0]["size"] == 128


def test_a_kernel_losing_its_context_during_calibration_is_dropped():
    kernel, _ = lost_after(0)
    dispatch = MatmulDispatch(kernel, "Test")
    assert dispatch.calibrate(sizes=(16, 32)) is None
    assert not dispatch.active and "context was lost" in dispatch.reason
    assert dispatch.crossover is None and dispatch.calibration == []


def test_a_dispatch_is_inactive_until_calibrated():
    dispatch = MatmulDispatch(numpy_kernel, "Test")
    a, b = rand(8, 8), rand(8, 8, seed=1)
    assert not dispatch.status()["active"]
    assert_product(dispatch(a, b), a, b)
    assert dispatch.counts == {"kernel": 0, "numpy": 1}


# always: no races

def test_an_always_kernel_is_verified_but_never_raced_and_takes_every_product():
    calls = []
    dispatch = MatmulDispatch(recording(slow_kernel, calls), "Test", always=True)
    status = dispatch.start()
    assert status["active"] and status["always"] and status["calibration"] == [] and status["crossover"] is None
    assert len(calls) == len(VERIFY_SHAPES) * 4
    del calls[:]
    for m, k, n in [(1, 1, 1), (3, 4, 5), (8, 8, 8), (8, 8, 8)]:  # however small, however slow
        a, b = rand(m, k), rand(k, n, seed=1)
        assert_product(dispatch(a, b), a, b)
    assert len(calls) == 4 and dispatch.counts == {"kernel": 4, "numpy": 0} and dispatch.trials == {}
    a, b = rand(8, 8).astype(np.float64), rand(8, 8, seed=1)
    np.testing.assert_array_equal(dispatch(a, b), ops.numpy_matmul(a, b))
    assert len(calls) == 4 and dispatch.counts == {"kernel": 4, "numpy": 1}


def test_an_always_kernel_that_fails_verification_or_loses_its_context_leaves_numpy_in_charge():
    dispatch = MatmulDispatch(noisy_kernel, "Test", always=True)
    assert not dispatch.start()["active"] and "differed from NumPy" in dispatch.reason
    kernel, calls = lost_after(len(VERIFY_SHAPES) * 4)
    dispatch = MatmulDispatch(kernel, "Test", always=True)
    assert dispatch.start()["active"]
    a, b = rand(8, 8), rand(8, 8, seed=1)
    assert_product(dispatch(a, b), a, b)  # lost during this one: NumPy redoes it
    assert not dispatch.status()["active"] and "context was lost" in dispatch.reason
    assert dispatch.counts == {"kernel": 0, "numpy": 1}


# routing

def test_products_up_to_the_cube_of_half_the_crossover_stay_in_numpy():
    calls = []
    dispatch = ready(recording(numpy_kernel, calls), crossover=8)  # the kernel lost at 4, won at 8
    for m, k, n in [(3, 4, 5), (1, 8, 7), (63, 1, 1), (4, 4, 4)]:  # 60, 56, 63, 64 <= 4 ** 3 multiply-adds
        a, b = rand(m, k), rand(k, n, seed=1)
        assert_product(dispatch(a, b), a, b)
    assert calls == [] and dispatch.counts == {"kernel": 0, "numpy": 4}
    a, b = rand(5, 4), rand(4, 4, seed=1)  # 80: between the sizes, its own race will decide
    assert_product(dispatch(a, b), a, b)
    assert len(calls) == 1 and dispatch.counts == {"kernel": 1, "numpy": 4}


def trial_runs():
    """How many products a new shape's trial takes: the kernel's untimed run, then TRIALS on each side."""
    return 1 + 2 * TRIALS


def test_a_new_shape_is_tried_on_the_kernel_untimed_then_on_each_side_in_turn(monkeypatch):
    sides = []
    monkeypatch.setattr(dispatch_module, "numpy_matmul", lambda a, b: sides.append("numpy") or np.matmul(a, b))
    dispatch = ready(recording(numpy_kernel, sides), crossover=4)
    a, b = rand(8, 8), rand(8, 8, seed=1)
    for _ in range(trial_runs()):
        assert (8, 8, 8, False, False) not in dispatch.choice
        assert_product(dispatch(a, b), a, b)
    assert ["numpy" if side == "numpy" else "kernel" for side in sides] == ["kernel"] + ["kernel", "numpy"] * TRIALS
    trial = dispatch.trials[(8, 8, 8, False, False)]
    assert len(trial["kernel_ms"]) == len(trial["numpy_ms"]) == TRIALS  # the first kernel run is not timed
    assert (8, 8, 8, False, False) in dispatch.choice


def test_a_slow_kernel_loses_its_shape_to_numpy_after_the_trial():
    calls = []
    dispatch = ready(recording(slow_kernel, calls), crossover=4)
    a, b = rand(8, 8), rand(8, 8, seed=1)
    key = (8, 8, 8, False, False)
    for _ in range(trial_runs()):
        assert_product(dispatch(a, b), a, b)
    assert dispatch.choice == {key: False} and dispatch.counts == {"kernel": 1 + TRIALS, "numpy": TRIALS}
    trial = dispatch.trials[key]
    assert min(trial["kernel_ms"]) >= SLOW_SECONDS * 1000 > min(trial["numpy_ms"])
    for _ in range(3):
        assert_product(dispatch(a, b), a, b)
    assert len(calls) == 1 + TRIALS and dispatch.counts == {"kernel": 1 + TRIALS, "numpy": TRIALS + 3}
    [shape] = dispatch.status()["shapes"]
    assert shape["shape"] == "8×8·8×8" and shape["on_kernel"] is False
    assert shape["kernel_ms"] > shape["numpy_ms"]


def test_a_fast_kernel_keeps_its_shape_after_the_trial():
    kernel = cached_kernel()
    calls = []
    dispatch = ready(recording(kernel, calls), crossover=16)
    a, b = rand(256, 256), rand(256, 256, seed=1)
    kernel(a, b, np.empty((256, 256), np.float32), False, False)  # fill the cache: every kernel call is a copy
    key = (256, 256, 256, False, False)
    for _ in range(trial_runs()):
        assert_product(dispatch(a, b), a, b)
    assert dispatch.choice == {key: True} and dispatch.counts == {"kernel": 1 + TRIALS, "numpy": TRIALS}
    for _ in range(3):
        assert_product(dispatch(a, b), a, b)
    assert len(calls) == 1 + TRIALS + 3 and dispatch.counts == {"kernel": 1 + TRIALS + 3, "numpy": TRIALS}
    [shape] = dispatch.status()["shapes"]
    assert shape["shape"] == "256×256·256×256" and shape["on_kernel"] is True
    assert shape["kernel_ms"] < shape["numpy_ms"]


@pytest.mark.parametrize("slow_side", ["numpy", "kernel"])
def test_one_slow_run_in_a_busy_moment_does_not_decide_the_shape(monkeypatch, slow_side):
    """The side that is faster but slowed once (a busy moment in its first timed run) keeps the shape."""
    runs = {"kernel": 0, "numpy": 0}

    def timed(side, fast):
        runs[side] += 1
        busy = side == slow_side and runs[side] == (2 if side == "kernel" else 1)  # its first timed run
        time.sleep(SLOW_SECONDS if busy else SLOW_SECONDS / 4 if not fast else 0)

    def kernel(a, b, out, trans_a, trans_b):
        timed("kernel", fast=slow_side == "kernel")
        return numpy_kernel(a, b, out, trans_a, trans_b)

    def numpy_side(a, b):
        timed("numpy", fast=slow_side == "numpy")
        return np.matmul(a, b)

    monkeypatch.setattr(dispatch_module, "numpy_matmul", numpy_side)
    dispatch = ready(kernel, crossover=4)
    a, b = rand(8, 8), rand(8, 8, seed=1)
    for _ in range(trial_runs()):
        assert_product(dispatch(a, b), a, b)
    assert dispatch.choice == {(8, 8, 8, False, False): slow_side == "kernel"}


def test_each_transposition_of_a_shape_gets_its_own_trial():
    calls = []
    dispatch = ready(recording(slow_kernel, calls), crossover=4)
    a, b = rand(8, 8), rand(8, 8, seed=1)
    for x, y in [(a, b), (a, b.T), (a.T, b)]:
        assert_product(dispatch(x, y), x, y)
    assert len(calls) == 3 and dispatch.counts == {"kernel": 3, "numpy": 0}
    assert set(dispatch.trials) == {(8, 8, 8, False, False), (8, 8, 8, False, True), (8, 8, 8, True, False)}


@pytest.mark.parametrize("a, b", [
    (rand(8, 8).astype(np.float64), rand(8, 8, seed=1).astype(np.float64)),
    (rand(8, 8).astype(np.float64), rand(8, 8, seed=1)),
    (rand(8, 8), rand(8, 8, seed=1).astype(np.float64)),
    (rand(2, 8, 8), rand(8, 8, seed=1)),
    (rand(8, 8), rand(8, seed=1)),
], ids=["float64", "float64-a", "float64-b", "3-D", "1-D"])
@pytest.mark.parametrize("always", [False, True], ids=["raced", "always"])
def test_float64_and_non_matrix_operands_always_go_to_numpy(a, b, always):
    calls = []
    dispatch = ready(recording(numpy_kernel, calls), crossover=1)
    dispatch.always = always
    np.testing.assert_array_equal(dispatch(a, b), ops.numpy_matmul(a, b))
    assert calls == [] and dispatch.counts == {"kernel": 0, "numpy": 1} and dispatch.trials == {}


# a kernel that fails in use

def test_a_context_lost_mid_way_hands_every_product_to_numpy():
    kernel, calls = lost_after(1)
    dispatch = ready(kernel, crossover=1)
    a, b = rand(8, 8), rand(8, 8, seed=1)
    assert_product(dispatch(a, b), a, b)
    assert dispatch.counts == {"kernel": 1, "numpy": 0}
    assert_product(dispatch(a, b), a, b)  # lost during this one: NumPy redoes it
    assert not dispatch.active and "context was lost" in dispatch.reason
    assert dispatch.counts == {"kernel": 1, "numpy": 1} and len(calls) == 2
    c = rand(8, 16, seed=2)
    assert_product(dispatch(a, b), a, b)
    assert_product(dispatch(a, c), a, c)
    assert dispatch.counts == {"kernel": 1, "numpy": 3} and len(calls) == 2
    assert not dispatch.status()["active"]


def test_a_kernel_that_raises_is_dropped_with_its_error():
    dispatch = ready(failing_kernel, crossover=1)
    a, b = rand(8, 8), rand(8, 8, seed=1)
    assert_product(dispatch(a, b), a, b)
    assert not dispatch.active and "shader failed to compile" in dispatch.reason
    assert dispatch.counts == {"kernel": 0, "numpy": 1}


# through ops.matmul

def test_set_matmul_routes_ops_matmul_and_returns_the_previous_one():
    dispatch = ready(numpy_kernel, crossover=1)
    assert ops.set_matmul(dispatch) is ops.numpy_matmul
    a, b = rand(8, 8), rand(8, 8, seed=1)
    assert_product(ops.matmul(a, b), a, b)
    assert dispatch.counts == {"kernel": 1, "numpy": 0}
    assert ops.set_matmul(None) is dispatch
    assert_product(ops.matmul(a, b), a, b)
    assert dispatch.counts == {"kernel": 1, "numpy": 0}


def training_pass(name, images, labels):
    """Logits, loss, input gradient and parameter gradients of one forward/backward pass of a fresh model."""
    model = Sequential(architecture(name, 10), (28, 28, 1), seed=3)
    logits = model.forward(images, training=True)
    loss, grad = softmax_cross_entropy(logits, labels)
    input_grad = model.backward(grad)
    grads = [(i, k, v) for i, layer in enumerate(model.layers) for k, v in sorted(layer.grads.items())]
    return logits, loss, input_grad, grads


@pytest.mark.parametrize("name", ["mlp", "codelab"])
def test_a_model_computes_the_same_through_the_kernel(name):
    rng = np.random.RandomState(0)
    images = rng.uniform(0, 1, (3, 28, 28, 1)).astype(np.float32)
    labels = rng.randint(0, 10, 3)
    want = training_pass(name, images, labels)
    dispatch = MatmulDispatch(numpy_kernel, "Test")
    dispatch.verify()
    dispatch.crossover = 1
    ops.set_matmul(dispatch)
    try:
        got = training_pass(name, images, labels)
    finally:
        ops.set_matmul(None)
    assert dispatch.active and dispatch.counts["kernel"] > 0
    # the backward pass uses transposed operands: they went to the kernel too
    assert {key[3:] for key in dispatch.trials} >= {(False, False), (True, False), (False, True)}
    for got_array, want_array in [(got[0], want[0]), (got[2], want[2])]:
        np.testing.assert_allclose(got_array, want_array, rtol=1e-4, atol=1e-6)
    assert got[1] == pytest.approx(want[1], rel=1e-5)
    assert [(i, k) for i, k, _ in got[3]] == [(i, k) for i, k, _ in want[3]] and got[3]
    for (_, _, got_grad), (_, _, want_grad) in zip(got[3], want[3]):
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-4, atol=1e-6)


# the engine

DEVICE = {"webgl2": True, "renderer": "test"}


class FixedCrossover(MatmulDispatch):
    """Verified for real, calibrated by fiat: whether a NumPy kernel or NumPy wins a race is luck."""

    def calibrate(self, sizes=None):
        self.crossover = 16
        return self.crossover


class QuickCalibration(MatmulDispatch):
    """Calibrated for real, on two small sizes only."""

    def calibrate(self, sizes=(16, 32)):
        return super().calibrate(sizes)


def tiny_store():
    rng = np.random.RandomState(0)
    sets = {name: ImageSet(rng.randint(0, 256, (count, 28, 28)).astype(np.uint8), np.arange(count) % 3,
                           ["a", "b", "c"]) for name, count in [("train", 12), ("test", 6)]}
    out = io.BytesIO()
    save_sets(out, **sets)
    return out.getvalue()


def test_the_engine_reports_numpy_only_before_a_kernel_is_offered():
    engine = Engine()
    status = engine.info()["matmul"]
    assert not status["active"] and "No GPU kernel" in status["reason"]
    assert status["crossover"] is None and status["products"] == {"kernel": 0, "numpy": 0}
    assert engine.handle("kernel_check", {"shapes": [[2, 3, 4]]}) == {"rows": [], "active": False}


def test_use_kernel_verifies_installs_and_reports_the_kernel_with_the_device():
    engine = Engine()
    engine.use_kernel(FixedCrossover(numpy_kernel, "WebGL"), dict(DEVICE))
    status = engine.handle("kernel_status", {})
    assert status["webgl2"] is True and status["renderer"] == "test"
    assert status["kernel"] == "WebGL" and status["active"] and status["reason"] is None
    assert status["crossover"] == 16 and 0 <= status["max_error"] < 1e-6
    assert engine.info()["matmul"] == status
    a, b = rand(32, 32), rand(32, 32, seed=1)
    assert_product(ops.matmul(a, b), a, b)
    assert engine.handle("kernel_status", {})["products"] == {"kernel": 1, "numpy": 0}


def test_kernel_check_gives_four_rows_per_shape():
    engine = Engine()
    engine.use_kernel(FixedCrossover(numpy_kernel, "WebGL"), dict(DEVICE))
    reply = engine.handle("kernel_check", {"shapes": [[2, 3, 4], [9, 1, 5]]})
    assert reply["active"] and len(reply["rows"]) == 8
    assert all(row["error"] < MAX_ERROR for row in reply["rows"])


@pytest.mark.parametrize("shapes", [[[0, 1, 1]], [[1, 2]], [[1, 2, 3, 4]], [[2, 2, 2], [-1, 2, 2]],
                                    [[1, 5000, 1000]], [[3000, 1, 3000]]])  # k×n, m×n too big
def test_kernel_check_refuses_bad_shapes(shapes):
    engine = Engine()
    engine.use_kernel(FixedCrossover(numpy_kernel, "WebGL"), dict(DEVICE))
    with pytest.raises(DigitlabError, match=r"Each shape is \[m, k, n\]"):
        engine.handle("kernel_check", {"shapes": shapes})


def test_kernel_check_takes_shapes_past_a_tile():
    engine = Engine()
    engine.use_kernel(FixedCrossover(numpy_kernel, "WebGL"), dict(DEVICE))
    reply = engine.handle("kernel_check", {"shapes": [[4100, 3, 5], [9, 4100, 6]]})
    # float32 sums of 4,100 products stray from float64 by ~1e-6, more or less by the CPU's BLAS;
    # a product tiled wrong strays by ~1
    assert len(reply["rows"]) == 8 and all(row["error"] < MAX_ERROR for row in reply["rows"])


@pytest.mark.parametrize("shapes", [5000, [5000], [["a", 1, 1]]])
def test_kernel_check_refuses_shapes_that_are_not_lists_of_numbers(shapes):
    with pytest.raises(DigitlabError):
        Engine().handle("kernel_check", {"shapes": shapes})


def test_kernel_race_refuses_without_a_kernel():
    with pytest.raises(DigitlabError, match="No GPU kernel is in use: No GPU kernel was offered"):
        Engine().handle("kernel_race", {"size": 8, "repeats": 1})


@pytest.mark.parametrize("payload", [{"repeats": 1}, {"size": 0, "repeats": 1}, {"size": 4097, "repeats": 1},
                                     {"size": "big", "repeats": 1}, {"size": 8, "repeats": 0},
                                     {"size": 8, "repeats": 21}, {"size": 8, "repeats": None}])
def test_kernel_race_validates_size_and_repeats(payload):
    engine = Engine()
    engine.use_kernel(FixedCrossover(numpy_kernel, "WebGL"), dict(DEVICE))
    with pytest.raises(DigitlabError, match="'(size|repeats)' must be"):
        engine.handle("kernel_race", payload)


def test_kernel_race_times_the_kernel_after_a_warm_up():
    engine = Engine()
    calls = []
    engine.use_kernel(FixedCrossover(recording(numpy_kernel, calls), "WebGL"), dict(DEVICE))
    before = len(calls)
    race = engine.handle("kernel_race", {"size": 24, "repeats": 3})
    assert race["size"] == 24 and race["numpy_ms"] > 0 and race["kernel_ms"] > 0
    assert len(calls) - before == 1 + 3
    assert all(a.shape == (24, 24) and b.shape == (24, 24) for a, b, _, _ in calls[before:])


def test_use_kernel_keeps_numpy_when_the_kernel_loses_every_race():
    engine = Engine()
    calls = []
    engine.use_kernel(QuickCalibration(recording(slow_kernel, calls), "WebGL"), dict(DEVICE))
    status = engine.handle("kernel_status", {})
    assert not status["active"] and status["reason"] == "NumPy was faster than WebGL at every size up to 32."
    assert [row["size"] for row in status["calibration"]] == [16, 32] and status["renderer"] == "test"
    before = len(calls)
    a, b = rand(64, 64), rand(64, 64, seed=1)
    assert_product(ops.matmul(a, b), a, b)
    assert len(calls) == before and engine.matmul.counts == {"kernel": 0, "numpy": 0}  # ops.matmul is NumPy's


def test_use_kernel_drops_a_wrong_kernel_before_calibrating_it():
    engine = Engine()
    engine.use_kernel(QuickCalibration(noisy_kernel, "WebGL"), dict(DEVICE))
    status = engine.handle("kernel_status", {})
    assert not status["active"] and "relative error" in status["reason"]
    assert status["calibration"] == [] and status["crossover"] is None
    with pytest.raises(DigitlabError, match="No GPU kernel is in use: WebGL results differed"):
        engine.handle("kernel_race", {"size": 8, "repeats": 1})


def test_train_step_replies_carry_the_matmul_status():
    engine = Engine()
    engine.use_kernel(FixedCrossover(numpy_kernel, "WebGL"), dict(DEVICE))
    engine.handle("load_data", {}, tiny_store())
    engine.handle("train_start", {"architecture": "mlp", "epochs": 1, "batch_size": 8})
    reply = engine.handle("train_step", {"seconds": 0})
    assert reply["matmul"] == engine.matmul.status()
    assert reply["matmul"]["active"] and reply["matmul"]["products"]["kernel"] > 0
    assert "renderer" not in reply["matmul"]


def test_a_shape_mismatch_raises_without_dropping_the_kernel():
    dispatch = ready(numpy_kernel, crossover=1)
    with pytest.raises(ValueError):
        dispatch(rand(3, 4), rand(5, 6))
    assert dispatch.active
