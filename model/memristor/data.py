"""12x12 binarised MNIST / Fashion-MNIST, spike encoding and decoding (Sec. V).

Images are area-averaged from 28x28 to 12x12 and binarised. A foreground pixel
emits 2-4 spikes at distinct random time steps of the 0-40 us window (1 us per
step); a background pixel is silent. The generator's noise input is one spike
train per noise neuron whose spike count is drawn from a discretised Gaussian
(a rate-coded Gaussian latent vector). Generated spike trains are decoded by
spike counters: a pixel is on when its neuron fired at least ``min_count`` times.

All randomness comes from one xorshift32 generator that the hardware runs too
(``hw/memristor/top.py``), so the software and the RTL see identical spikes.
A raster is a ``(neurons, steps)`` bool array: ``raster[i, t]`` is a spike of
neuron ``i`` at step ``t``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.common.errors import UserError
from model.snn.xorshift import MASK32, Xorshift32

SIZE = 12


def mix_seed(seed: int, k: int = 0) -> int:
    """A well-spread non-zero 32-bit seed for stream ``k`` of user seed ``seed``: the ``(seed + k + 1)``-th
    multiple of the golden ratio (xorshift32's first draws from small seeds are small; seed 0 is a valid choice)."""
    return ((seed + k + 1) * 0x9E3779B1) & MASK32 or 1


@dataclass(frozen=True)
class EncodingParams:
    """Spike encoding of images and noise; times are steps of ``dt_us``."""

    steps: int = 40  # the 0-40 us window, one step per microsecond
    dt_us: float = 1.0
    min_spikes: int = 2  # a foreground pixel emits min_spikes .. max_spikes spikes
    max_spikes: int = 4
    noise_mean: float = 4.0  # Gaussian spike count of each noise input
    noise_std: float = 1.0
    noise_max: int = 10
    min_count: int = 2  # decoding: on when it fired at least this often (= the fewest a real pixel emits)

    def __post_init__(self):
        if not 1 <= self.min_spikes <= self.max_spikes <= self.steps:
            raise UserError(
                f"need 1 <= min_spikes ({self.min_spikes}) <= max_spikes ({self.max_spikes}) "
                f"<= steps ({self.steps})."
            )
        if not 0 <= self.noise_max <= self.steps or self.noise_std <= 0:
            raise UserError("noise_max must lie in 0 .. steps and noise_std must be positive.")
        if self.min_count < 1:
            raise UserError("min_count must be at least 1.")


def noise_count_thresholds(p: EncodingParams) -> list[int]:
    """16-bit inverse-CDF thresholds ``H_1 .. H_max`` of the noise spike count.

    The count is ``n = clip(round(mean + std * z), 0, noise_max)`` with ``z ~ N(0, 1)``;
    with a uniform 16-bit ``u`` the sample is ``n = #{k : u >= H_k}``, where
    ``H_k = round(2^16 * P(n <= k - 1))``.
    """

    def cdf(x: float) -> float:
        return 0.5 * (1.0 + math.erf((x - p.noise_mean) / (p.noise_std * math.sqrt(2.0))))

    return [min(65536, round(65536 * cdf(k - 0.5))) for k in range(1, p.noise_max + 1)]


def _distinct_times(rng: Xorshift32, n: int, steps: int) -> np.ndarray:
    """``n`` distinct steps drawn uniformly, redrawing a step already taken."""
    row = np.zeros(steps, dtype=bool)
    placed = 0
    while placed < n:
        t = rng.below(steps)
        if not row[t]:
            row[t] = True
            placed += 1
    return row


def encode_image(pixels: np.ndarray, rng: Xorshift32, p: EncodingParams) -> np.ndarray:
    """Raster ``(N, steps)`` of a flat binary image: pixels in ascending order, each
    foreground pixel draws its spike count ``min + below(max - min + 1)`` and then
    that many distinct times; background pixels draw nothing."""
    pixels = np.asarray(pixels).reshape(-1).astype(bool)
    raster = np.zeros((pixels.size, p.steps), dtype=bool)
    span = p.max_spikes - p.min_spikes + 1
    for i in np.flatnonzero(pixels):
        raster[i] = _distinct_times(rng, p.min_spikes + rng.below(span), p.steps)
    return raster


def encode_noise(n_inputs: int, rng: Xorshift32, p: EncodingParams) -> np.ndarray:
    """Raster ``(n_inputs, steps)`` of Gaussian-count noise: per input, ``u`` is the top
    16 bits of one draw, the count follows from :func:`noise_count_thresholds`,
    then that many distinct times are drawn."""
    thresholds = noise_count_thresholds(p)
    raster = np.zeros((n_inputs, p.steps), dtype=bool)
    for i in range(n_inputs):
        u = rng.next() >> 16
        n = sum(u >= h for h in thresholds)
        raster[i] = _distinct_times(rng, n, p.steps)
    return raster


def decode(counts: np.ndarray, p: EncodingParams) -> np.ndarray:
    """Spike counts ``(N,)`` -> binary pixels (the spike-counter decoder)."""
    return np.asarray(counts) >= p.min_count


def pack_words(raster: np.ndarray) -> list[int]:
    """One integer per neuron, bit ``t`` = spike at step ``t`` (the RTL's raster words)."""
    weights = 1 << np.arange(raster.shape[1], dtype=object)
    return [int((row.astype(object) * weights).sum()) for row in raster]


def binarise(images, size: int = SIZE, threshold: float = 0.3) -> np.ndarray:
    """``(N, 28, 28)`` floats in [0, 1] (torch tensor) -> ``(N, size, size)`` bool:
    area-average, then ``>= threshold`` (0.3 keeps MNIST's thin strokes connected at 12x12)."""
    import torch.nn.functional as F  # torch only where images are loaded: the testbenches stay light

    if images.ndim != 3:
        raise UserError(f"expected images of shape (N, H, W), got {tuple(images.shape)}.")
    small = F.interpolate(images[:, None].float(), size=(size, size), mode="area")[:, 0]
    return (small >= threshold).numpy()


@dataclass(frozen=True)
class BinarySet:
    """Binarised images ``(N, 12, 12)`` with their labels and where they came from."""

    images: np.ndarray
    labels: np.ndarray
    indices: np.ndarray  # positions in the source split
    source: str


def load_binary(
    name: str,
    split: str = "train",
    per_class: int = 1,
    classes: tuple[int, ...] = tuple(range(10)),
    threshold: float = 0.3,
    data_dir: str | None = None,
) -> BinarySet:
    """The first ``per_class`` images of each class in ``classes``, binarised at 12x12.

    Images with no foreground pixel after binarisation are skipped."""
    from model.data.mnist import load_dataset

    if per_class < 1:
        raise UserError("per_class must be at least 1.")
    full = load_dataset(name, split, data_dir)
    labels = full.labels.numpy()
    chosen: list[int] = []
    for c in classes:
        idx = np.flatnonzero(labels == c)
        if idx.size == 0:
            raise UserError(f"{name} {split} has no images of class {c}; classes are 0 .. 9.")
        picked = []
        for i in idx:
            if binarise(full.images[i : i + 1], threshold=threshold).any():
                picked.append(int(i))
            if len(picked) == per_class:
                break
        chosen.extend(picked)
    chosen_arr = np.asarray(chosen, dtype=np.int64)
    return BinarySet(
        binarise(full.images[chosen_arr], threshold=threshold),
        labels[chosen_arr],
        chosen_arr,
        f"{name} {split} ({full.source})",
    )
