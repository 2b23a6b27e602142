import cv2
import numpy as np
import pytest
import torch

from gesture.capture.synth import SynthRenderer, parse_script
from gesture.preprocess import (
    PreprocessConfig,
    crop_box,
    prepare,
    preprocess,
    standardize,
    to_input,
)


@pytest.mark.parametrize("h,w,crop,box", [
    (480, 640, 1.0, (80, 0, 560, 480)),
    (480, 640, 0.5, (200, 120, 440, 360)),
    (200, 200, 1.0, (0, 0, 200, 200)),
    (720, 1280, 0.8, (352, 72, 928, 648)),
])
def test_crop_box_is_the_centred_square(h, w, crop, box):
    assert crop_box(h, w, crop) == box


def test_prepare_crops_resizes_and_converts_to_rgb():
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, 80:560] = (255, 0, 0)  # blue in BGR, exactly the crop box
    img = prepare(frame, PreprocessConfig(size=96))
    assert img.shape == (96, 96, 3) and img.dtype == np.uint8
    assert (img[..., 2] == 255).all() and (img[..., :2] == 0).all(), "only the box, as RGB"
    assert prepare(frame, PreprocessConfig(size=96, color="BGR"))[..., 0].min() == 255


@pytest.mark.parametrize("size,crop,margin", [(128, 1.0, 16), (96, 0.8, 12), (112, 0.6, 8)])
def test_margin_version_holds_the_same_crop_at_the_same_scale(size, crop, margin):
    # Training stores frames with a margin to shift and zoom; its centre must be what the
    # live loop sees, or live predictions drift from validation.
    r = SynthRenderer(parse_script("palm x5, v x5, seed=4"))
    cfg = PreprocessConfig(size=size, crop=crop)
    for i in (2, 7):
        frame = r.frame(i)[0]
        live = prepare(frame, cfg).astype(int)
        stored = prepare(frame, cfg, margin=margin)
        assert stored.shape == (size + 2 * margin,) * 2 + (3,)
        centre = stored[margin:margin + size, margin:margin + size]
        assert np.abs(centre - live).mean() < 2.0
        shifted = stored[margin + 4:margin + 4 + size, margin:margin + size]
        assert np.abs(shifted - live).mean() > np.abs(centre - live).mean() + 1, "alignment is real, not a blur"


def test_margin_past_the_frame_edge_mirrors_the_frame():
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[:, :10] = 255  # a white stripe at the left edge
    img = prepare(frame, PreprocessConfig(size=64), margin=8)
    assert img.shape == (80, 80, 3)
    assert img[40, 8:12].min() > 200 and img[40, 2:6].min() > 200, "the stripe continues into the margin, mirrored"
    assert img[40, -8:].max() == 0


def test_to_input_and_preprocess():
    cfg = PreprocessConfig(size=32, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25), norm="fixed")
    batch = np.stack([np.full((32, 32, 3), 255, np.uint8), np.zeros((32, 32, 3), np.uint8)])
    x = to_input(batch, cfg)
    assert x.shape == (2, 3, 32, 32) and x.dtype == np.float32
    assert np.allclose(x[0], 2.0) and np.allclose(x[1], -2.0)
    frame = np.zeros((60, 80, 3), np.uint8)
    assert preprocess(frame, cfg).shape == (1, 3, 32, 32)


@pytest.mark.parametrize("norm", ["channel", "fixed"])
def test_the_live_numpy_path_and_trainings_torch_path_give_the_same_input(norm, datasets):
    """Training standardises augmented tensors in torch; eval and run standardise in NumPy: the same numbers."""
    cfg = PreprocessConfig(size=112, norm=norm)
    frames = [cv2.imread(str(p)) for p in sorted((datasets / "asl-frames" / "B").glob("*.jpg"))[:4]]
    frames.append(np.full((480, 640, 3), 7, np.uint8))  # flat: the std floor
    for frame in frames:
        img = prepare(frame, cfg)
        live = preprocess(frame, cfg)
        train = standardize(torch.from_numpy(img)[None].permute(0, 3, 1, 2).float() / 255, cfg)
        # Equal up to float32 summation order in the mean and std (about 5e-5 on values near 2).
        assert np.abs(live - train.numpy()).max() < 2e-4


def test_channel_norm_cancels_a_change_of_light_and_white_balance():
    # The default: each image standardised per channel, so dimmer, brighter or tinted
    # light (an affine change per channel, short of clipping) looks the same to the model.
    cfg = PreprocessConfig(size=32)
    assert cfg.norm == "channel"
    rng = np.random.default_rng(0)
    img = rng.integers(60, 180, (1, 32, 32, 3)).astype(np.float32)
    relit = np.clip(img * np.array([0.6, 0.8, 1.2]) + np.array([10, -5, 3]), 0, 255)
    a, b = to_input(img.astype(np.uint8), cfg), to_input(relit.astype(np.uint8), cfg)
    assert np.abs(a - b).max() < 0.05
    assert abs(float(a.mean())) < 1e-4 and abs(float(a.std()) - 1) < 0.05


def test_config_round_trip_and_validation():
    cfg = PreprocessConfig(size=112, crop=0.9)
    assert PreprocessConfig.from_dict(cfg.to_dict()) == cfg
    for bad in ({"crop": 0}, {"crop": 1.5}, {"color": "HSV"}, {"size": 8}):
        with pytest.raises(ValueError):
            PreprocessConfig(**bad)
