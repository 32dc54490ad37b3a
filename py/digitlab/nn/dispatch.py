"""Which kernel does a matrix product: NumPy, or a faster one (WebGL in the browser) where it pays.

A kernel is a function `product(a, b, out, trans_a, trans_b) -> bool` that writes
op(a) @ op(b) into `out` (all float32, C-contiguous; op(x) is x.T when its flag is
set) and returns False once its results can no longer be trusted (a lost GPU
context). Installed with `ops.set_matmul`, a `MatmulDispatch` decides per product:

- `verify`: before first use, the kernel must match NumPy on random odd shapes, in
  all four transposition variants, within a relative error of 1e-4;
- `calibrate`: the crossover is the smallest square size, doubling from 16, at which
  the kernel beat NumPy on this device; products no larger than the size before it,
  where NumPy won, never leave NumPy;
- larger products are timed per shape on first use (after one untimed kernel run,
  which allocates the shape's textures, twice on each side in turn, the best of each
  compared: one run is at the mercy of a busy moment) and the faster side keeps that
  shape: a tall, thin product may lose on the GPU although a square one of the same
  size wins;
- a kernel that fails or loses its context is dropped for the session, and NumPy
  carries on with the product it was doing.

`always=True` skips the races: once verified, the kernel does every product (to measure
it, and to test what happens to it, on a device where NumPy would win the races).
"""
import time

import numpy as np

from .ops import numpy_matmul

MAX_ERROR = 1e-4
VERIFY_SHAPES = ((1, 1, 1), (7, 13, 5), (67, 131, 45), (24, 36, 20))  # odd, and whole texels
CALIBRATION_SIZES = (16, 32, 64, 128, 256, 512)
TRIALS = 2  # timed runs of a new shape on each side, after the kernel's untimed first


def is_transposed(x):
    """Whether x is the transpose of a C-contiguous array (what backward passes multiply by)."""
    return x.flags.f_contiguous and not x.flags.c_contiguous


def operand(x):
    """x as (C-contiguous array, transposed?): a transposed view goes as its base, no copy."""
    if is_transposed(x):
        return x.T, True
    return np.ascontiguousarray(x), False


def relative_error(got, want):
    """max |got - want| / max |want|, in float64."""
    want = np.asarray(want, dtype=np.float64)
    scale = max(float(np.abs(want).max()), 1e-30)
    return float(np.abs(np.asarray(got, dtype=np.float64) - want).max()) / scale


def best_ms(run, repeats):
    """Fastest of `repeats` timed runs, after one untimed warm-up, in milliseconds."""
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


def shape_name(m, k, n):
    return "%d×%d·%d×%d" % (m, k, k, n)


