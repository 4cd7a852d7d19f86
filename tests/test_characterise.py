"""The register and leakage rows of the per-event energy table (`model.snn.event_energy`) are what ngspice measures
on the FreePDK45 cells (`model.snn.characterise`), and the command refuses to run without its tools."""

from __future__ import annotations

import math

import pytest

from model.common.errors import UserError
from model.snn import characterise as ch
from model.snn import event_energy as e


def _three_digits(x: float) -> float:
    return round(x, 2 - int(math.floor(math.log10(abs(x)))))


@pytest.mark.slow
def test_the_tables_flip_flop_and_leakage_figures_are_the_characterisations():
    figures = ch.characterise()
    assert _three_digits(figures["flip-flop clock edge (fJ)"]) == e.FLIP_FLOP_CLOCK_FJ
    assert _three_digits(figures["flip-flop bit changed (fJ)"]) == e.FLIP_FLOP_CHANGE_FJ
    assert _three_digits(figures["flip-flop leakage (nW)"]) == e.FLIP_FLOP_LEAKAGE_NW
    assert _three_digits(figures["SRAM bit leakage (pW)"] / 1e3) == e.SRAM_BIT_LEAKAGE_NW


def test_the_figures_are_read_from_the_charges_and_currents():
    """Each bench's charge over `CYCLES` cycles at `VDD`, less its drivers alone; the leakage from mean currents."""
    q = {f"q_{s}": 0.0 for s in ch.CLOCKED}
    q |= {"q_held_ff": -2e-15 * ch.CYCLES / ch.VDD, "q_tog_ff": -5e-15 * ch.CYCLES / ch.VDD}  # 2 fJ and 5 fJ a cycle
    i = {"i_low_ff": -1e-9, "i_high_ff": -3e-9, "i_cell": -1e-12, "i_bl": -1e-12, "i_br": 0.0}
    got = ch.cell_energies(q | i)
    assert got["flip-flop clock edge (fJ)"] == pytest.approx(2.0) and got["flip-flop bit changed (fJ)"] == pytest.approx(3.0)
    assert got["flip-flop leakage (nW)"] == pytest.approx(2 * ch.VDD)
    assert got["SRAM bit leakage (pW)"] == pytest.approx(2 * ch.VDD)


def test_missing_tools_are_named(monkeypatch):
    monkeypatch.setattr(ch.shutil, "which", lambda name: None)
    with pytest.raises(UserError, match="ngspice is not on PATH"):
        ch.run_ngspice("* empty\n.end\n")
    monkeypatch.setattr(ch.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UserError, match="pip install --no-deps openram"):
        ch.freepdk45()


def test_the_energy_of_registers_and_leakage():
    # 10 flip-flops for 100 cycles and 50 changed bits; 1 ms of leakage is 10^6 cycles at 1 GHz
    assert e.register_pj(10, 100, 50) == pytest.approx((1000 * e.FLIP_FLOP_CLOCK_FJ + 50 * e.FLIP_FLOP_CHANGE_FJ) / 1e3)
    seconds = 1e6 / (e.CLOCK_MHZ * 1e6)
    assert e.leakage_pj(2, 5, 1e6) == pytest.approx((2 * e.FLIP_FLOP_LEAKAGE_NW + 5 * e.SRAM_BIT_LEAKAGE_NW) * seconds * 1e3)
