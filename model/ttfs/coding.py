"""TTFS coding: one spike per value, earlier for larger values (Sec. 2.2, Eq. 3).

Times are integers in ``0 .. T``; ``T`` is the forced late spike, i.e. no spike in
the ``T`` simulated steps ``0 .. T-1``.
"""

from __future__ import annotations

import torch

PIXEL_MAX = 255


def check_timesteps(timesteps: int) -> int:
    """``timesteps`` as an int >= 1, or a ValueError that names it."""
    if isinstance(timesteps, bool) or not isinstance(timesteps, int) or timesteps < 1:
        raise ValueError(f"timesteps must be an integer >= 1, not {timesteps!r}")
    return timesteps


def encode_pixels(pixels: torch.Tensor, timesteps: int) -> torch.Tensor:
    """Spike times ``t = floor((255 - p) * T / 255)`` of 8-bit pixels ``p`` (int64).

    ``p = 255`` fires at 0, ``p = 0`` at ``T`` (never, within the window).
    """
    timesteps = check_timesteps(timesteps)
    p = pixels.to(torch.int64)
    if p.numel() and (p.min() < 0 or p.max() > PIXEL_MAX):
        raise ValueError(f"pixels must be in [0, {PIXEL_MAX}], found [{int(p.min())}, {int(p.max())}]")
    return (PIXEL_MAX - p) * timesteps // PIXEL_MAX


def encode_images(images: torch.Tensor, timesteps: int) -> torch.Tensor:
    """:func:`encode_pixels` of images in [0, 1], rounded to 8 bits first."""
    return encode_pixels(torch.round(images.clamp(0, 1) * PIXEL_MAX), timesteps)


def decode_times(times: torch.Tensor, timesteps: int) -> torch.Tensor:
    """Pixels in [0, 1] from spike times: ``p = (T - t) / T`` (the encoder's inverse; ``T`` -> 0)."""
    timesteps = check_timesteps(timesteps)
    return (timesteps - times.to(torch.float32)).clamp(0, timesteps) / timesteps


def noise_times(n: int, dim: int, timesteps: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Generator noise: ``(n, dim)`` spike times drawn from U{0, T} (Sec. 2.3)."""
    timesteps = check_timesteps(timesteps)
    return torch.randint(0, timesteps + 1, (n, dim), generator=generator)
