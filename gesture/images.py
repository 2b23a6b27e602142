"""Finding, ordering and decoding image files, shared by the folder source and the dataset reader."""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
_NUMBER = re.compile(r"\d+")


def frame_number(name: str) -> int | None:
    """The last number in a file name's stem: `A1234.jpg` -> 1234, `IMG_0042.JPG` -> 42."""
    found = _NUMBER.findall(Path(name).stem)
    return int(found[-1]) if found else None


def frame_order(path: Path) -> tuple:
    """Sort key: by the number in the name (frames are numbered in time), then by name."""
    n = frame_number(path.name)
    return (n is None, n or 0, path.name)


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_EXTS and not path.name.startswith(".")


def list_images(folder: Path) -> list[Path]:
    """The images directly inside `folder`, in frame order."""
    return sorted((p for p in folder.iterdir() if is_image(p)), key=frame_order)


def _truncated_jpeg(data: np.ndarray) -> bool:
    # A JPEG ends with the EOI marker FF D9. libjpeg decodes a cut-off file anyway, filling the
    # missing rows with grey, so the decoder alone would let a half-written frame into training.
    if data.size < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return False
    tail = np.trim_zeros(data[-64:], "b")
    return tail.size < 2 or not (tail[-2] == 0xFF and tail[-1] == 0xD9)


def read_image(path: Path | str) -> np.ndarray | None:
    """Decode any image file to 8-bit BGR, or None if it is unreadable, corrupt or truncated.

    Grayscale, 16-bit and images with an alpha channel are all converted, so callers only
    ever see HxWx3 uint8.
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0 or _truncated_jpeg(data):
        return None
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        return None
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    elif img.shape[2] == 1:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return img
