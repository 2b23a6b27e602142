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



# A label's name is not its meaning: other people's hands join a HaGRID-named label only where
# they look like the user's own hands of that label (learn/handset.py, prior/others.py).

COUNTS = ("1", "2", "3", "4", "5")
OTHER_SHAPES = {"1": "four", "2": "three", "3": "one", "4": "peace", "5": "fist"}  # each HaGRID name, another count


@pytest.fixture(scope="module")
def finger_counts():
    if not (DATASETS / "finger-count").is_dir():
        pytest.skip(f"finger-count not found in {DATASETS} (the ../shared folder beside the project)")
    samples = scan(DATASETS / "finger-count").samples[::6]
    lms = landmarks.extract(samples, lambda: prior.tracker(static=True), prior.key(), cache=False, progress=False)
    return samples, lms


def _across_sessions(finger_counts, names: dict):
    from gesture.config import TrainConfig
    from gesture.learn.handset import assemble

    samples, lms = finger_counts
    labels = [names.get(c, c) for c in COUNTS]
    y = np.array([COUNTS.index(s.label) for s in samples])
    train = np.array([s.session == "set1" for s in samples]) & lms.found
    test = np.array([s.session == "set2" for s in samples]) & lms.found
    hands = assemble(lms.points[train], y[train], [s.session for s in np.array(samples)[train]],
                     [s.index for s in np.array(samples)[train]], labels, None, TrainConfig(idle=False))
    head = fit_head(hands.points, hands.y, len(labels), sessions=hands.sessions, index=hands.index)
    return float((head.probs(lms.points[test]).argmax(1) == y[test]).mean()), hands


def test_finger_counts_named_after_other_shapes_score_as_with_their_own_names(finger_counts):
    plain, hands = _across_sessions(finger_counts, {})
    assert hands.borrowed == [] and not any(s.startswith("others:") for s in hands.sessions)  # no HaGRID name
    renamed, hands = _across_sessions(finger_counts, OTHER_SHAPES)
    assert hands.refused == sorted(OTHER_SHAPES.values()) and hands.borrowed == []
    assert renamed == plain, (renamed, plain)


def test_a_name_that_means_the_same_shape_still_borrows(finger_counts):
    # Two fingers up is HaGRID's peace and one is its `one`: those hands agree and join.
    _, hands = _across_sessions(finger_counts, {"1": "one", "2": "peace"})
    assert "peace" in hands.borrowed and any(s.startswith("others:") for s in hands.sessions)
