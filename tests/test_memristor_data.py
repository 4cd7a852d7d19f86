"""12x12 binarised data, spike encoding/decoding (the xorshift32 source: test_xorshift.py)."""

import numpy as np
import pytest
import torch

from model.common.errors import UserError
from model.memristor.data import (
    EncodingParams,
    binarise,
    decode,
    encode_image,
    encode_noise,
    load_binary,
    noise_count_thresholds,
    pack_words,
)
from model.snn.xorshift import Xorshift32


def test_foreground_pixels_emit_2_to_4_spikes_background_silent():
    p = EncodingParams()
    rng = Xorshift32(3)
    pixels = np.zeros(144, dtype=bool)
    pixels[::3] = True
    for _ in range(20):
        raster = encode_image(pixels, rng, p)
        counts = raster.sum(axis=1)
        assert raster.shape == (144, 40)
        assert counts[~pixels].max() == 0
        assert counts[pixels].min() >= 2 and counts[pixels].max() <= 4
    # all three spike counts occur
    counts = np.concatenate([encode_image(pixels, rng, p).sum(axis=1)[pixels] for _ in range(20)])
    assert set(np.unique(counts)) == {2, 3, 4}


def test_noise_counts_follow_the_discretised_gaussian():
    p = EncodingParams(noise_mean=4.0, noise_std=1.0, noise_max=10)
    h = noise_count_thresholds(p)
    assert h == sorted(h) and len(h) == p.noise_max
    rng = Xorshift32(0x9E3779B9)
    counts = np.concatenate([encode_noise(12, rng, p).sum(axis=1) for _ in range(300)])
    assert abs(counts.mean() - 4.0) < 0.1
    assert abs(counts.std() - 1.0) < 0.15  # rounding adds ~1/12 of variance
    assert counts.min() >= 0 and counts.max() <= p.noise_max


def test_decode_counts_and_pack_words():
    p = EncodingParams(min_count=2)
    assert decode(np.array([0, 1, 2, 5]), p).tolist() == [False, False, True, True]
    raster = np.zeros((2, 40), dtype=bool)
    raster[0, [0, 39]] = True
    raster[1, 5] = True
    assert pack_words(raster) == [1 | (1 << 39), 1 << 5]


def test_bad_encoding_params_are_user_errors():
    with pytest.raises(UserError):
        EncodingParams(min_spikes=5, max_spikes=4)
    with pytest.raises(UserError):
        EncodingParams(noise_max=41)


def test_binarise_downsamples_by_area_and_thresholds():
    img = torch.zeros(1, 28, 28)
    img[0, :14, :14] = 1.0  # top-left quarter
    b = binarise(img)
    assert b.shape == (1, 12, 12)
    assert b[0, :6, :6].all() and not b[0, 6:, :].any() and not b[0, :, 6:].any()
    with pytest.raises(UserError):
        binarise(torch.zeros(28, 28))


@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_load_binary_one_image_per_class(name):
    s = load_binary(name, "train")
    assert s.images.shape == (10, 12, 12) and s.images.dtype == bool
    assert s.labels.tolist() == list(range(10))
    assert all(img.any() for img in s.images)
