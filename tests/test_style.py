"""The modules, tests and notebooks follow the house style: ruff's lint rules and its format
(configured in pyproject.toml), so that a change that breaks them fails here, not in review."""

import subprocess
import sys

import pytest

from tests.grading.assignments import ROOT


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff_passes_on_the_whole_repository(command):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
