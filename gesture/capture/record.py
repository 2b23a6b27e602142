"""`gesture capture LABEL`: record labelled frames from any source into DATA/LABEL/SESSION/.

One loop: read a frame, keep it if the --fps limiter allows and we are recording, hand it
to the background writer, draw the preview (or advance the tqdm bar). Nothing existing is
ever overwritten, and whatever stops the loop (the count, q, Ctrl-C, a lost camera, a full
disk) the frames written so far stay and the manifest lists exactly those.
"""
from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..data.dataset import MANIFEST, NONE_ALIASES, validate_label
from ..data.images import frame_number, list_images
from ..data.writer import FrameWriter
from ..errors import GestureError, SourceLost
from ..paths import default_data
from ..preprocess import PreprocessConfig
from ..util import progress_bar
from . import preview
from .sources import open_source

LIVE_FPS = 15.0  # frames kept per second from a camera: 300 frames span 20 s of movement


@dataclass
class CaptureConfig:
    label: str
    count: int = 300
    source: str = "0"
    data: Path = field(default_factory=default_data)
    session: str | None = None
    fps: float | None = None  # None: LIVE_FPS from a camera, every frame from a recording
    countdown: float = 3.0
    preview: bool = True
    mirror: bool = True
    crop: float = PreprocessConfig.crop  # the box the preview draws: what the model will see


@dataclass
class CaptureResult:
    written: list[str]
    session_dir: Path
    reason: str  # why recording stopped
    interrupted: bool = False


def default_session() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def _check_none_alias(data: Path, label: str) -> None:
    """Two different no-gesture folders would split that class in two."""
    if label not in NONE_ALIASES or not data.is_dir():
        return
    other = [a for a in NONE_ALIASES if a != label and (data / a).is_dir()]
    if other:
        raise GestureError(f"{data} already has the no-gesture class {other[0]!r}; record into it "
                           f"(gesture capture {other[0]}) rather than a second one named {label!r}")


def _prepare_session(cfg: CaptureConfig) -> tuple[Path, int]:
    """Create DATA/LABEL/SESSION (or continue it) and prove it is writable."""
    session_dir = Path(cfg.data) / cfg.label / cfg.session
    try:
        session_dir.mkdir(parents=True, exist_ok=True)
        probe = session_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise GestureError(f"cannot write to {session_dir}: {e.strerror or e}; "
                           "choose a writable --data folder") from None
    numbers = [frame_number(p.name) or 0 for p in list_images(session_dir)]
    return session_dir, max(numbers, default=0) + 1


class _StopOnSigint:
    """Ctrl-C, a kill (SIGTERM) or a closed terminal (SIGHUP) sets a flag instead of raising,
    so none can land halfway through a write: the frames on disk and the manifest agree.

    A second one raises as usual, for a loop that is stuck.
    """

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __init__(self):
        self.stop = threading.Event()
        self._old: dict = {}

    def _handle(self, *_):
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for s, old in self._old.items():
            signal.signal(s, old)


