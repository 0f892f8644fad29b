"""The Lambda dependencies resolve for the deployed platform and fit Lambda's size limit.

Deployed functions run python3.12 on arm64 (Amazon Linux 2023, glibc 2.34): every
dependency must have a manylinux_2_28 (or older) aarch64 wheel for CPython 3.12, and the
unzipped layer plus code must stay under Lambda's 250 MB limit.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python_dateutil")


@pytest.mark.slow
def test_layer_resolves_for_arm64_python312_and_fits_lambda(tmp_path: Path) -> None:
    platform_flags = []
    for tag in ("manylinux_2_28_aarch64", "manylinux2014_aarch64", "manylinux_2_17_aarch64"):
        platform_flags += ["--platform", tag]
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
         *platform_flags, "--implementation", "cp", "--python-version", "3.12",
         "--only-binary=:all:", "-r", str(ROOT / "functions" / "requirements.txt"),
         "-d", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"dependencies do not resolve for arm64/3.12:\n{result.stderr}"
    wheels = sorted(tmp_path.glob("*.whl"))
    assert any(w.name.startswith("numpy-") for w in wheels)
    unzipped = {
        wheel.name: sum(info.file_size for info in zipfile.ZipFile(wheel).infolist())
        for wheel in wheels
        if not wheel.name.lower().startswith(PROVIDED_BY_RUNTIME)
    }
    for name in unzipped:
        assert "x86_64" not in name and ("aarch64" in name or "none-any" in name), name
    code = sum(
        path.stat().st_size
        for package in ("optimizer", "functions")
        for path in (ROOT / package).rglob("*.py")
    )
    total = sum(unzipped.values()) + code
    assert total < LAMBDA_UNZIPPED_LIMIT, f"{total / 2**20:.0f} MB unzipped: {unzipped}"
