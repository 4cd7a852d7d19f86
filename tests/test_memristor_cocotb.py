"""cocotb under Icarus and Verilator: the 1M4T synapse over random spike-timing pairs
and the on-chip-learning top over 100 training iterations, both bit-exact with
``model.memristor.fixed`` (identical states, spike counts and spike trains)."""

import numpy as np
import pytest

from hw.memristor.synapse import Synapse
from hw.memristor.top import MemristorGanTop
from model.memristor.data import mix_seed
from model.memristor.fixed import build_spec
from model.memristor.gan import GanParams, small_params
from verify.memristor import runner
from verify.sim import SIMULATORS

pytestmark = [pytest.mark.sim, pytest.mark.slow]


@pytest.mark.parametrize("sim", SIMULATORS)
def test_synapse_updates_match_the_fixed_model(sim):
    spec = build_spec(GanParams())
    plan = {"preset": "paper", "layer": "gen", "seed": 1, "vectors": 2000}
    r = runner.simulate(sim, Synapse(spec, spec.gen), "memristor_synapse", "verify.tb.memristor_synapse", plan)
    assert r["mismatch_count"] == 0
    assert r["changed"] > 300 and r["clamped"] > 10  # the vectors reached learning and both clamps


@pytest.mark.parametrize("sim", SIMULATORS)
def test_top_learns_on_chip_bit_exact_for_100_iterations(sim):
    p = small_params()
    target = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0])
    plan = {"preset": "small", "seed": mix_seed(6), "target": target.tolist(), "iterations": 100}
    r = runner.simulate(sim, MemristorGanTop(p, build_spec(p)), "memristor_top_small", "verify.tb.memristor_top", plan)
    final = r["final"]
    assert r["iterations"] == 100 and r["mismatches"] == []
    assert final["g_states_equal"] and final["d_states_equal"] and final["last_fake_counts_equal"]
    assert final["g_states_changed"] > 0 and final["d_states_changed"] > 0
    assert sum(rec[4] for rec in r["records"]) > 100  # the generator spiked throughout


@pytest.mark.parametrize("argv", [["--iterations", "0"], ["--iterations", "65536"], ["--seed", "-1"]])
def test_hardware_check_cli_rejects_bad_options(argv, capsys):
    """``python -m verify memristor`` (the RTL check that left ``model memristor``) refuses before simulating."""
    from verify.__main__ import main

    assert main(["memristor", *argv]) == 2
    assert capsys.readouterr().err.startswith("error: ")
