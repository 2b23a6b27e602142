"""The data folder: labels, sessions and frames on disk, and the manifest that records them.

Two layouts are read, and may be mixed:

    DATA/LABEL/SESSION/000001.jpg   what `gesture capture` writes (with DATA/manifest.jsonl)
    DATA/LABEL/000001.jpg           flat, as public datasets come: one implicit session

Frames within a session are ordered by the number in their file name, which is their
position in time. Folders starting with "." (the quarantine, caches) are not data.
"""
from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..config import cores
from ..errors import GestureError
from ..paths import cache_dir
from ..preprocess import PreprocessConfig, prepare
from ..util import atomic_write, progress_bar
from .images import frame_number, list_images, read_image

MANIFEST = "manifest.jsonl"
QUARANTINE = ".quarantine"
CORRECTION_PREFIX = "fix-"  # sessions written by corrections in `gesture run`; relearning weighs them up
REVIEW = ".review"  # DATA/.review/hesitant/SESSION: --collect's frames, out of training until filed
# Folder names that mean "no gesture", in the order one is picked if several exist.
NONE_ALIASES = ("none", "nothing", "no_gesture", "background")
FLAT_SESSION = "(flat)"  # the implicit session of a label folder that holds images directly
MAX_LABEL_LEN = 64  # in bytes, as UTF-8
RESERVED = {"manifest.jsonl", "readme.md"}  # the data folder's own files
# Names Windows refuses for a file or folder, with or without an extension.
WINDOWS_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
FRAMES_VERSION = 2  # bump when decoding or prepare() changes, so old cached frames are not reused


@dataclass(frozen=True)
class Sample:
    path: Path
    label: str
    session: str
    index: int  # position in time within the session: the file's number, else its rank


@dataclass
class Dataset:
    root: Path
    samples: list[Sample]
    labels: list[str]  # sorted
    none_label: str | None  # the folder picked as the no-gesture class
    none_note: str = ""  # which alias was picked and why, for the user
    sessions: dict[str, list[str]] = field(default_factory=dict)  # label -> session names


def validate_label(label: str) -> str:
    """A label becomes a folder name: refuse anything that could escape DATA or hide."""
    problem = None
    if not label or not label.strip():
        problem = "is empty"
    elif "/" in label or "\\" in label or os.sep in label:
        problem = "contains a path separator"
    elif ".." in label:
        problem = "contains '..'"
    elif label.startswith("."):
        problem = "starts with '.'"
    elif len(label.encode("utf-8", "surrogatepass")) > MAX_LABEL_LEN:
        # Bytes, not characters: a file system's limit is in bytes (255 for a name on most).
        problem = f"is longer than {MAX_LABEL_LEN} bytes"
    elif label != label.strip() or any(ord(c) < 32 for c in label):
        problem = "has leading/trailing spaces or control characters"
    elif label.lower() in RESERVED or label.lower().split(".")[0] in WINDOWS_NAMES:
        problem = "is a name the data folder or the file system keeps for itself"
    elif any(c in label for c in '<>:"|?*'):
        problem = "contains a character some file systems refuse (< > : \" | ? *)"
    if problem:
        raise GestureError(f"label {label!r} {problem}; use a short name like palm, fist or none")
    return label


def pick_none_label(labels: list[str], override: str | None = None) -> tuple[str | None, str]:
    """Which label is the no-gesture class, and a sentence saying so."""
    if override:
        if override not in labels:
            raise GestureError(f"--none-label {override!r} is not one of the labels: {', '.join(labels)}")
        return override, f"no-gesture class: {override!r} (from --none-label)"
    found = [a for a in NONE_ALIASES if a in labels]
    if not found:
        return None, f"no no-gesture class: none of {', '.join(NONE_ALIASES)} is a label"
    note = f"no-gesture class: {found[0]!r}"
    if len(found) > 1:
        note += (f" (also found {', '.join(map(repr, found[1:]))}, treated as ordinary labels; "
                 f"merge them into {found[0]!r})")
    return found[0], note


