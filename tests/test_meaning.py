"""Gestures keep what they mean: a finger pointing left is not a finger pointing right.

Real photographs (sign-digits `1`, many people), turned and mirrored by gesture.pointing, found
by the shipped hand prior, learned by the real landmark head; scored on other people.
"""
import cv2
import numpy as np
import pytest
from conftest import DATASETS

from gesture import prior
from gesture.bench import pointing
from gesture.data.dataset import scan
from gesture.data.images import read_image
from gesture.learn import landmarks
from gesture.model.head import fit_head
from gesture.prior.features import hand_pixels


@pytest.fixture(scope="module")
def pointing_head(tmp_path_factory):
    if not (DATASETS / "sign-digits").is_dir():
        pytest.skip(f"sign-digits not found in {DATASETS} (the ../shared folder beside the project)")
    root = tmp_path_factory.mktemp("pointing")
    pointing.build(DATASETS, root)
    samples = scan(root).samples
    train = [s for s in samples if not pointing.is_test(s)][::3]
    test = [s for s in samples if pointing.is_test(s) and s.label in ("left", "right") and s.path.stem.isdigit()]
    lms = landmarks.extract(train, lambda: prior.tracker(static=True), prior.key(), cache=False, progress=False)
    labels = list(pointing.DIRECTIONS)
    y = np.array([labels.index(s.label) for s in train])[lms.found]
    return fit_head(lms.points[lms.found], y, len(labels)), labels, test[::4], samples


def test_a_pointing_frame_flipped_left_to_right_reads_as_the_opposite_direction(pointing_head):
    head, labels, test, _ = pointing_head
    tracker = prior.tracker(static=True)
    pairs = good = 0
    for s in test:
        img = read_image(s.path)
        reads = []
        for pixels in (img, cv2.flip(img, 1)):  # the real frame, and the same pixels mirrored
            hand = tracker(pixels)
            reads.append(None if hand is None else
                         labels[int(head.probs(hand_pixels(hand, pixels.shape)[None]).argmax())])
        if None in reads:
            continue
        pairs += 1
        good += reads == [s.label, pointing.MIRRORED[s.label]]
    assert pairs >= 8, "the prior found too few of these hands to judge"
    assert good / pairs >= 0.9, f"{good} of {pairs} frames and their mirrors read as opposite directions"


def test_pointing_up_down_left_right_are_four_gestures_to_people_never_seen(pointing_head):
    head, labels, _, samples = pointing_head
    samples = [s for s in samples if pointing.is_test(s)][::5]
    lms = landmarks.extract(samples, lambda: prior.tracker(static=True), prior.key(), cache=False, progress=False)
    y = np.array([labels.index(s.label) for s in samples])[lms.found]
    pred = head.probs(lms.points[lms.found]).argmax(1)
    assert lms.found.mean() > 0.9
    for c, name in enumerate(labels):  # each direction on its own, so none can hide behind the others
        assert (pred[y == c] == c).mean() >= 0.9, (name, np.bincount(pred[y == c], minlength=4))

