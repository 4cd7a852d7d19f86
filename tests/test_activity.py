"""Activity counters of the spiking generators with LIF layers (rate-coded, direct-coded, trained TTFS): the same
under Icarus and Verilator, the event slots (or direct coding's input multiply-accumulates) what the golden model
implies, and a positive energy in every component (`verify.activity`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.snn.config import TTFS, SnnConfig
from model.snn.export import load
from hw.storage import storage
from verify.activity import COMPONENTS, REGISTER_CHANGES, image_energy_pj
from verify.sim import SIMULATORS
from verify.system import random_export, run_generator, sim_build

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "activity"
CONFIGS = {
    "bernoulli": dict(coding="bernoulli"),
    "direct": dict(coding="direct", membrane_bits=20),
    "trained ttfs": dict(TTFS, membrane_bits=20),
}


@pytest.mark.sim
@pytest.mark.parametrize("kind", CONFIGS)
def test_lif_generators_count_their_slots_alike_on_both_simulators(tmp_path, kind):
    # layers of 5 and 3 words: reading layer 1's counts reads beyond layer 2's last word, unknown in Icarus only
    config = SnnConfig(sizes=(10, 9, 6), timesteps=8, lanes=2, **CONFIGS[kind])
    ex = load(random_export(tmp_path / "snn", config, seed=3, bias_scale=0 if kind == "trained ttfs" else 2))
    images = [{"vector": v, "encode": 0} for v in range(2)]
    counted = []
    for sim in SIMULATORS:
        build = sim_build(ex, ROOT / kind.replace(" ", "-") / sim, registers=True)
        result, _ = run_generator(ex, sim, build, images)
        assert not result["error"], result["error"]  # the testbench holds the event slots to the golden model
        counted.append([im["activity"] for im in result["images"]])
    assert counted[0] == counted[1]
    act, cycles = counted[0][0], result["images"][0]["cycles"]
    if kind == "direct":
        assert act["L1 input MAC slots"] == 10 * config.groups(1) and act["L1 current write slots"] == config.groups(1)
        assert "L1 event slots" not in act
    # the cycle counter's lowest bit alone changes every cycle
    assert cycles <= act[REGISTER_CHANGES] < cycles * storage(build.rtl.sources[-1].read_text()).register_bits
    energy = image_energy_pj(config, "snn", act, cycles, {"register_bits": 100, "memory_bits": 1000})
    assert set(energy) == set(COMPONENTS) and all(v > 0 for v in energy.values())