def scan(root: Path | str, none_label: str | None = None) -> Dataset:
    """Every readable-looking image under root, by label and session, in time order."""
    root = Path(root)
    if not root.exists():
        raise GestureError(f"data folder {root} does not exist; "
                           f"record frames with `gesture capture LABEL --data {root}`")
    if not root.is_dir():
        raise GestureError(f"data folder {root} is not a folder")
    samples: list[Sample] = []
    sessions: dict[str, list[str]] = {}
    for label_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        label = label_dir.name
        groups = []
        flat = list_images(label_dir)
        if flat:
            groups.append((FLAT_SESSION, flat))
        for sdir in sorted(p for p in label_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            files = list_images(sdir)
            if files:
                groups.append((sdir.name, files))
        for session, files in groups:
            sessions.setdefault(label, []).append(session)
            for rank, f in enumerate(files):
                n = frame_number(f.name)
                samples.append(Sample(f, label, session, n if n is not None else rank))
    labels = sorted(sessions)
    picked, note = pick_none_label(labels, none_label)
    return Dataset(root, samples, labels, picked, note, sessions)


def manifest_row(raw: bytes) -> dict | None:
    """One manifest line as an entry, or None for anything else: a torn last line (power cut
    mid-write), bytes that are not UTF-8, JSON that is not an entry, a path that is not text."""
    try:
        row = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(row, dict) or not isinstance(row.get("path", ""), str):
        return None
    return row


def manifest_lines(path: Path) -> list[tuple[bytes, dict | None]]:
    """Every line of a manifest as it is on disk, with its entry (None: not one)."""
    if not path.exists():
        return []
    return [(raw, manifest_row(raw)) for raw in path.read_bytes().splitlines(keepends=True)]


def read_manifest(root: Path) -> list[dict]:
    """The manifest's entries; lines that are not one are skipped (`gesture data` counts them)."""
    return [row for _, row in manifest_lines(Path(root) / MANIFEST) if row is not None]


def manifest_mismatch(root: Path, samples: list[Sample]) -> tuple[list[str], list[str]]:
    """(manifest paths with no file, captured files with no manifest line), relative to root.

    Only files inside session folders are expected in the manifest; flat imports never were.
    """
    rows = read_manifest(root)
    if not rows and not (Path(root) / MANIFEST).exists():
        return [], []
    listed = {r.get("path") for r in rows}
    on_disk = {s.path.relative_to(root).as_posix() for s in samples if s.session != FLAT_SESSION}
    return sorted(p for p in listed if p and not (Path(root) / p).exists()), sorted(on_disk - listed)


def parallel_map(fn, items: list, desc: str, progress: bool) -> list:
    """fn over items on a thread pool of one thread per core (cv2 decodes outside the GIL), in
    order, with a progress bar.

    Ctrl-C cancels the frames not yet started instead of waiting for all of them.
    """
    pool = ThreadPoolExecutor(cores())
    try:
        return list(progress_bar(pool.map(fn, items), total=len(items), desc=desc, unit="frame",
                                 disable=not progress))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def fingerprint(samples: list[Sample]) -> str:
    """Changes whenever a frame is added, removed, relabelled or rewritten."""
    h = hashlib.sha1()
    for s in sorted(samples, key=lambda s: str(s.path)):
        st = s.path.stat()
        h.update(f"{s.path}|{s.label}|{s.session}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def sessions_of(samples: list[Sample]) -> list[list[int]]:
    """Sample indices grouped by (label, session), in order of first appearance: the unit the
    caches keep, so a new session (a correction, another day) leaves the others' caches valid."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, s in enumerate(samples):
        groups.setdefault((s.label, s.session), []).append(i)
    return list(groups.values())


def session_caches(samples: list[Sample], name: str, *key) -> tuple[list[list[int]], list[Path]]:
    """The sessions of `samples` (sessions_of) and a cache file for each, named by its files and `key`."""
    groups = sessions_of(samples)
    paths = [cache_dir() / "{}-{}.npz".format(name, hashlib.sha1(json.dumps(
        [fingerprint([samples[i] for i in group]), *key]).encode()).hexdigest()[:20]) for group in groups]
    return groups, paths


def load_frames(samples: list[Sample], pcfg: PreprocessConfig, margin: int = 0, *, cache: bool = True,
                progress: bool = True) -> tuple[np.ndarray, list[int]]:
    """Decode every sample once into uint8 (N, size+2*margin, size+2*margin, 3) in the model's colour order.

    Returns the frames of the readable samples and the indices of the unreadable ones,
    which are skipped. With `cache`, each session's result is kept under ~/.cache/gesture
    keyed by its files (paths, sizes, mtimes) and the preprocessing, so an unchanged
    session is not decoded twice.
    """
    side = pcfg.size + 2 * margin
    out = np.empty((len(samples), side, side, 3), np.uint8)
    ok = np.zeros(len(samples), bool)
    todo: list[int] = []
    # The pixels depend on this code and on OpenCV's resizing too, not only on the files.
    groups, paths = session_caches(samples, "frames", pcfg.to_dict(), margin, FRAMES_VERSION, cv2.__version__)
    for group, path in zip(groups, paths):
        try:
            if not cache or not path.exists():
                raise OSError
            with np.load(path) as z:
                frames, good = z["frames"], z["ok"]
            if len(good) != len(group) or len(frames) != len(group):
                raise ValueError
            out[group], ok[group] = frames, good
        except (OSError, ValueError, KeyError):  # none yet, or damaged: decoded again
            todo += group

    def one(s: Sample):
        img = read_image(s.path)
        return None if img is None else prepare(img, pcfg, margin)

    for i, img in zip(todo, parallel_map(one, [samples[i] for i in todo], "decoding frames", progress and bool(todo))):
        if img is not None:
            out[i], ok[i] = img, True
    if cache and todo:
        redo = set(todo)
        for group, path in zip(groups, paths):
            if group[0] in redo:
                save_npz(path, frames=out[group], ok=ok[group])
    bad = np.flatnonzero(~ok).tolist()
    return (np.delete(out, bad, axis=0) if bad else out), bad


def _savez(path: Path, arrays: dict) -> None:
    with open(path, "wb") as f:  # a file, not a name: np.savez would add ".npz" to the temporary's
        np.savez(f, **arrays)


def save_npz(path: Path, **arrays) -> None:
    """Write a cache file whole or not at all; no cache is fine."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: _savez(tmp, arrays))
    except OSError:
        pass
