"""A pointing-direction data set made from real photographs: one index finger, turned and mirrored.

There is no recording of fingers pointing left, right, up and down in ../shared/datasets, so
this builds one from real pixels. A photograph of one raised index finger (sign-digits `1`,
many people; asl-frames `L`, one person) is turned by 0, 90, 180 and 270 degrees, which
makes it point up, right, down and left in the image, and each of those is also mirrored,
which makes a right hand a left one and swaps left and right (up and down stay). The
directions are those of the image as stored, not of the mirrored preview: a direction is
a label like any other, so what matters is that a turn of the pixels is a turn of the label.

    build(datasets, out)   writes out/LABEL/SESSION/*.png, a data folder `gesture train` reads;
                           one session per person (sign-digits: file number // 10), so a split
                           by session is a split by person
    is_test                the person split of protocols.digits_person (file numbers >= 4800)

Every variant of a photograph lands in the same session, so no person is on both sides.
"""
from __future__ import annotations

from pathlib import Path

import cv2

from ..data.images import frame_number, list_images, read_image

DIRECTIONS = ("up", "right", "down", "left")  # the finger after 0, 90, 180, 270 degrees clockwise
TURNS = (None, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE)
MIRRORED = {"up": "up", "down": "down", "left": "right", "right": "left"}
PERSON = 10  # sign-digits: each person signed the ten digits in order, so file number // 10 is the person
TEST_FROM = 4800  # protocols.DIGITS_CUT: file numbers from here on are the people never seen


def variants(img):
    """(label, suffix, image) for the four turns of an up-pointing finger, each also mirrored.

    The photographs are cropped tight round the hand, and the palm detector, made for a hand
    inside a wider view, missed 12-18% of them (sign-digits `1`, 60 photographs, 3 turns);
    a border of the edge pixels, half the image wide, gives the hand the room a webcam frame
    has around it, and it then missed 2%."""
    pad = img.shape[0] // 2
    img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    for label, turn in zip(DIRECTIONS, TURNS):
        turned = img if turn is None else cv2.rotate(img, turn)
        yield label, "", turned
        yield MIRRORED[label], "m", cv2.flip(turned, 1)


def build(datasets: Path, out: Path, sets: tuple[str, ...] = ("sign-digits/1",), every: int = 1) -> int:
    """Write every variant of every `every`-th photograph of `sets` into the data folder `out`; returns the count."""
    n = 0
    for name in sets:
        folder = Path(datasets) / name
        for f in list_images(folder)[::every]:
            img = read_image(f)
            if img is None:
                continue
            number = frame_number(f.name) or 0
            session = f"p{number // PERSON:04d}" if name.startswith("sign-digits") else f"b{number // 300}"
            for label, suffix, pixels in variants(img):
                d = out / label / session
                d.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(d / f"{number:05d}{suffix}.png"), pixels)
                n += 1
    return n


def mirror_of(sample) -> tuple[str, str, str]:
    """(label, session, file stem) of the mirrored copy of an unmirrored frame of build()."""
    return MIRRORED[sample.label], sample.session, sample.path.stem + "m"


def is_test(sample) -> bool:
    """People never seen: the sessions of sign-digits file numbers from TEST_FROM on."""
    return sample.session.startswith("p") and int(sample.session[1:]) * PERSON >= TEST_FROM
