"""The command line runs BLAS on one thread unless the environment says otherwise."""
import os

import pytest

from digitlab import __main__ as entry
from digitlab import cli


@pytest.mark.parametrize("preset, expected", [(None, "1"), ("2", "2")])
def test_run_sets_one_blas_thread_by_default(monkeypatch, preset, expected):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", preset or "")  # recorded, so teardown restores it
    if preset is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.setattr(cli, "main", lambda: os.environ["OPENBLAS_NUM_THREADS"])
    assert entry.run() == expected
