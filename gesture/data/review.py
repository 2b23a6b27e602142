"""Frames waiting for review: what `gesture run --collect` kept, filed under a label by the user.

They sit in DATA/.review/hesitant/SESSION/ with their own manifest (DATA/.review/manifest.jsonl),
outside the training data (folders starting with "." are not data). `gesture data` lists
them; `gesture data --file SESSION LABEL` moves a session under DATA/LABEL/ and its
manifest lines into DATA/manifest.jsonl with the new path and label.

Order, so that nothing is lost and the two manifests always agree with the disk: the folder
is renamed (one step), the lines are appended to the data's manifest, and only then taken
out of the review manifest (written whole to a temporary file and renamed).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import GestureError
from ..util import atomic_write
from .dataset import (
    MANIFEST,
    NONE_ALIASES,
    REVIEW,
    manifest_lines,
    scan,
    validate_label,
)
from .images import list_images

KIND = "hesitant"  # the one kind of review session today: Collector's


def sessions(root: Path) -> dict[str, int]:
    """Review session name -> frames."""
    base = Path(root) / REVIEW / KIND
    if not base.is_dir():
        return {}
    return {d.name: len(list_images(d)) for d in sorted(base.iterdir()) if d.is_dir()}


def file_session(root: Path, session: str, label: str) -> Path:
    """Move a review session under DATA/LABEL/; returns its new folder."""
    root = Path(root)
    waiting = sessions(root)
    if session not in waiting:
        have = ", ".join(waiting) or "none"
        raise GestureError(f"no review session {session!r} in {root / REVIEW / KIND} (there: {have})")
    label = validate_label(label)
    known = scan(root).labels if any(p.is_dir() and not p.name.startswith(".") for p in root.iterdir()) else []
    if label not in known and label not in NONE_ALIASES:
        raise GestureError(f"{label!r} is not a label of {root} ({', '.join(known) or 'none yet'}); file the frames "
                           "under one of them, or under none")
    src, dest = root / REVIEW / KIND / session, root / label / session
    if dest.exists():
        raise GestureError(f"{dest} already exists; rename the review session's folder first")
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.rename(src, dest)
    review_manifest = root / REVIEW / MANIFEST
    moved, keep = [], []
    prefix = f"{KIND}/{session}/"
    for raw, row in manifest_lines(review_manifest):  # a line that is not an entry is kept as it was
        if row is not None and row.get("path", "").startswith(prefix):
            row.update(path=f"{label}/{session}/{row['path'][len(prefix):]}", label=label)
            moved.append(json.dumps(row) + "\n")
        else:
            keep.append(raw)
    with open(root / MANIFEST, "a", encoding="utf-8") as f:
        f.writelines(moved)
    atomic_write(review_manifest, lambda tmp: tmp.write_bytes(b"".join(keep)))
    return dest
