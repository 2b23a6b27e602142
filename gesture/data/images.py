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
    """True if a JPEG's data ends before its end-of-image marker.

    libjpeg decodes a cut-off file anyway, filling the missing rows with grey, so the
    decoder alone would let a half-written frame into training. The markers are walked
    from the start (not just the last bytes), because phones append data after the image.
    """
    b = data.tobytes()
    if len(b) < 4 or b[0] != 0xFF or b[1] != 0xD8:
        return False  # not a JPEG
    i, n = 2, len(b)
    while i + 1 < n:
        if b[i] != 0xFF:
            return True  # lost sync: damaged
        marker = b[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:
            return False  # end of image
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        if i + 3 >= n:
            return True
        i += 2 + ((b[i + 2] << 8) | b[i + 3])
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            while True:
                i = b.find(b"\xff", i)
                if i < 0 or i + 1 >= n:
                    return True
                nxt = b[i + 1]
                if nxt != 0x00 and not 0xD0 <= nxt <= 0xD7:
                    break
                i += 2
    return True


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
