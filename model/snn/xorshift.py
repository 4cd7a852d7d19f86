"""Marsaglia's xorshift32 (shifts 13, 17, 5): the one random source the software and the hardware share.

The rate encoder of the converted generator (`model.snn.golden`, ``hw/spike_rom.py``)
and the memristor GAN (`model.memristor`, ``hw/memristor/top.py``) both draw
from it; ``hw/xorshift.py`` is the same step as an Amaranth expression.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from model.common.errors import UserError

MASK32 = 0xFFFFFFFF
ALGORITHM = "xorshift32-13-17-5"


def xorshift32(s: int) -> int:
    """One step on a 32-bit state: ``s ^= s << 13; s ^= s >> 17; s ^= s << 5`` (mod 2^32)."""
    s ^= (s << 13) & MASK32
    s ^= s >> 17
    s ^= (s << 5) & MASK32
    return s


def check_seed(seed: int) -> int:
    """``seed`` if it is a valid state (non-zero, 32 bits), else a `UserError` naming it."""
    if not 0 < seed <= MASK32:
        raise UserError(f"xorshift32 seed {seed} must be a non-zero 32-bit integer (1 .. {MASK32})")
    return int(seed)


@lru_cache(maxsize=16)
def _stream(seed: int, n: int) -> np.ndarray:
    out = np.empty(n, dtype=np.uint32)
    s = seed
    for k in range(n):
        s = xorshift32(s)
        out[k] = s
    out.flags.writeable = False
    return out


def xorshift32_stream(seed: int, n: int) -> np.ndarray:
    """The first ``n`` states after ``seed`` (the seed itself excluded), uint32, read-only."""
    return _stream(check_seed(seed), int(n))


class Xorshift32:
    """A running generator: `next` advances once, `below` draws in ``0 .. n-1``."""

    def __init__(self, seed: int):
        self.state = check_seed(seed)

    def next(self) -> int:
        """Advance once and return the new 32-bit state."""
        self.state = xorshift32(self.state)
        return self.state

    def below(self, n: int) -> int:
        """A draw in ``0 .. n-1`` by multiply-shift: ``(next() * n) >> 32``."""
        return (self.next() * n) >> 32
