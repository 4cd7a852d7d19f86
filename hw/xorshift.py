"""xorshift32 as an Amaranth expression: the hardware's side of `model.snn.xorshift` (shared by both generators)."""

from __future__ import annotations


def xorshift32(s):
    """One xorshift32 step (13, 17, 5) on a 32-bit value: ``s ^= s << 13; s ^= s >> 17; s ^= s << 5``."""
    s = (s ^ (s << 13))[:32]
    s = s ^ (s >> 17)
    return (s ^ (s << 5))[:32]
