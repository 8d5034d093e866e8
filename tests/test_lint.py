"""The code passes ruff (ruff.toml), so `pytest` before landing sees what `make test` checks first."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).with_name("ruff")


def test_ruff_finds_nothing():
    assert RUFF.exists(), f"{RUFF} is missing: run `make install` (ruff is pinned in requirements-dev.txt)"
    result = subprocess.run([str(RUFF), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr + "\n(`.venv/bin/ruff check --fix .` fixes some)"
