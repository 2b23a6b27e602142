import os

import cv2
import numpy as np
import pytest
from conftest import gesture

from gesture.capture import synth
from gesture.capture.sources import (
    FolderSource,
    SourceError,
    SynthSource,
    VideoSource,
    open_source,
)
from gesture.data.images import frame_order, read_image


def write_video(path, n, size=(320, 240), fps=30.0):
    w, h = size
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert vw.isOpened()
    for i in range(n):
        frame = np.zeros((h, w, 3), np.uint8)
        frame[:, : (i + 1) * w // n] = (0, 128, 255)  # a bar that grows: frame order is visible
        vw.write(frame)
    vw.release()


def test_video_reads_back_every_frame_in_order(tmp_path):
    path = tmp_path / "clip.mp4"
    write_video(path, 24)
    with open_source(str(path)) as src:
        assert isinstance(src, VideoSource) and src.length == 24 and src.fps == pytest.approx(30)
        frames = list(src)
    assert len(frames) == 24
    assert all(f.shape == (240, 320, 3) for f, _ in frames)
    widths = [int((f[120, :, 2] > 128).sum()) for f, _ in frames]
    assert widths == sorted(widths) and widths[0] < 40 and widths[-1] > 300
    assert [t for _, t in frames][:3] == pytest.approx([0, 1 / 30, 2 / 30])


def test_folder_is_ordered_by_number_then_name(tmp_path):
    names = ["A10.jpg", "A9.jpg", "A100.png", "b.jpg", "A2.jpg", "a.jpg", "notes.txt"]
    for i, n in enumerate(names):
        if n.endswith(".txt"):
            (tmp_path / n).write_text("not a frame")
        else:
            cv2.imwrite(str(tmp_path / n), np.full((8, 8, 3), i, np.uint8))
    src = open_source(str(tmp_path))
    assert isinstance(src, FolderSource)
    assert [p.name for p in src.files] == ["A2.jpg", "A9.jpg", "A10.jpg", "A100.png", "a.jpg", "b.jpg"]
    assert len(list(src)) == 6


def test_folder_skips_unreadable_images(tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "1.jpg"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "2.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    src = open_source(str(tmp_path))
    assert len(list(src)) == 1 and [p.name for p in src.skipped] == ["2.jpg"]
    assert "2.jpg" in capsys.readouterr().err


def test_jpeg_with_data_after_the_image_is_not_called_truncated(tmp_path):
    # Phones append motion-photo video and the like after the end-of-image marker.
    cv2.imwrite(str(tmp_path / "ok.jpg"), np.full((40, 40, 3), 100, np.uint8))
    raw = (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "trailer.jpg").write_bytes(raw + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    assert read_image(tmp_path / "trailer.jpg").shape == (40, 40, 3)


def test_read_image_normalises_gray_alpha_and_rejects_truncated(tmp_path):
    cv2.imwrite(str(tmp_path / "g.png"), np.full((5, 6), 7, np.uint8))
    cv2.imwrite(str(tmp_path / "a.png"), np.full((5, 6, 4), 9, np.uint8))
    cv2.imwrite(str(tmp_path / "ok.jpg"), np.full((40, 40, 3), 100, np.uint8))
    data = (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    assert read_image(tmp_path / "g.png").shape == (5, 6, 3)
    assert read_image(tmp_path / "a.png").shape == (5, 6, 3)
    assert read_image(tmp_path / "ok.jpg").shape == (40, 40, 3)
    assert read_image(tmp_path / "cut.jpg") is None
    assert read_image(tmp_path / "missing.jpg") is None


def test_frame_order_puts_unnumbered_names_last():
    from pathlib import Path
    assert sorted(map(Path, ["x.jpg", "IMG_12.JPG", "IMG_3.JPG"]), key=frame_order) == list(
        map(Path, ["IMG_3.JPG", "IMG_12.JPG", "x.jpg"]))


def test_camera_failure_names_the_cameras_that_opened():
    with pytest.raises(SourceError) as e:
        open_source("7")
    msg = str(e.value)
    assert msg.startswith("camera 7 could not be opened")
    # This machine has no camera, so the probe finds none and says what to check.
    assert "no camera opened among indices" in msg or "cameras that did open" in msg


@pytest.mark.parametrize("spec,expect", [
    ("no/such/clip.mp4", "no such file or folder"),
    ("synth:fist x0", "bad count"),
    ("synth:wave x10", "cannot read 'wave x10'"),
    ("synth:fist x3, size=big", "bad value"),
    ("synth:colour=red", "unknown option"),
])
def test_bad_sources_say_what_is_wrong(spec, expect):
    with pytest.raises(SourceError, match=expect):
        open_source(spec)


def test_empty_folder_and_non_video_file(tmp_path):
    with pytest.raises(SourceError, match="holds no images"):
        open_source(str(tmp_path))
    bad = tmp_path / "clip.mp4"
    bad.write_text("this is not a video")
    with pytest.raises(SourceError, match="cannot read video"):
        open_source(str(bad))


def test_synth_follows_its_script_and_is_deterministic():
    spec = "synth:fist x4, none x3, v x5, seed=3, size=160x120, fps=15"
    a, b = SynthSource(spec), SynthSource(spec)
    assert a.labels == ["fist"] * 4 + ["none"] * 3 + ["v"] * 5 and a.length == 12 and a.fps == 15
    fa, fb = list(a), list(b)
    assert len(fa) == 12 and fa[0][0].shape == (120, 160, 3)
    assert all(np.array_equal(x, y) for (x, _), (y, _) in zip(fa, fb))
    other = list(SynthSource(spec.replace("seed=3", "seed=4")))
    assert not np.array_equal(fa[0][0], other[0][0])
    assert fa[1][1] == pytest.approx(1 / 15)


def test_synth_draws_a_hand_in_gesture_frames_only():
    # Same seed and segment: the same room and light, with and without the hand.
    size = "size=160x120, seed=1"
    palm = synth.SynthRenderer(synth.parse_script(f"palm x30, {size}"))
    empty = synth.SynthRenderer(synth.parse_script(f"none x30, {size}"))
    changed = np.abs(palm.frame(5)[0].astype(int) - empty.frame(5)[0]).max(axis=2) > 40
    assert changed.mean() > 0.03, "a palm covers a good part of the frame"
    assert changed[:, 40:120].sum() > 0.8 * changed.sum(), "inside the centred square the model sees"
    # Frames move like video: neighbours are near-duplicates.
    assert np.abs(palm.frame(5)[0].astype(int) - palm.frame(6)[0]).mean() < 8


def test_default_synth_covers_every_label():
    s = synth.parse_script("")
    assert {label for label, _ in s.segments} == set(synth.LABELS)


def test_a_missing_camera_is_one_line_not_a_flood_of_opencv_logs(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}  # as a user's shell has it
    r = gesture("capture", "palm", "--source", "7", "--data", tmp_path / "d", "--count", "3", "--no-preview", env=env)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "camera 7 could not be opened" in r.stderr and not (tmp_path / "d").exists()
