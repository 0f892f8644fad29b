"""The deployed package builds for its platform and fits Lambda's size limit.

Functions run python3.12 on arm64 (Amazon Linux 2023): `make build-DependenciesLayer` (what
`sam build` runs) must resolve every dependency as a manylinux_2_28-or-older aarch64 wheel
for CPython 3.12, and the unzipped layer plus a function's code must stay under 250 MB.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def tree_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def make(target: str, artifacts: Path) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", target, f"ARTIFACTS_DIR={artifacts}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.slow
def test_layer_and_function_build_for_arm64_python312_under_the_limit(tmp_path: Path) -> None:
    make("build-DependenciesLayer", tmp_path / "layer")
    make("build-ScoreFunction", tmp_path / "function")
    site = tmp_path / "layer" / "python"
    binaries = [p.name for p in site.rglob("*.so")]
    assert any("aarch64" in name for name in binaries), "no arm64 extension modules"
    assert not any("x86_64" in name for name in binaries), "an x86_64 binary in the layer"
    assert (site / "numpy").is_dir() and (site / "aws_lambda_powertools").is_dir()
    assert not (site / "botocore").exists(), "the runtime provides botocore"
    function = tmp_path / "function"
    assert (function / "functions" / "score" / "handler.py").is_file()
    assert not (function / "tests").exists() and not (function / "data").exists()
    total = tree_size(tmp_path / "layer") + tree_size(function)
    assert total < LAMBDA_UNZIPPED_LIMIT, f"{total / 2**20:.0f} MB unzipped"
