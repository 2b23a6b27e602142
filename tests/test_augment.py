import torch

from gesture.learn.augment import AugmentConfig, augment, centre, photometric, warp

NEUTRAL = AugmentConfig().scaled(0.0)


def stored(n=4, side=80, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, side, side, 3), generator=g, dtype=torch.uint8)


def test_neutral_augmentation_returns_exactly_the_stored_centre():
    # (that the stored centre is what the live loop sees is tested in test_preprocess)
    x = stored()
    gen = torch.Generator().manual_seed(0)
    assert torch.allclose(warp(x, 64, NEUTRAL, gen), centre(x, 64), atol=1e-5)
    assert torch.allclose(augment(x, 64, NEUTRAL, gen), centre(x, 64), atol=1e-5)


def test_scaled_pulls_every_range_to_no_change():
    half = AugmentConfig().scaled(0.5)
    assert half.rotate == AugmentConfig().rotate / 2
    assert NEUTRAL.brightness == (1.0, 1.0) and NEUTRAL.gamma == (1.0, 1.0) and NEUTRAL.noise == 0
    assert AugmentConfig(flip=True).scaled(0.0).flip is True


def test_no_flip_by_default():
    # An image whose left half is bright: without --flip no output has its bright side on the right.
    x = torch.zeros(64, 80, 80, 3, dtype=torch.uint8)
    x[:, :, :40] = 255
    geo = AugmentConfig(brightness=(1, 1), contrast=(1, 1), gamma=(1, 1), color=0, saturation=(1, 1), grayscale=0,
                        shade=0, blur=0, noise=0, erase=0)
    gen = torch.Generator().manual_seed(1)
    out = warp(x, 64, geo, gen)
    assert (out[:, :, :, :32].mean((1, 2, 3)) > out[:, :, :, 32:].mean((1, 2, 3))).all()
    flipped = warp(x, 64, AugmentConfig(flip=True), torch.Generator().manual_seed(1))
    assert (flipped[:, :, :, :32].mean((1, 2, 3)) < flipped[:, :, :, 32:].mean((1, 2, 3))).any()


def test_photometry_covers_dim_and_bright_scenes_and_stays_in_range():
    x = centre(stored(256), 64)
    out = photometric(x.clone(), AugmentConfig(), torch.Generator().manual_seed(2))
    assert out.min() >= 0 and out.max() <= 1
    means = out.mean((1, 2, 3))
    assert means.min() < 0.25 and means.max() > 0.65, "dim and bright versions both occur"


def test_augment_is_seeded_and_shaped():
    x = stored(8)
    a = augment(x, 64, AugmentConfig(), torch.Generator().manual_seed(3))
    b = augment(x, 64, AugmentConfig(), torch.Generator().manual_seed(3))
    assert a.shape == (8, 3, 64, 64) and torch.equal(a, b)
