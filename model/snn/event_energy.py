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

Flip-flops and leakage, which Horowitz's table leaves out, come from FreePDK45 cells characterised here with ngspice
at the same 0.9 V (`model.snn.characterise`, ``spikegan characterise``; its test holds the constants below to it):
a flip-flop's energy per clock cycle with its data held, what a bit that changes adds, and the leakage of a
flip-flop and of an SRAM bit (a 6T cell, its bit lines precharged). Leakage is paid over an image's cycles at an
assumed clock, `LEAKAGE_CLOCK_MHZ`, that of a 45 nm ASIC rather than an FPGA's: at a slower clock an image leaks
for longer.

Not priced: control logic outside the flip-flops, the clock tree's buffers, memory periphery leakage.
"""

from __future__ import annotations

import math

ADD_PJ = {8: 0.03, 32: 0.1}
MULTIPLY_8_PJ = 0.2
SRAM_64_PJ = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))  # (bytes, pJ per 64-bit read)
# `model.snn.characterise`'s figures, three significant digits
FLIP_FLOP_CLOCK_FJ = 5.96  # per clock cycle, data held
FLIP_FLOP_CHANGE_FJ = 7.02  # added by a bit that changes
FLIP_FLOP_LEAKAGE_NW = 24.1
SRAM_BIT_LEAKAGE_NW = 3.49
LEAKAGE_CLOCK_MHZ = 1000.0


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


def register_pj(bits: int, cycles: float, changed: float) -> float:
    """``bits`` flip-flops clocked for ``cycles`` cycles, ``changed`` of their bit-cycles changing value."""
    return (bits * cycles * FLIP_FLOP_CLOCK_FJ + changed * FLIP_FLOP_CHANGE_FJ) / 1e3


def leakage_pj(register_bits: int, memory_bits: int, cycles: float) -> float:
    """The leakage of ``register_bits`` flip-flops and ``memory_bits`` SRAM bits over ``cycles`` cycles of the
    `LEAKAGE_CLOCK_MHZ` clock."""
    seconds = cycles / (LEAKAGE_CLOCK_MHZ * 1e6)
    return (register_bits * FLIP_FLOP_LEAKAGE_NW + memory_bits * SRAM_BIT_LEAKAGE_NW) * 1e-9 * seconds * 1e12
