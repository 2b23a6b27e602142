"""`gesture data`: what a data folder holds, and what is wrong with it.

Every frame is decoded (on all cores, with a progress bar), because a truncated or corrupt
JPEG only shows itself when decoded. `--quarantine` moves such files to DATA/.quarantine/
and their manifest lines with them; nothing is ever deleted.
"""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from ..util import atomic_write
from . import review
from .dataset import (
    MANIFEST,
    NONE_ALIASES,
    QUARANTINE,
    manifest_lines,
    manifest_mismatch,
    parallel_map,
    scan,
)
from .images import read_image

MIN_FRAMES = 50  # fewer than this per class and training has little to learn from
MAX_IMBALANCE = 3.0


def _decode_size(path: Path) -> str | None:
    img = read_image(path)
    return None if img is None else f"{img.shape[1]}x{img.shape[0]}"


def check(root: Path | str, quarantine: bool = False, progress: bool = True) -> dict:
    root = Path(root)
    ds = scan(root)
    sizes = parallel_map(_decode_size, [s.path for s in ds.samples], "checking frames", progress)
    corrupt = [s for s, size in zip(ds.samples, sizes) if size is None]

    labels = {}
    for label in ds.labels:
        rows = [(s, size) for s, size in zip(ds.samples, sizes) if s.label == label and size]
        labels[label] = {
            "frames": len(rows),
            "sessions": {sess: sum(1 for s, _ in rows if s.session == sess) for sess in ds.sessions[label]},
            "sizes": dict(Counter(size for _, size in rows).most_common()),
        }

    warnings = _class_warnings(ds, labels)
    if corrupt:
        warnings.append(f"{len(corrupt)} unreadable or corrupt file(s)" + ("" if quarantine else
                        "; `gesture data --quarantine` moves them aside"))
    missing, unlisted = manifest_mismatch(root, ds.samples)
    if missing:
        warnings.append(f"{len(missing)} manifest line(s) name files that are gone")
    if unlisted:
        warnings.append(f"{len(unlisted)} file(s) in session folders are not in {MANIFEST}")
    stray = _stray(root)
    if stray:
        warnings.append(f"{len(stray)} half-written frame(s) (.NAME.tmp) left by a capture that was killed: never "
                        "in the manifest" + ("" if quarantine else "; `gesture data --quarantine` moves them aside"))
    unreadable = sum(row is None for _, row in manifest_lines(root / MANIFEST))
    if unreadable:
        warnings.append(f"{unreadable} line(s) of {MANIFEST} are not entries (damaged, or not written by gesture); "
                        "they are skipped and kept as they are")

    moved = _quarantine(root, [s.path for s in corrupt] + stray) if quarantine and (corrupt or stray) else []
    return {
        "root": str(root),
        "frames": sum(v["frames"] for v in labels.values()),
        "labels": labels,
        "none_label": ds.none_label,
        "none_note": ds.none_note,
        "corrupt": [s.path.relative_to(root).as_posix() for s in corrupt],
        "quarantined": moved,
        "stray": [p.relative_to(root).as_posix() for p in stray],
        "manifest": {"missing_files": missing, "unlisted_files": unlisted},
        "warnings": warnings,
        "review": review.sessions(root),
    }


def _class_warnings(ds, labels: dict) -> list[str]:
    """What is wrong with the classes: no no-gesture class, too few frames, one session, imbalance."""
    warnings = []
    if ds.none_label is None:
        warnings.append(f"no no-gesture class: record one with `gesture capture none` "
                        f"(any of {', '.join(NONE_ALIASES)} counts); without it every hand shape in view fires a key")
    elif "also found" in ds.none_note:
        warnings.append(ds.none_note)
    for label, info in labels.items():
        if info["frames"] < MIN_FRAMES:
            warnings.append(f"{label!r} has only {info['frames']} readable frames; record at least {MIN_FRAMES}")
        if len(info["sessions"]) == 1:
            warnings.append(f"{label!r} has one session: its validation figure comes from within that one recording "
                            "and cannot predict another day; record a second session (`--session NAME`) with other "
                            "light, distance, position in the frame and clothes")
    counts = {k: v["frames"] for k, v in labels.items() if v["frames"]}
    if counts and max(counts.values()) > MAX_IMBALANCE * min(counts.values()):
        big, small = max(counts, key=counts.get), min(counts, key=counts.get)
        warnings.append(f"classes are imbalanced: {big!r} has {counts[big]} frames, {small!r} only {counts[small]} "
                        f"(over {MAX_IMBALANCE:g}x)")
    return warnings


def _stray(root: Path) -> list[Path]:
    """The capture writer's temporaries (.NAME.tmp) in session folders: frames a kill cut short."""
    return sorted(p for p in root.glob("*/*/.*.tmp") if p.is_file() and not p.parts[-3].startswith("."))


def _quarantine(root: Path, paths: list[Path]) -> list[str]:
    """Move files to DATA/.quarantine/<same relative path>, and their manifest lines alongside."""
    qdir = root / QUARANTINE
    moved = []
    for p in paths:
        rel = p.relative_to(root)
        dest = qdir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        n = 1
        while dest.exists():  # never overwrite an earlier quarantined file
            dest = (qdir / rel).with_name(f"{rel.stem}.{n}{rel.suffix}")
            n += 1
        shutil.move(str(p), str(dest))
        moved.append(rel.as_posix())
    manifest = root / MANIFEST
    if manifest.exists():
        gone, keep, moved_lines = set(moved), [], []
        for raw, row in manifest_lines(manifest):  # a line that is not an entry is kept exactly as it was
            (moved_lines if row is not None and row.get("path") in gone else keep).append(raw)
        with open(qdir / MANIFEST, "ab") as f:
            f.writelines(moved_lines)
        atomic_write(manifest, lambda tmp: tmp.write_bytes(b"".join(keep)))
    return moved


def format_report(rep: dict) -> str:
    lines = [f"{rep['root']}: {len(rep['labels'])} labels, {rep['frames']} readable frames", ""]
    lines.append(f"  {'label':<16} {'session':<20} {'frames':>6}  sizes")
    for label, info in rep["labels"].items():
        for i, (sess, n) in enumerate(info["sessions"].items()):
            sizes = (", ".join(f"{k} ({v})" if len(info["sizes"]) > 1 else k for k, v in info["sizes"].items())
                     if i == 0 else "")
            lines.append(f"  {label if i == 0 else '':<16} {sess:<20} {n:>6}  {sizes}")
        if len(info["sessions"]) > 1:
            lines.append(f"  {'':<16} {'all sessions':<20} {info['frames']:>6}")
    lines += ["", rep["none_note"]]
    if rep["corrupt"]:
        lines.append("unreadable or corrupt:" + ("" if not rep["quarantined"] else f" (moved to {QUARANTINE}/)"))
        lines += [f"  {p}" for p in rep["corrupt"]]
    if rep.get("review"):
        lines.append(f"to review (kept by gesture run --collect, not trained on) in {review.REVIEW}/{review.KIND}/:")
        lines += [f"  {sess:<36} {n:>6} frames" for sess, n in rep["review"].items()]
        lines.append("  look at them, then `gesture data --file SESSION LABEL` files a session under a label (or none)")
    if rep["warnings"]:
        lines.append("warnings:")
        lines += [f"  - {w}" for w in rep["warnings"]]
    else:
        lines.append("no warnings")
    return "\n".join(lines)