def draw_preview(frame: np.ndarray, cfg: CaptureConfig, kept: int, *, recording: bool,
                 countdown: float = 0.0, paused: bool = False) -> np.ndarray:
    """The live frame (mirrored like a selfie view), the model's crop box, and the recording state."""
    h, w = frame.shape[:2]
    img = preview.framed(frame, cfg.crop, cfg.mirror, preview.GREEN if recording else preview.YELLOW)
    preview.text(img, f"{cfg.label}  {kept}/{cfg.count}", (10, 28), 0.8)
    preview.bar(img, 10, 40, min(300, w - 20), 12, kept / cfg.count)
    if countdown > 0:
        s = f"{int(np.ceil(countdown))}"
        (tw, th), _ = cv2.getTextSize(s, preview.FONT, 4, 6)
        cv2.putText(img, s, ((w - tw) // 2, (h + th) // 2), preview.FONT, 4, preview.YELLOW, 6, cv2.LINE_AA)
    elif paused:
        preview.text(img, "PAUSED - space to resume", (10, h - 14), 0.7, preview.YELLOW)
    elif recording:
        cv2.circle(img, (w - 24, 24), 10, preview.RED, -1)
        preview.text(img, "REC", (w - 80, 30), 0.6, preview.RED)
    preview.text(img, "space pause  q stop", (w - 200, h - 14), 0.5, preview.GREY)
    return img


def capture(cfg: CaptureConfig, log=print, progress: bool = True) -> CaptureResult:
    validate_label(cfg.label)
    cfg.session = validate_label(cfg.session) if cfg.session else default_session()
    if cfg.count <= 0:
        raise GestureError(f"--count must be at least 1, got {cfg.count}")
    _check_none_alias(Path(cfg.data), cfg.label)
    src = open_source(cfg.source)  # before creating anything: a bad source leaves no folders
    if getattr(src, "still", False):
        raise GestureError(f"{cfg.source} is a single image, not a recording; capture from a camera, a video, a folder "
                           f"of images or synth:, or copy photos straight into {Path(cfg.data) / cfg.label}/")
    created = _missing(Path(cfg.data) / cfg.label / cfg.session) + _missing(Path(cfg.data) / MANIFEST)
    with src:
        session_dir, first = _prepare_session(cfg)
        fps = cfg.fps if cfg.fps is not None else (LIVE_FPS if src.live else 0)
        window, why = preview.open_preview(f"gesture capture {cfg.label}", cfg.preview)
        if why:
            log(why)
        log(f"recording {cfg.count} frames of {cfg.label!r} from {src} into {session_dir}"
            + (f", continuing at frame {first}" if first > 1 else "")
            + (f", at most {fps:g} per second" if fps else ""))
        writer = FrameWriter(Path(cfg.data), cfg.label, cfg.session, first, src.spec)
        bar = None if window else progress_bar(total=cfg.count, desc=cfg.label, unit="frame", disable=not progress)
        reason, lost, interrupted = "the count was reached", None, False
        try:
            with _StopOnSigint() as sig:
                reason, lost = _record(src, cfg, writer, window, bar, fps, sig.stop)
                interrupted = sig.stop.is_set()
        finally:
            written = writer.close()
            if bar is not None:
                bar.close()
            if window is not None:
                window.close()
    if writer.error is not None:
        reason = getattr(writer.error, "strerror", None) or writer.error
        raise GestureError(f"could not write frame {len(written) + first:06d} ({reason}); "
                           f"kept the {len(written)} frames written before it in {session_dir}")
    if lost is not None:
        raise GestureError(f"{lost}; kept the {len(written)} frames written before it in {session_dir}")
    if not written:  # nothing recorded: leave the disk as it was found
        _remove_empty(created)
        raise GestureError(f"no frame was kept ({'stopped' if interrupted else reason}); nothing was written")
    return CaptureResult(written, session_dir, reason, interrupted)


def _missing(path: Path) -> list[Path]:
    """The path and those of its parents that do not exist yet, deepest first."""
    return [p for p in (path, *path.parents) if not p.exists()]


def _remove_empty(paths: list[Path]) -> None:
    """Remove what this run created, if it holds nothing (an empty manifest, empty folders)."""
    for p in sorted(paths, key=lambda p: len(p.parts), reverse=True):
        try:
            if p.is_file() and p.stat().st_size == 0:
                p.unlink()
            elif p.is_dir() and not any(p.iterdir()):
                p.rmdir()
        except OSError:
            pass


def _record(src, cfg, writer, window, bar, fps, stop) -> tuple[str, SourceLost | None]:
    kept, paused, last_kept = 0, False, None
    start = time.monotonic()
    countdown = cfg.countdown if src.live else 0.0  # nobody to get ready in front of a file
    frames = iter(src)
    while kept < cfg.count:
        if stop.is_set():
            return "Ctrl-C", None
        try:
            frame, ts = next(frames)
        except StopIteration:
            return f"the source ended after {kept} of {cfg.count} frames", None
        except SourceLost as e:
            return "the camera was lost", e
        left = countdown - (time.monotonic() - start)
        recording = left <= 0 and not paused
        if recording and (not fps or last_kept is None or ts - last_kept >= 1.0 / fps - 1e-6):
            if not writer.put(frame, ts):
                return "a write failed", None
            kept += 1
            last_kept = ts
            if bar is not None:
                bar.update(1)
        if window is not None:
            key = window.show(draw_preview(frame, cfg, kept, recording=recording, countdown=left, paused=paused))
            if key in ("q", preview.ESC):
                return "stopped with q", None
            if key == " ":
                paused = not paused
    return "the count was reached", None
