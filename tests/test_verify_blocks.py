"""Block tests under Icarus and Verilator: Spike ROM, direct input, XBAR, LIF layer, ANN layer and event buffer against the
golden model.

Seeded random contents; the pause and back-pressure patterns of the streams
(`verify.tb.patterns`) are parameters of the cases like the rest; each
parameter set has its own build folder under ``sim_builds/tests/blocks``,
so reruns only simulate.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from model.snn.golden import encode_spikes, run_layer
from model.snn.ramp import fire
from verify.blocks import AnnLayerCase, DirectInputCase, EventBufferCase, LifCase, SpikeRomCase, XbarCase, run_case
from verify.coverage import RTL_POINTS, SKID, output_fifo_can_fill
from verify.sim import SIMULATORS

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "blocks"

SPIKE_ROM = [
    SpikeRomCase(n_inputs=13, timesteps=6, input_bits=5, vectors=3, seed=1),
    SpikeRomCase(n_inputs=13, timesteps=7, input_bits=3, vectors=3, seed=2, coding="ttfs"),  # one spike per input at X_i
    # TTFS lists: 20 inputs in 4 times (long lists, consecutive inputs of one list), a single input, empty steps
    SpikeRomCase(n_inputs=20, timesteps=3, input_bits=2, vectors=2, seed=6, coding="ttfs"),
    SpikeRomCase(n_inputs=1, timesteps=4, input_bits=2, vectors=3, seed=7, coding="ttfs"),
    SpikeRomCase(n_inputs=3, timesteps=9, input_bits=4, vectors=2, seed=8, coding="ttfs"),
    # the bit-reversed step as threshold: T > 2^R wraps around, T < 2^R uses part of the sequence
    SpikeRomCase(n_inputs=5, timesteps=11, input_bits=3, vectors=3, seed=3, coding="stratified"),
    SpikeRomCase(n_inputs=1, timesteps=6, input_bits=5, vectors=2, seed=4, coding="stratified"),
    SpikeRomCase(n_inputs=1, timesteps=9, input_bits=4, vectors=2, seed=5),  # one input: one read per word
    SpikeRomCase(n_inputs=13, timesteps=6, input_bits=5, vectors=2, seed=1, accept="always"),  # never stalled
    SpikeRomCase(n_inputs=13, timesteps=7, input_bits=3, vectors=2, seed=2, coding="ttfs", accept="bursts 1 4"),
]
DIRECT_INPUT = [
    DirectInputCase(n_inputs=13, n_out=10, lanes=4, weight_bits=6, input_bits=4, timesteps=5, vectors=3, seed=1),  # G = 3
    DirectInputCase(n_inputs=5, n_out=3, lanes=4, weight_bits=8, input_bits=8, timesteps=3, vectors=2, seed=2),  # G = 1
    DirectInputCase(n_inputs=1, n_out=4, lanes=1, weight_bits=3, input_bits=2, timesteps=4, vectors=2, seed=3),  # N_0 = 1
    DirectInputCase(n_inputs=5, n_out=3, lanes=4, weight_bits=8, input_bits=8, timesteps=3, vectors=2, seed=2,
                    accept="bursts 1 5"),  # each marker held back
]
XBAR = [
    XbarCase(n_in=5, n_out=10, lanes=4, weight_bits=6, seed=2),  # P does not divide N: G = 3, 2 padding lanes
    XbarCase(n_in=4, n_out=3, lanes=8, weight_bits=4, seed=3),  # P > N: G = 1, a new event every cycle
    XbarCase(n_in=3, n_out=5, lanes=1, weight_bits=8, seed=4),  # one lane
    # never paused: an event taken every cycle
    XbarCase(n_in=4, n_out=3, lanes=8, weight_bits=4, seed=3, offer="always", enable="always"),
    XbarCase(n_in=5, n_out=10, lanes=4, weight_bits=6, seed=2, offer="bursts 5 2", enable="bursts 2 3"),  # long stalls
]
# every neuron fires at every step and the output is almost never ready: back-to-back sweeps with
# every group pushed, so the fire FIFO must hold two steps plus the pushes still in the pipeline
EVERY_STEP = LifCase(n_in=4, n_out=12, lanes=3, weight_bits=4, membrane_bits=10, reset="subtract", leak_shift=None,
                     timesteps=8, seed=7, input_rate=0.0, bias_range=0, bias_offset=40, accept="random 0.03")
LIF = [
    # narrow membranes (m = 7) with full-range weights: saturation on most steps
    LifCase(n_in=12, n_out=10, lanes=4, weight_bits=6, membrane_bits=7, reset="subtract", leak_shift=None, timesteps=10, seed=3),
    LifCase(n_in=12, n_out=10, lanes=4, weight_bits=6, membrane_bits=7, reset="zero", leak_shift=2, timesteps=10, seed=5),
    # G = 1: the same membrane word is read and written in back-to-back cycles
    LifCase(n_in=5, n_out=3, lanes=4, weight_bits=5, membrane_bits=8, reset="zero", leak_shift=1, timesteps=12, seed=4),
    # strong bias, many spikes, an output that is rarely ready: the fire FIFO backs up and the sweep waits
    LifCase(n_in=6, n_out=7, lanes=3, weight_bits=4, membrane_bits=8, reset="subtract", leak_shift=3, timesteps=9, seed=6,
            bias_range=20, accept="random 0.15"),
    EVERY_STEP,
    # TTFS: reset to the floor, so each neuron fires at most once; full-range weights, no bias
    LifCase(n_in=12, n_out=10, lanes=4, weight_bits=6, membrane_bits=11, reset="floor", leak_shift=None, timesteps=12, seed=9,
            bias_range=0),
    # TTFS with sparse input: most steps have no input event, so the layer passes their markers on unswept
    LifCase(n_in=8, n_out=9, lanes=4, weight_bits=6, membrane_bits=11, reset="floor", leak_shift=None, timesteps=20, seed=10,
            input_rate=0.04, bias_range=0, accept="random 0.5"),
    # G = 1 and no input spikes: sweeps of the same group in back-to-back cycles (counter forwarding)
    LifCase(n_in=3, n_out=3, lanes=4, weight_bits=4, membrane_bits=8, reset="subtract", leak_shift=None, timesteps=16, seed=8,
            input_rate=0.0, bias_range=6, bias_offset=4, accept="always"),
]

ANN_LAYER = [
    # G = 3 with 2 padding lanes, each variant
    AnnLayerCase(n_in=12, n_out=10, lanes=4, weight_bits=6, timesteps=12, dense=True, seed=1),
    AnnLayerCase(n_in=12, n_out=10, lanes=4, weight_bits=6, timesteps=12, dense=False, seed=2),
    # G = 1: the same accumulator word read and written in back-to-back cycles (forwarding)
    AnnLayerCase(n_in=5, n_out=3, lanes=4, weight_bits=5, timesteps=8, dense=False, seed=4, zero_rate=0.0),
    # an output that is rarely ready: the FIFO fills and the next image's marker waits for it to drain
    AnnLayerCase(n_in=6, n_out=9, lanes=3, weight_bits=4, timesteps=15, dense=True, seed=4, accept="random 0.1"),
    # T = 32 (6-bit values), one lane, never stalled
    AnnLayerCase(n_in=4, n_out=5, lanes=1, weight_bits=8, timesteps=32, dense=False, seed=5, offer="always",
                 accept="always"),
    # all but the first image without input events: the outputs are the biases' alone
    AnnLayerCase(n_in=7, n_out=6, lanes=2, weight_bits=4, timesteps=10, dense=False, seed=6, zero_rate=1.0, top=0.5),
]


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", SPIKE_ROM, ids=lambda c: c.name)
def test_spike_rom(case, sim):
    result = run_case(case, sim, ROOT)
    assert not result["error"], result["error"]
    assert len(result["runs"]) == 2 * case.vectors and all(r["ok"] for r in result["runs"])
    x = np.array(case.build(ROOT)[1]["noise_x"])
    total = encode_spikes(x, case.config()).sum(axis=(1, 2))
    assert [r["spikes"] for r in result["runs"]] == [int(n) for n in np.repeat(total, 2)]


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", DIRECT_INPUT, ids=lambda c: c.name)
def test_direct_input(case, sim):
    result = run_case(case, sim, ROOT)
    assert not result["error"], result["error"]
    runs = result["runs"]
    assert len(runs) == case.vectors and all(r["ok"] for r in runs)
    full = next(r for r in runs if r["vector"] == 0)["current"]  # every X_i = 2^R: B + 2^R sum_i W
    net = case.network()
    assert full == (net.biases[0] + (net.weights[0].sum(axis=1) << case.input_bits)).tolist()


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", XBAR, ids=lambda c: c.name)
def test_xbar(case, sim):
    result = run_case(case, sim, ROOT)
    assert not result["error"], result["error"]
    assert result["events"] == case.events


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", LIF, ids=lambda c: c.name)
def test_lif_layer(case, sim):
    result = run_case(case, sim, ROOT)
    assert not result["error"], result["error"]
    assert len(result["images"]) == case.images and all(r["ok"] and r["spikes"] > 0 for r in result["images"])


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", ANN_LAYER, ids=lambda c: c.name)
def test_ann_layer(case, sim):
    result = run_case(case, sim, ROOT)
    assert not result["error"], result["error"]
    assert len(result["images"]) == case.images and all(r["ok"] for r in result["images"])


@pytest.mark.parametrize("case", ANN_LAYER, ids=lambda c: c.name)
def test_ann_cases_reach_zero_and_saturation(case):
    """Every case's outputs include 0 and ``T``, and all but the bias-only case values between them."""
    d = case.data()
    values = fire(d["activations"] @ d["weights"].T + d["biases"], d["threshold"], case.timesteps)
    assert (values == 0).any() and (values == case.timesteps).any()
    assert case.zero_rate == 1.0 or ((values > 0) & (values < case.timesteps)).any()


