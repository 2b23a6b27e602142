"""Where things are: the shipped weights, the cache, the shared datasets and the peer's venv."""
from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PROJECT = PACKAGE.parent  # the source checkout the package was installed from (editable)
WEIGHTS = PACKAGE / "weights"  # the hand prior's ONNX files and the idle hands, with their sources
PEER_VENV = PROJECT / ".venv-peer"  # the benchmark's MediaPipe peer (scripts/peer-setup)
STARTER = WEIGHTS / "starter.pt"  # the starter gestures, no recording needed (tools/build_starter.py)


def checkpoint_path(value: str | Path) -> Path:
    """A --checkpoint value: a file, or 'starter' for the shipped starter model."""
    return STARTER if str(value) == "starter" else Path(value)


def home() -> Path:
    """The user's gesture folder, the same from any working folder: recordings, the trained model
    and the key map. XDG's data folder on Linux (~/.local/share/gesture), Application Support on
    macOS, LOCALAPPDATA on Windows. Anything given as a path is used where it is."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "gesture"


def default_data() -> Path:
    return home() / "data"


def default_checkpoint() -> Path:
    return home() / "gesture.pt"


def default_keys() -> Path:
    """The key map `gesture run` uses when none is given, where it exists (`--write-keys` writes it)."""
    return home() / "keys.toml"


def cache_dir() -> Path:
    """Decoded frames and landmarks, keyed by version constants (~/.cache/gesture)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gesture"


def default_datasets() -> Path:
    """../shared/datasets beside the project."""
    return PROJECT.parent / "shared" / "datasets"
