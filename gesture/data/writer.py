"""Writes captured frames as JPEGs from a background thread and records each in the manifest.

JPEG encoding takes a few ms a frame; doing it on the capture loop would stall the camera.
The queue is bounded, so a slow disk slows capture instead of filling memory.

A frame is listed in the manifest only once its file is complete on disk (written under a
hidden temporary name, then linked into place, which also refuses to overwrite), and a
manifest line that fails to write is cut back off. So on a full disk, an unwritable
folder or Ctrl-C the manifest lists exactly the frames that exist.
"""
from __future__ import annotations

import json
import os
import queue
import threading
from pathlib import Path

import cv2

from .dataset import MANIFEST

JPEG_QUALITY = 95
QUEUE_FRAMES = 32  # about 2 s at 15 fps; 30 MB of 640x480 frames at most


class FrameWriter:
    def __init__(self, root: Path, label: str, session: str, first_index: int, source: str,
                 quality: int = JPEG_QUALITY, queue_frames: int = QUEUE_FRAMES):
        self.root, self.label, self.session, self.source = Path(root), label, session, source
        self.dir = self.root / label / session
        self.next_index = first_index
        self.quality = quality
        self.written: list[str] = []
        self.error: Exception | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=queue_frames)
        self._manifest = os.open(self.root / MANIFEST, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._thread = threading.Thread(target=self._run, name="frame-writer", daemon=True)
        self._thread.start()

    def put(self, frame, timestamp: float) -> bool:
        """Queue one frame; False once the writer has failed (see .error)."""
        while self.error is None:
            try:
                self._queue.put((self.next_index, frame, timestamp), timeout=0.1)
                self.next_index += 1
                return True
            except queue.Full:
                continue
        return False

    def close(self) -> list[str]:
        """Write everything queued, stop the thread, and return the paths written."""
        self._queue.put(None)
        self._thread.join()
        os.close(self._manifest)
        return self.written

    def _run(self):
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self.error is not None:
                continue  # drain without writing, so put() and close() never block
            try:
                self._write(*item)
            except Exception as e:  # any failure stops writing; put() sees it, so capture never hangs
                self.error = e

    def _write(self, index: int, frame, timestamp: float) -> None:
        name = f"{index:06d}.jpg"
        final, tmp = self.dir / name, self.dir / f".{name}.tmp"
        ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise OSError(f"could not encode frame {index} as JPEG")
        try:
            _write_bytes(tmp, data.tobytes())
            os.link(tmp, final)  # atomic, and fails rather than overwrite an existing frame
        finally:
            if tmp.exists():
                os.unlink(tmp)
        rel = final.relative_to(self.root).as_posix()
        h, w = frame.shape[:2]
        line = json.dumps({
            "path": rel, "label": self.label, "session": self.session, "index": index,
            "timestamp": round(timestamp, 4), "source": self.source, "width": w, "height": h,
        }) + "\n"
        try:
            _append(self._manifest, line.encode())
        except OSError:
            os.unlink(final)  # never leave a frame the manifest does not list
            raise
        self.written.append(rel)


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _append(fd: int, data: bytes) -> None:
    """Append one whole line or nothing: a short write is truncated back off."""
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        if os.write(fd, data) != len(data):
            raise OSError(28, "short write to the manifest (disk full?)")
    except OSError:
        os.ftruncate(fd, start)
        raise
