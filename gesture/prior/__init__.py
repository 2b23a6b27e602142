"""The hand prior: MediaPipe's palm detector and hand-landmark models, shipped in gesture/weights.

What a user's few hundred frames cannot teach (what a hand looks like in any room, light or
sleeve, and where its joints are) comes from models that learned it from very many hands.
`scripts/build-prior` rebuilds the files from the mediapipe wheel on PyPI; SOURCES.md
beside them gives their origin and Apache-2.0 license.

    identity   name and file hashes, stored in every checkpoint trained on the prior
    check      refuse a checkpoint whose landmarks came from another prior
    tracker    a HandTracker on the shipped files, after checking they are the right ones
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from ..errors import GestureError
from ..paths import WEIGHTS
from .hands import LANDMARK_MODEL, PALM_MODEL, HandTracker, Wake

NAME = "mediapipe-hands-lite"
SOURCE = "mediapipe==0.10.21 (PyPI), palm_detection_lite.tflite + hand_landmark_lite.tflite, Apache-2.0"
# What scripts/build-prior writes; any other bytes are a damaged or foreign file.
SHA256 = {
    PALM_MODEL: "93ed45b2382f7b6800c45173bac80c516f8375ff686293c024e492eea24e1b13",
    LANDMARK_MODEL: "40e686b923cabbf35b294ce6033e80a9df579dcafea55f634bb2f1517f49af4b",
}
REBUILD = "rebuild them with scripts/build-prior (or reinstall gesture)"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def identity(weights: Path | None = None) -> dict:
    """The prior's name and file hashes, after checking the files are the ones shipped."""
    return _identity(Path(weights) if weights is not None else WEIGHTS)


@lru_cache(maxsize=None)  # hashing 4 MB once per process, not once per checkpoint
def _identity(weights: Path) -> dict:
    files = {}
    for name, want in SHA256.items():
        path = Path(weights) / name
        if not path.is_file():
            raise GestureError(f"the hand prior file {path} is missing; {REBUILD}, or train with --from-scratch")
        got = _sha256(path)
        if got != want:
            raise GestureError(f"the hand prior file {path} is not the one shipped (sha256 {got[:12]}..., "
                               f"expected {want[:12]}...): damaged or foreign; {REBUILD}")
        files[name] = got
    return {"name": NAME, "source": SOURCE, "sha256": files}


def check(ck_prior: dict | None, where: str, weights: Path | None = None) -> None:
    """A head reads landmarks from one prior: refuse a checkpoint made with another."""
    if ck_prior is None:
        return
    mine = identity(weights)
    if ck_prior.get("name") != mine["name"] or ck_prior.get("sha256") != mine["sha256"]:
        raise GestureError(f"{where} was trained on hand prior {ck_prior.get('name')!r} with other weights than "
                           f"the {mine['name']!r} installed here; train it again with `gesture train`")


def tracker(static: bool, threads: int = 1, weights: Path | None = None, wake: bool = False) -> HandTracker:
    """A tracker on the shipped files; `wake`: in video, palm detection only when the picture changes."""
    identity(weights)
    return HandTracker(weights if weights is not None else WEIGHTS, static=static, threads=threads,
                       wake=Wake() if wake and not static else None)


def key(weights: Path | None = None) -> str:
    """Names the landmarks this prior gives, for caches: another prior means other landmarks."""
    ident = identity(weights)
    return ident["name"] + ":" + ":".join(ident["sha256"][k] for k in sorted(ident["sha256"]))
