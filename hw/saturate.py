"""Saturating signed arithmetic, as ``docs/hardware-semantics.md`` defines ``sat``."""

from __future__ import annotations

from amaranth import Const, Mux, signed


def saturating_add(a, b, bits: int):
    """``min(max(a + b, -2^(bits-1)), 2^(bits-1) - 1)`` for signed ``a``, ``b`` of at most ``bits`` bits."""
    return saturate_sum(a + b, bits)


def saturate_sum(total, bits: int):
    """``total`` (the exact ``bits + 1``-bit signed sum of two ``bits``-bit values) saturated to ``bits`` bits.

    The sum overflowed iff its two top bits differ; then the top bit is the true
    sign. A mux on two bits (no comparators), so it stays short on FPGAs.
    """
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return Mux(
        total[bits] != total[bits - 1],
        Mux(total[bits], Const(lo, signed(bits)), Const(hi, signed(bits))),
        total[:bits].as_signed(),
    )
