"""The priority encoder: the index of the lowest set bit of a word."""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal

from hw.widths import abits


def lowest_set_bit(m: Module, bits: Signal, name: str) -> Signal:
    """Combinational priority encoder: the index of the lowest 1 in ``bits`` (0 when none).

    A binary tree (``ceil(log2 n)`` levels of 2:1 muxes, each choosing the lower
    half if it has a 1), not a chain of ``n`` muxes, so a 100-input Spike ROM
    word still encodes in one short clock cycle.
    """
    n = len(bits)
    out = Signal(abits(n), name=name)
    if n == 1:
        return out  # always 0

    def tree(lo: int, width: int):
        """(any bit set, index within the slice) for bits[lo : lo + width], width a power of two."""
        if width == 1:
            return bits[lo] if lo < n else Const(0), None
        half = width // 2
        any_lo, idx_lo = tree(lo, half)
        if lo + half >= n:  # the upper half is padding
            return any_lo, Cat(idx_lo, Const(0)) if idx_lo is not None else Const(0)
        any_hi, idx_hi = tree(lo + half, half)
        below = Mux(any_lo, idx_lo, idx_hi) if idx_lo is not None else Const(0, 0)
        return any_lo | any_hi, Cat(below, ~any_lo)

    any_set, index = tree(0, 1 << (n - 1).bit_length())
    m.d.comb += out.eq(Mux(any_set, index, 0))
    return out
