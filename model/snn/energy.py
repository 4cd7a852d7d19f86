"""Energy per image under two models, both at 45 nm (Horowitz, "Computing's energy
problem", ISSCC 2014, Fig. 1.1.9).

* ``literature``: the convention of SNN papers, every synaptic operation a 32-bit float
  add (0.9 pJ) and every ANN multiply-accumulate a 32-bit float multiply plus add (4.6 pJ).
* ``integer_memory``: what a fixed-point datapath does. An SNN synaptic operation is an
  integer add at the membrane width; an ANN MAC an integer multiply of two words of the
  weight width plus an add at the accumulator width; and both read one weight from SRAM.
  A neuron update (a membrane addition or threshold comparison that reads no weight) is an
  add at the membrane width (literature: a float add).
  Integer add energy scales with the width (8-bit 0.03 pJ, 32-bit 0.1 pJ), multiply with
  its square (8-bit 0.2 pJ, 32-bit 3.1 pJ); an 8 kB SRAM reads 64 bits for 10 pJ.
"""

from __future__ import annotations

E_AC_PJ = 0.9  # 32-bit float add
E_MAC_PJ = 4.6  # 32-bit float multiply (3.7 pJ) + add (0.9 pJ)
INT_ADD_PJ_PER_BIT = 0.1 / 32  # 32-bit add 0.1 pJ (8-bit: 0.03)
INT_MULT_8BIT_PJ = 0.2  # 8 x 8-bit multiply; scales with the square of the width
SRAM_PJ_PER_BIT = 10.0 / 64  # 8 kB SRAM, 64-bit read
MODELS = ("literature", "integer_memory")


def snn_op_pj(model: str, membrane_bits: int, weight_bits: int) -> float:
    """Energy of one synaptic operation (pJ)."""
    if model == "literature":
        return E_AC_PJ
    if model == "integer_memory":
        return membrane_bits * INT_ADD_PJ_PER_BIT + weight_bits * SRAM_PJ_PER_BIT
    raise ValueError(f"energy model must be one of {', '.join(MODELS)}, not {model!r}")


def update_pj(model: str, membrane_bits: int) -> float:
    """Energy of one neuron update: an addition at the membrane width that reads no weight (pJ)."""
    if model == "literature":
        return E_AC_PJ
    if model == "integer_memory":
        return membrane_bits * INT_ADD_PJ_PER_BIT
    raise ValueError(f"energy model must be one of {', '.join(MODELS)}, not {model!r}")


def ann_mac_pj(model: str, weight_bits: int, accumulator_bits: int) -> float:
    """Energy of one multiply-accumulate (pJ)."""
    if model == "literature":
        return E_MAC_PJ
    if model == "integer_memory":
        mult = INT_MULT_8BIT_PJ * (weight_bits / 8) ** 2
        return mult + accumulator_bits * INT_ADD_PJ_PER_BIT + weight_bits * SRAM_PJ_PER_BIT
    raise ValueError(f"energy model must be one of {', '.join(MODELS)}, not {model!r}")


def energy_uj(synaptic_ops: float, macs: float, model: str, *, membrane_bits: int, weight_bits: int,
              accumulator_bits: int, updates: float = 0) -> float:
    """Energy per image (uJ) of ``synaptic_ops`` SNN operations plus ``macs`` MACs plus ``updates`` neuron updates."""
    return (synaptic_ops * snn_op_pj(model, membrane_bits, weight_bits)
            + macs * ann_mac_pj(model, weight_bits, accumulator_bits)
            + updates * update_pj(model, membrane_bits)) * 1e-6


def energy_table(ops: float, macs: float, *, membrane_bits: int, weight_bits: int, accumulator_bits: int) -> dict:
    """Energy per image (uJ) of ``ops`` synaptic operations and, beside it, of ``macs`` ANN multiply-accumulates,
    under every model: ``{model: {"snn_uj", "ann_uj", "ratio"}}`` (``ratio`` None without MACs)."""
    out = {}
    for model in MODELS:
        widths = dict(membrane_bits=membrane_bits, weight_bits=weight_bits, accumulator_bits=accumulator_bits)
        snn, ann = energy_uj(ops, 0, model, **widths), energy_uj(0, macs, model, **widths)
        out[model] = {"snn_uj": snn, "ann_uj": ann, "ratio": snn / ann if ann else None}
    return out