class MatmulDispatch:
    def __init__(self, product, name, reason=None, always=False):
        self.product = product  # None: NumPy only, for `reason`
        self.name = name
        self.always = always
        self.reason = reason if product is None else None
        self.crossover = None
        self.calibration = []  # [{"size", "numpy_ms", "kernel_ms"}]
        self.max_error = None
        self.counts = {"kernel": 0, "numpy": 0}
        self.trials = {}  # (m, k, n, trans_a, trans_b) -> {"kernel_ms": [...], "numpy_ms": [...]}
        self.choice = {}  # same key -> True when the kernel keeps that shape

    @property
    def active(self):
        return self.product is not None

    @property
    def in_use(self):
        """Whether products go to the kernel: verified, and calibrated or always wanted."""
        return self.active and (self.always or self.crossover is not None)

    def start(self):
        """Verify, then calibrate (unless `always`); the kernel is used only if they go well."""
        if self.active:
            self.verify()
        if self.active and not self.always:
            self.calibrate()
        return self.status()

    def check(self, shapes, seed=0):
        """[{"shape", "error"}]: the kernel against float64 NumPy, each shape in all four transpositions."""
        rng = np.random.RandomState(seed)
        rows = []
        for m, k, n in shapes:
            for trans_a in (False, True):
                for trans_b in (False, True):
                    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
                    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
                    a, b = (a.T if trans_a else a), (b.T if trans_b else b)
                    got = self._kernel_product(a, b)
                    if got is None:
                        return rows
                    want = np.dot(a.astype(np.float64), b.astype(np.float64))
                    rows.append({"shape": shape_name(m, k, n) + _variant(trans_a, trans_b),
                                 "error": relative_error(got, want)})
        return rows

    def verify(self):
        """Drop a kernel whose results on random odd shapes stray from NumPy's by more than MAX_ERROR."""
        rows = self.check(VERIFY_SHAPES)
        if not self.active:
            return
        worst = max(rows, key=lambda row: row["error"])
        self.max_error = worst["error"]
        if worst["error"] > MAX_ERROR:
            self.drop("%s results differed from NumPy's (relative error %.1e at %s)."
                      % (self.name, worst["error"], worst["shape"]))

    def race(self, size, repeats=3, seed=1):
        """{"size", "numpy_ms", "kernel_ms"}: best times of one size×size product, transfers included."""
        rng = np.random.RandomState(seed)
        a = rng.standard_normal((size, size)).astype(np.float32)
        b = rng.standard_normal((size, size)).astype(np.float32)
        return {"size": size, "numpy_ms": best_ms(lambda: numpy_matmul(a, b), repeats),
                "kernel_ms": best_ms(lambda: self._kernel_product(a, b), repeats)}

    def calibrate(self, sizes=CALIBRATION_SIZES):
        """The crossover: the first square size at which the kernel beat NumPy here."""
        for size in sizes:
            row = self.race(size)
            if not self.active:
                return None
            self.calibration.append(row)
            if row["kernel_ms"] < row["numpy_ms"]:
                self.crossover = size
                return size
        self.drop("NumPy was faster than %s at every size up to %d." % (self.name, sizes[-1]))
        return None

    def __call__(self, a, b):
        """a @ b for 2-D float32 arrays, on the side that is faster for this shape."""
        if self.always and self.active and _kernel_can_take(a, b):
            return self._kernel(a, b)
        key = self._shape_key(a, b)
        if key is None or self.choice.get(key) is False:
            return self._numpy(a, b)
        if key in self.choice:
            return self._kernel(a, b)
        return self._trial(key, a, b)

    def _shape_key(self, a, b):
        """(m, k, n, trans_a, trans_b) of a product worth trying on the kernel, else None: one larger
        than the last square the kernel lost at (half the crossover). Between that and the crossover
        the winner depends on the shape, and the shape's own race decides: in the page a 3136x576x64
        product (a convolution of the built-in network, 0.86 of 512^3) is faster on the kernel."""
        if not self.active or self.crossover is None or not _kernel_can_take(a, b):
            return None
        (m, k), n = a.shape, b.shape[1]
        if m * k * n <= (self.crossover // 2) ** 3:
            return None
        return (m, k, n, is_transposed(a), is_transposed(b))

    def _trial(self, key, a, b):
        """Time a new shape: an untimed kernel run, then TRIALS runs on each side in turn, then choose."""
        if key not in self.trials:  # its textures are allocated now: not a time to judge it by
            self.trials[key] = {"kernel_ms": [], "numpy_ms": []}
            return self._kernel(a, b)
        trial = self.trials[key]
        on_kernel = len(trial["kernel_ms"]) == len(trial["numpy_ms"])
        side, run = ("kernel_ms", self._kernel) if on_kernel else ("numpy_ms", self._numpy)
        start = time.perf_counter()
        result = run(a, b)
        trial[side].append((time.perf_counter() - start) * 1000.0)
        if len(trial["numpy_ms"]) == TRIALS:
            self.choice[key] = min(trial["kernel_ms"]) < min(trial["numpy_ms"])
        return result

    def _numpy(self, a, b):
        self.counts["numpy"] += 1
        return numpy_matmul(a, b)

    def _kernel(self, a, b):
        out = self._kernel_product(a, b)
        if out is None:  # dropped just now: NumPy takes over this very product
            return self._numpy(a, b)
        self.counts["kernel"] += 1
        return out

    def _kernel_product(self, a, b):
        """op(a) @ op(b) from the kernel, or None once it is dropped."""
        if not self.active:
            return None
        (a, trans_a), (b, trans_b) = operand(a), operand(b)
        out = np.empty((a.shape[1] if trans_a else a.shape[0], b.shape[0] if trans_b else b.shape[1]),
                       dtype=np.float32)
        try:
            ok = self.product(a, b, out, trans_a, trans_b)
        except Exception as err:  # a broken kernel must not stop training
            self.drop("%s failed (%s); NumPy does every product from now on." % (self.name, err))
            return None
        if not ok:
            self.drop("The %s context was lost; NumPy does every product from now on." % self.name)
            return None
        return out

    def drop(self, reason):
        self.product, self.reason = None, reason

    def status(self):
        shapes = [{"shape": shape_name(*key[:3]) + _variant(*key[3:]), "on_kernel": on_kernel,
                   "kernel_ms": min(self.trials[key]["kernel_ms"]), "numpy_ms": min(self.trials[key]["numpy_ms"])}
                  for key, on_kernel in self.choice.items()]
        return {"kernel": self.name, "active": self.in_use, "always": self.always, "reason": self.reason,
                "max_error": self.max_error, "crossover": self.crossover, "calibration": self.calibration,
                "products": dict(self.counts), "shapes": shapes}


def _kernel_can_take(a, b):
    """2-D float32 operands whose shapes agree (NumPy says what is wrong with the others)."""
    return (a.ndim == 2 and b.ndim == 2 and a.dtype == np.float32 and b.dtype == np.float32
            and a.shape[1] == b.shape[0])


def _variant(trans_a, trans_b):
    return {(False, False): "", (True, False): " (Aᵀ)", (False, True): " (Bᵀ)", (True, True): " (Aᵀ, Bᵀ)"}[
        (bool(trans_a), bool(trans_b))]
