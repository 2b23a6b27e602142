import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"


def gesture(*args, timeout=300, **kw) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "gesture", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=kw.pop("cwd", ROOT), **kw,
    )


@pytest.fixture
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"real datasets not found at {DATASETS} (the ../shared folder beside the project)")
    return DATASETS