def test_floor_case_fires_each_neuron_at_most_once():
    case = next(c for c in LIF if c.reset == "floor")
    d = case.data()
    spikes, _ = run_layer(d["weights"], d["biases"], d["threshold"], case.config(), d["spikes"])
    per_neuron = spikes.sum(axis=1)
    assert per_neuron.max() == 1 and (per_neuron == 0).any()


@pytest.mark.parametrize("case", LIF[:2], ids=lambda c: c.name)
def test_lif_cases_exercise_saturation(case):
    """The narrow-membrane cases are not vacuous: with wide membranes the same inputs give other spikes."""
    d = case.data()
    narrow, _ = run_layer(d["weights"], d["biases"], d["threshold"], case.config(), d["spikes"])
    wide_config = dataclasses.replace(case.config(), membrane_bits=40)
    wide, _ = run_layer(d["weights"], d["biases"], d["threshold"], wide_config, d["spikes"])
    assert not np.array_equal(narrow, wide)


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_only_back_pressure_fills_the_fire_fifo(sim):
    """The same design with an always-ready consumer (whose fire FIFO cannot fill, `output_fifo_can_fill`) and
    with one ready one cycle in 13: only the second reaches the FIFO-full bin and holds sweeps back for it."""
    free, blocked = dataclasses.replace(EVERY_STEP, accept="always"), dataclasses.replace(EVERY_STEP, accept="bursts 1 12")
    assert not output_fifo_can_fill(free.config())
    free, blocked = run_case(free, sim, ROOT), run_case(blocked, sim, ROOT)
    assert not free["error"] and not blocked["error"], free["error"] or blocked["error"]
    assert free["stalls"]["output_stalls"] == 0 and free["coverage"]["L1 fire FIFO full"] == 0
    assert blocked["coverage"]["L1 fire FIFO full"] > 0
    assert blocked["coverage"]["L1 sweep held by the FIFO"] > free["coverage"]["L1 sweep held by the FIFO"]


