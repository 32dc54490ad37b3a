"""The engine must run on Pyodide 0.17.1's Python 3.8: vermin checks the syntax and stdlib floor."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAIN_PYTHON = [os.path.join(ROOT, "py", "digitlab"), os.path.join(ROOT, "py", "ui", "view.py")]


def vermin(*paths):
    script = os.path.join(os.path.dirname(sys.executable), "vermin")
    if not os.path.exists(script):
        pytest.fail("vermin is not installed: pip install -e '.[test]'")
    return subprocess.run([script, "--target=3.8-", "--violations", "--no-tips", "--eval-annotations"] + list(paths),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)


def test_engine_code_needs_nothing_newer_than_python_3_8():
    result = vermin(*PLAIN_PYTHON)
    assert result.returncode == 0, result.stdout


def test_the_check_catches_newer_syntax(tmp_path):
    newer = tmp_path / "newer.py"
    newer.write_text("def f(x: list[int]) -> int | None:\n    return x[0] if (n := len(x)) else None\n")
    result = vermin(str(newer))
    assert result.returncode != 0 and "3.9" in result.stdout
