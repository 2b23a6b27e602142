"""Frame sources behind one iterator of (BGR frame, timestamp in seconds).

    0                       a camera index
    clip.mp4                a video file
    frames/                 a folder of images, ordered by the number in the file name
    synth:fist x30, none x20  the built-in synthetic camera (see gesture/synth.py)

`open_source(spec)` picks the kind from the text. Problems the user can fix raise
SourceError with one line saying what to do.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import cv2

from ..data.images import is_image, list_images, read_image
from ..errors import SourceError, SourceLost
from . import synth

FOLDER_FPS = 30.0  # folders carry no timing; frames are spaced as from a 30 fps camera
PROBE_CAMERAS = 6  # indices tried when the asked-for camera will not open
CAMERA_TIMEOUT_S = 2.0  # a live camera that delivers nothing for this long is gone


class Source:
    kind = "source"
    live = False  # a live source may drop stale frames; a recorded one is read in full
    fps: float = FOLDER_FPS
    length: int | None = None  # frame count where it is known up front

    def __init__(self, spec: str):
        self.spec = spec

    def __iter__(self):
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"{self.kind} {self.spec!r}"


class CameraSource(Source):
    kind = "camera"
    live = True

    def __init__(self, index: int):
        super().__init__(str(index))
        self.index = index
        self.cap = cv2.VideoCapture(index)
        if not self.cap.isOpened():
            self.cap.release()
            opened = [i for i in range(PROBE_CAMERAS) if i != index and _camera_opens(i)]
            found = f"cameras that did open: {', '.join(map(str, opened))}" if opened else (
                f"no camera opened among indices 0-{PROBE_CAMERAS - 1}; check it is connected, "
                "not in use by another program, and that you may access /dev/video*")
            raise SourceError(f"camera {index} could not be opened; {found} (or use a video file or synth:)")
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 30.0

    def __iter__(self):
        last_ok = time.monotonic()
        while True:
            ok, frame = self.cap.read()
            now = time.monotonic()
            if ok and frame is not None:
                last_ok = now
                yield frame, time.time()
            elif now - last_ok > CAMERA_TIMEOUT_S:
                raise SourceLost(f"camera {self.index} stopped delivering frames "
                                 "(unplugged or taken by another program?)")
            else:
                time.sleep(0.01)

    def close(self):
        self.cap.release()


def _camera_opens(index: int) -> bool:
    cap = cv2.VideoCapture(index)
    try:
        return cap.isOpened() and cap.read()[0]
    finally:
        cap.release()


class VideoSource(Source):
    kind = "video"

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path
        self.cap = cv2.VideoCapture(str(path))
        ok = self.cap.isOpened() and self.cap.grab()
        if not ok:
            self.cap.release()
            raise SourceError(f"cannot read video {path}: OpenCV could not decode it (is it a video file?)")
        self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 30.0
        n = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.length = n if n > 0 else None

    def __iter__(self):
        i = 0
        while True:
            ok, frame = self.cap.read()
            if not ok:
                return
            # Frame index over fps, not CAP_PROP_POS_MSEC: some containers report 0 for every frame.
            yield frame, i / self.fps
            i += 1

    def close(self):
        self.cap.release()


class FolderSource(Source):
    """A folder of images in file order, or one image file (a single frame)."""
    kind = "folder"

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.still = path.is_file()
        if self.still:
            self.kind = "image"
        self.files = [path] if self.still else list_images(path)
        if not self.files:
            raise SourceError(f"folder {path} holds no images (.jpg, .png, .bmp, .webp); "
                              "point --source at a folder of frames")
        self.length = len(self.files)
        self.skipped: list[Path] = []

    def __iter__(self):
        for i, f in enumerate(self.files):
            img = read_image(f)
            if img is None:
                self.skipped.append(f)
                print(f"warning: skipping unreadable image {f}", file=sys.stderr)
                continue
            yield img, i / self.fps


class SynthSource(Source):
    kind = "synth"

    def __init__(self, spec: str):
        super().__init__(spec)
        self.script = synth.parse_script(spec.partition(":")[2])
        self.fps = self.script.fps
        self.length = self.script.length
        self.labels = self.script.labels()

    def __iter__(self):
        for i, (frame, _) in enumerate(synth.scripted_frames(self.script)):
            yield frame, i / self.fps


def open_source(spec: str | int) -> Source:
    """A camera index, a video file, an image folder or `synth:...`, from the text the user typed."""
    text = str(spec).strip()
    if text.isdigit():
        return CameraSource(int(text))
    if text.startswith("synth:") or text == "synth":
        return SynthSource(text)
    path = Path(text).expanduser()
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        if not os.access(path, os.R_OK):
            raise SourceError(f"cannot read {path}: permission denied")
        # OpenCV opens a still as a "video" that ends before its first frame.
        return FolderSource(path) if is_image(path) else VideoSource(path)
    raise SourceError(
        f"no such file or folder: {text} (a camera is a number like 0; the synthetic camera is synth:)"
    )


class LatestFrame:
    """Reads a live source on its own thread and keeps only the newest frame."""

    def __init__(self, src: Source):
        self.src = src
        self.dropped = 0
        self.received = 0
        self.started = time.perf_counter()
        self._cond = threading.Condition()
        self._item = None
        self._done = False
        self._stop = False
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._read, name="camera", daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for item in self.src:
                with self._cond:
                    if self._stop:
                        return
                    if self._item is not None:
                        self.dropped += 1  # never consumed: stale, replaced by the newer frame
                    self._item = item
                    self.received += 1
                    self._cond.notify()
        except Exception as e:  # a lost camera, or a driver failing: handed to the loop, never swallowed
            self._error = e
        finally:
            with self._cond:
                self._done = True
                self._cond.notify()

    def __iter__(self):
        while True:
            with self._cond:
                while self._item is None and not self._done:
                    self._cond.wait()
                item, self._item = self._item, None
            if item is None:
                if self._error is not None:
                    raise self._error
                return
            yield item

    def fps(self) -> float:
        """Frames the camera delivered per second, dropped ones included."""
        return self.received / max(1e-6, time.perf_counter() - self.started)

    def close(self) -> bool:
        """Stop reading; False if the thread is still inside a read (then the source must stay open)."""
        with self._cond:
            self._stop = True
        self._thread.join(timeout=5)
        return not self._thread.is_alive()