EVENT_BUFFER = [
    EventBufferCase(n=10, seed=9),  # random pauses and back-pressure
    EventBufferCase(n=10, seed=9, offer="always", accept="bursts 2 3"),  # back-pressure only
    EventBufferCase(n=10, seed=9, offer="bursts 3 2", accept="always"),  # pauses only
]


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", EVENT_BUFFER, ids=lambda c: c.name)
def test_event_buffer(case, sim):
    """Every event in order under the case's patterns, then one a cycle back to back; back-pressure (and only
    back-pressure) fills the skid register and stalls the input."""
    result = run_case(case, sim, ROOT)
    assert not result["error"], result["error"]
    assert result["full_rate_cycles"] == case.events + 1
    patterned, back_pressure = result["patterned"], case.accept != "always"
    assert (result["coverage"][SKID] > 0) == back_pressure and (patterned["input_stalls"] > 0) == back_pressure
    assert (patterned["paused"] > 0) == (case.offer != "always")


@pytest.mark.sim
def test_the_lif_cases_together_hit_every_rtl_coverage_bin():
    """The directed LIF cases above close every RTL bin of `verify.coverage` (the fire FIFO full, the sweep held,
    each forwarding path) that a one-layer design has; counted by the wrapper from the layer's own signals."""
    hit = set()
    for case in LIF:
        result = run_case(case, "icarus", ROOT)
        assert not result["error"], result["error"]
        hit |= {name.removeprefix("L1 ") for name, n in result["coverage"].items() if n > 0}
    assert hit == set(RTL_POINTS) - {SKID}


