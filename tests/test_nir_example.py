"""The NIR example of docs/interop.md runs as written: snnTorch -> NIR -> golden model -> RTL on Icarus, bit-exact."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "interop.md"


def example() -> str:
    text = PAGE.read_text()
    m = re.search(r"<!-- nir-example:begin -->\s*```python\n(.*?)```\s*<!-- nir-example:end -->", text, re.S)
    assert m, "docs/interop.md has no NIR example between the nir-example markers"
    return m.group(1)


@pytest.mark.slow
@pytest.mark.sim
def test_the_nir_example_runs_as_written(tmp_path):
    (tmp_path / "example.py").write_text(example())
    env = os.environ | {"PYTHONPATH": str(PAGE.parent.parent)}
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "bit-exact on Icarus: True" in done.stdout
    accuracy = float(re.search(r"accuracy on 500 test digits: ([0-9.]+)", done.stdout).group(1))
    assert accuracy > 0.8
    assert (tmp_path / "my-classifier" / "network.nir").is_file()
