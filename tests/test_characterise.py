"""The register and leakage rows of the per-event energy table (`model.snn.event_energy`) are what ngspice measures
on the FreePDK45 cells (`model.snn.characterise`), and the command refuses to run without its tools."""

from __future__ import annotations

import math

import pytest

from model.common.errors import UserError
from model.snn import characterise as ch
from model.snn import event_energy as e


def _within_its_digits(stated: float, measured: float) -> bool:
    """Whether ``stated`` (three significant digits) is ``measured`` rounded."""
    half_unit = 0.5 * 10 ** (math.floor(math.log10(abs(stated))) - 2)
    return abs(stated - measured) <= half_unit * (1 + 1e-9)


@pytest.mark.slow
def test_the_tables_flip_flop_and_leakage_figures_are_the_characterisations():
    figures = ch.characterise()
    assert _within_its_digits(e.FLIP_FLOP_CLOCK_FJ, figures["flip-flop clock cycle (fJ)"])
    assert _within_its_digits(e.FLIP_FLOP_CHANGE_FJ, figures["flip-flop bit changed (fJ)"])
    assert _within_its_digits(e.FLIP_FLOP_LEAKAGE_NW, figures["flip-flop leakage (nW)"])
    assert _within_its_digits(e.SRAM_BIT_LEAKAGE_NW, figures["SRAM bit leakage (nW)"])


def test_the_figures_are_read_from_the_charges_and_currents():
    """Each bench's charge over `CYCLES` cycles at `VDD`, less its drivers alone; the leakage from mean currents."""
    fj = -1e-15 * ch.CYCLES / ch.VDD  # the charge of 1 fJ a cycle
    q = {f"q_{s}": 0.0 for s in ch.CLOCKED}
    q |= {"q_held0_ff": 1 * fj, "q_held1_ff": 3 * fj, "q_tog_ff": 5 * fj, "q_alone_clk": 0.5 * fj, "q_tog_clk": 0.5 * fj}
    i = {"i_low_ff": -1e-9, "i_high_ff": -3e-9, "i_cell": -1e-9, "i_bl": -1e-9, "i_br": 0.0}
    got = ch.cell_energies(q | i)
    # held: (1 + 3) / 2 less the drivers' 0.5 for nothing = 1.5; toggling 5, the drivers' own subtracted
    assert got["flip-flop clock cycle (fJ)"] == pytest.approx(1.5) and got["flip-flop bit changed (fJ)"] == pytest.approx(3.5)
    assert got["flip-flop leakage (nW)"] == pytest.approx(2 * ch.VDD)
    assert got["SRAM bit leakage (nW)"] == pytest.approx(2 * ch.VDD)


def test_missing_tools_are_named(monkeypatch):
    monkeypatch.setattr(ch.shutil, "which", lambda name: None)
    with pytest.raises(UserError, match="ngspice is not on PATH"):
        ch.run_ngspice("* empty\n.end\n")
    monkeypatch.setattr(ch.importlib.metadata, "version", lambda name: "1.2.0")
    with pytest.raises(UserError, match="openram 1.2.0 is installed, the energy table was characterised on 1.2.48"):
        ch.freepdk45()
    monkeypatch.setattr(ch.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UserError, match="pip install --no-deps openram==1.2.48"):
        ch.freepdk45()


def test_the_energy_of_registers_and_leakage():
    # 10 flip-flops for 100 cycles and 50 changed bits; 1 ms of leakage is 10^6 cycles at 1 GHz
    assert e.register_pj(10, 100, 50) == pytest.approx((1000 * e.FLIP_FLOP_CLOCK_FJ + 50 * e.FLIP_FLOP_CHANGE_FJ) / 1e3)
    seconds = 1e6 / (e.LEAKAGE_CLOCK_MHZ * 1e6)
    assert e.leakage_pj(2, 5, 1e6) == pytest.approx((2 * e.FLIP_FLOP_LEAKAGE_NW + 5 * e.SRAM_BIT_LEAKAGE_NW) * seconds * 1e3)
