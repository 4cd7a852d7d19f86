"""Energy of one hardware event at 45 nm: an integer addition or multiplication by width, an SRAM access by size
and width. The per-event table of docs/energy.md, priced from Horowitz, "Computing's energy problem (and what we
can do about it)", ISSCC 2014, Fig. 1.1.9 (45 nm, 0.9 V), the source of every number here:

* integer add: 8-bit 0.03 pJ, 32-bit 0.1 pJ; linear in the width between and beyond them;
* integer multiply: 8-bit 0.2 pJ, 32-bit 3.1 pJ; in proportion to the product of the operand widths
  (``0.2 pJ x a b / 64``, 3.2 pJ at 32 x 32 bits);
* SRAM read of 64 bits: 8 kB 10 pJ, 32 kB 20 pJ, 1 MB 100 pJ; between those sizes on the straight line through
  them in log-log (energy ~ size^0.5 up to 32 kB, ~ size^0.46 above: the square-root growth of a bit line and
  word line that CACTI models), beyond them on the nearest segment; in proportion to the bits accessed.
  A write costs what a read of the same word costs (the table gives reads only).

Not priced, for want of a cited figure: registers, control logic, clock and leakage.
"""

from __future__ import annotations

import math

ADD_PJ = {8: 0.03, 32: 0.1}
MULTIPLY_8_PJ = 0.2
SRAM_64_PJ = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))  # (bytes, pJ per 64-bit read)


def add_pj(bits: int) -> float:
    """An integer addition (or comparison, a subtraction) of ``bits``-bit operands."""
    (b0, e0), (b1, e1) = ADD_PJ.items()
    return max(0.0, e0 + (bits - b0) * (e1 - e0) / (b1 - b0))


def multiply_pj(bits_a: int, bits_b: int) -> float:
    """An integer multiplication of a ``bits_a``-bit by a ``bits_b``-bit operand."""
    return MULTIPLY_8_PJ * bits_a * bits_b / 64


def sram_pj(depth: int, width: int) -> float:
    """A read (or write) of one ``width``-bit word of an SRAM of ``depth`` words."""
    if depth < 1 or width < 1:
        raise ValueError(f"an SRAM needs depth >= 1 and width >= 1, got {depth} x {width}")
    size = depth * width / 8
    pts = SRAM_64_PJ
    k = 0 if size <= pts[1][0] else 1
    (s0, e0), (s1, e1) = pts[k], pts[k + 1]
    slope = math.log(e1 / e0) / math.log(s1 / s0)
    return e0 * (size / s0) ** slope * width / 64