KIT = {"streams.py"}  # the only files of verify/tb/ that may drive a handshake
HANDSHAKE = re.compile(r"(valid|ready)\b")


def handshake_writes(source: str) -> list[int]:
    """The lines of ``source`` that assign a ``valid`` or ``ready`` signal: a target ``<x>.value`` whose
    ``<x>`` names one (``dut.events__ready``, ``self.valid``, ``getattr(dut, f"{port}__valid")``), or names a
    loop variable running over literals of which one does (``for name in ("start", "events__ready")``)."""
    tree = ast.parse(source)
    loops: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, (ast.Tuple, ast.List)):
            loops.setdefault(node.target.id, []).extend(ast.unparse(e) for e in node.iter.elts)
    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if not (isinstance(t, ast.Attribute) and t.attr == "value"):
                    continue
                text = ast.unparse(t.value)
                named = [text] + [v for name, values in loops.items() if re.search(rf"\b{name}\b", text) for v in values]
                if any(HANDSHAKE.search(n) for n in named):
                    lines.append(node.lineno)
    return lines


def test_no_testbench_drives_a_handshake_by_hand():
    """Only the kit (`verify.tb.streams`) assigns ``valid`` or ``ready``; every testbench drives its streams
    through it. The check itself finds the kit's own assignments and the forms the testbenches once used."""
    tb = Path(__file__).resolve().parent.parent / "verify" / "tb"
    poked = {f"{p.relative_to(tb)}:{n}" for p in tb.rglob("*.py") if p.name not in KIT
             for n in handshake_writes(p.read_text())}
    assert not poked, f"handshakes assigned outside the kit: {sorted(poked)}"
    assert handshake_writes((tb / "streams.py").read_text())
    for form in ["dut.events__ready.value = 0", "d.events__valid.value = int(offer)", "self.valid.value = 1",
                 "dut.vector.value, dut.i__valid.value = 1, 1", 'getattr(dut, f"{port}__ready").value = 1',
                 'for name in ("start", "events__ready"):\n    getattr(dut, name).value = 0']:
        assert handshake_writes(form) == [form.count("\n") + 1], form
