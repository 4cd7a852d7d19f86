"""Port and register widths of the hardware blocks."""

from __future__ import annotations


def abits(n: int) -> int:
    """Bits of an index into ``n`` things (at least 1, so no port is zero-width)."""
    return max(1, (n - 1).bit_length())
