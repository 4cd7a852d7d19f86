"""The ANN twin (`hw.ann_twin`): an exact-TTFS network computed as an integer ANN from the same memories, dense
and zero-skipping, checked on Icarus and Verilator against the same golden model as the spiking generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from amaranth import Cat, Module, Signal, signed
from amaranth.sim import Simulator

from hw.ann_layer import quotient_digits
from hw.ann_twin import DESIGNS
from hw.build import ann_mem_files, build_generator
from model.common.errors import UserError
from model.snn import ramp
from model.snn.config import ACTIVATION_FILE, RAMP, IntNetwork, SnnConfig
from model.snn.export import export_network, load
from model.snn.golden import random_network
from verify.perf import below_bound
from verify.sim import SIMULATORS
from verify.system import random_export, run_fpga_top, run_generator, sim_build

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "ann"


@pytest.mark.parametrize("divisor, top", [(1, 1), (1, 8), (3, 8), (5, 12), (7, 32)])
def test_restoring_division_over_the_quotient_bits_is_floor_division(divisor, top):
    """`quotient_digits` over the bits of ``0 .. top``, in two halves as the read-out does, give ``x // divisor``
    for every ``0 <= x < top * divisor`` (the read-out clamps the rest)."""
    m = Module()
    x = Signal(signed(16))
    bits = top.bit_length()
    rest, high = quotient_digits(m, x, divisor, range(bits - 1, bits // 2 - 1, -1), "q")
    _, low = quotient_digits(m, rest, divisor, range(bits // 2 - 1, -1, -1), "q")
    q = Cat(*reversed(low), *reversed(high))
    sim = Simulator(m)

    async def bench(ctx):
        for v in range(top * divisor):
            ctx.set(x, v)
            assert ctx.get(q) == v // divisor, (v, divisor, top)

    sim.add_testbench(bench)
    sim.run()


def test_the_activation_rom_holds_T_minus_each_inputs_spike_time():
    config = SnnConfig(sizes=(4, 3), timesteps=8, membrane_bits=16, lanes=2, **RAMP)
    net = ramp.random_network(config, seed=1)
    x = np.array([[0, 3, 8, 7], [8, 8, 1, 0]])
    words, width = ann_mem_files(net, x)[ACTIVATION_FILE]
    assert words == [8, 5, 0, 1, 0, 0, 7, 8] and width == 4


def test_the_twin_takes_exact_ttfs_networks_only(tmp_path):
    rate = random_network(SnnConfig(sizes=(4, 3), timesteps=8, lanes=2), seed=1)
    with pytest.raises(UserError, match="exact-TTFS networks"):
        build_generator(rate, np.zeros((1, 4), dtype=np.int64), tmp_path, run_lint=False, design="ann-skip")
    net = ramp.random_network(SnnConfig(sizes=(4, 3), timesteps=8, membrane_bits=16, lanes=2, **RAMP), seed=1)
    with pytest.raises(UserError, match="design 'ann'"):
        build_generator(net, np.zeros((1, 4), dtype=np.int64), tmp_path, run_lint=False, design="ann")


def _run(net: IntNetwork, u, folder: Path, sim: str, design: str, registers: bool = False):
    ex = load(export_network(net, folder / "snn", u))
    images = [{"vector": v, "encode": 0} for v in range(len(u))]
    build = sim_build(ex, ROOT / folder.name / sim, run_lint=True, design=design, registers=registers)
    result, arrays = run_generator(ex, sim, build, images)
    assert not result["error"], result["error"]
    assert len(result["images"]) == len(images) and below_bound(result["images"]) is None
    assert all(im["ok"] and im["mse_vs_golden"] == 0.0 for im in result["images"])
    return ex, result, arrays


@pytest.mark.sim
@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("sim", SIMULATORS)
def test_tiny_twin_equals_the_golden_model(tmp_path, sim, design):
    """Every layer's activations (as the spike times a ramp neuron would fire at) equal the closed form; the
    dense twin takes ``G`` slots per input, the zero-skipping one per non-zero input."""
    config = SnnConfig(sizes=(10, 9, 7, 6), timesteps=12, membrane_bits=20, lanes=4, **RAMP)
    net = ramp.random_network(config, seed=5, weight_scale=0.4, bias_scale=0.5)
    u = np.random.default_rng(0).random((3, 10))
    u[-1] = 0.0  # no input at all: every accumulator stays 0
    ex, result, arrays = _run(net, u, tmp_path / f"tiny-{design}", sim, design)
    values = ramp.values(net, ex.noise_x)
    for k, im in enumerate(result["images"]):
        for l in range(1, config.layers + 1):
            trains = arrays[f"image{k}_spikes{l}"]
            np.testing.assert_array_equal(config.timesteps - ramp.spike_times(trains), values[l][im["vector"]])
        events = im["cycle_budget"]["events"]
        assert events[0] == (10 if design == "ann-dense" else int((values[0][im["vector"]] > 0).sum()))
    assert all(values[l].any() and not values[l].all() for l in range(1, 4))


@pytest.mark.sim
@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("sim", SIMULATORS)
def test_the_read_out_on_its_boundaries(tmp_path, sim, design):
    """One word per layer and sums at theta, above it, at R, at R - 1, at 0 and below: q = T, T, 1, 0, 0, 0, 2, 1."""
    t, r = 8, 3
    theta = t * r
    b = np.array([theta, theta + 5, r, r - 1, 0, -4, 2 * r, 2 * r - 1])
    config = SnnConfig(sizes=(3, 8, 8), timesteps=t, membrane_bits=16, lanes=8, **RAMP)
    w2 = np.eye(8, dtype=np.int64) * 3  # layer 2 gives back layer 1's values: floor(3 q / 3)
    net = IntNetwork(config, [np.zeros((8, 3), dtype=np.int64), w2], [b, np.zeros(8, dtype=np.int64)], [theta, theta])
    u = np.array([[0.0, 0.5, 1.0], [1.0, 1.0, 1.0]])
    _, _, arrays = _run(net, u, tmp_path / f"boundaries-{design}", sim, design)
    for l in (1, 2):
        np.testing.assert_array_equal(t - ramp.spike_times(arrays[f"image0_spikes{l}"]), [8, 8, 1, 0, 0, 0, 2, 1])


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_the_fpga_top_around_the_twin_reads_the_golden_models_counts(tmp_path, sim):
    config = SnnConfig(sizes=(10, 9, 6), timesteps=12, membrane_bits=20, lanes=4, **RAMP)
    net = ramp.random_network(config, seed=2, weight_scale=0.4, bias_scale=0.5)
    ex = load(export_network(net, tmp_path / "snn", np.random.default_rng(3).random((2, 10))))
    result = run_fpga_top(ex, sim, ROOT / f"fpga-{sim}", [{"vector": v, "encode": 0} for v in range(2)],
                          design="ann-skip")
    assert not result["error"] and len(result["images"]) == 2
    assert all(not any(im["mismatched_neurons"]) for im in result["images"])


@pytest.mark.sim
@pytest.mark.parametrize("design", ("snn", *DESIGNS))
def test_activity_counters_agree_on_both_simulators_and_with_the_golden_model(tmp_path, design):
    """The slots of every kind, per layer and image, are the same on Icarus and Verilator; the event slots are
    ``G`` per input the golden model sends (`verify.activity.slot_check`, checked in the testbench)."""
    from verify.activity import expected_event_slots

    config = SnnConfig(sizes=(10, 9, 6), timesteps=8, membrane_bits=20, lanes=4, **RAMP)
    net = ramp.random_network(config, seed=7, weight_scale=0.4, bias_scale=0.5)
    u = np.random.default_rng(4).random((2, 10))
    counted = []
    for sim in SIMULATORS:
        ex, result, _ = _run(net, u, tmp_path / f"activity-{design}-{sim}", sim, design, registers=True)
        counted.append([im["activity"] for im in result["images"]])
    assert counted[0] == counted[1]
    gold = [ramp.values(net, ex.noise_x)[l] > 0 for l in range(config.layers + 1)]
    for k, act in enumerate(counted[0]):
        spikes = [g[k][None] for g in gold]
        assert [act[f"L{l} event slots"] for l in (1, 2)] == expected_event_slots(config, design, spikes)
        kinds = {"snn": ("integrate", "fire"), "ann-dense": ("read-out",), "ann-skip": ("read-out",)}[design]
        for l in (1, 2):
            for kind in kinds:
                per_window = config.groups(l) * (config.timesteps if design == "snn" else 1)
                assert act[f"L{l} {kind} slots"] == per_window
            want = _fifo_words(config, design, l, ramp.values(net, ex.noise_x)[l][k])
            assert act[f"L{l} FIFO writes"] == act[f"L{l} FIFO reads"] == want


def _fifo_words(config: SnnConfig, design: str, l: int, q) -> int:
    """The words layer ``l``'s output FIFO takes for its values ``q``: per firing step of the SNN (the neurons
    firing at ``T - q``) or once for a twin (every neuron, or the non-zero ones), a word per group with something
    to send, and the last group's word, with the marker, always."""
    t, p, g = config.timesteps, config.lanes, config.groups(l)
    padded = np.zeros(g * p, dtype=np.int64)
    padded[: len(q)] = q
    if design == "snn":
        sends = np.array([(padded > 0) & (t - padded == k) for k in range(t)])
    else:
        sends = ((padded > 0) | (design == "ann-dense"))[None]
    per_group = sends.reshape(len(sends), g, p).any(-1)
    return int(per_group[:, :-1].sum()) + len(sends)


def test_a_slot_count_off_by_one_is_named():
    from verify.activity import slot_check

    config = SnnConfig(sizes=(4, 9), timesteps=8, membrane_bits=16, lanes=4, **RAMP)
    spikes = [np.array([[1, 0, 1, 1]])]
    assert slot_check(config, "ann-skip", spikes, {"L1 event slots": 9}) is None
    assert "10 event slots counted" in slot_check(config, "ann-skip", spikes, {"L1 event slots": 10})
    assert slot_check(config, "ann-dense", spikes, {"L1 event slots": 12}) is None
    fifo = {"L1 event slots": 9, "L1 FIFO writes": 3, "L1 FIFO reads": 2}
    assert "3 words written to its output FIFO, 2 read" in slot_check(config, "ann-skip", spikes, fifo)


def test_the_energy_page_shows_the_tables_figures():
    """docs/energy.md's per-event table is the one `model.snn.event_energy` prices with."""
    from model.snn import event_energy as e

    page = (Path(__file__).resolve().parent.parent / "docs" / "energy.md").read_text()
    table = page.split("<!-- energy-table:begin -->")[1].split("<!-- energy-table:end -->")[0]
    for bits, pj in e.ADD_PJ.items():
        assert f"| integer add, {bits}-bit | {pj:g} pJ |" in table
    assert f"| integer multiply, 8-bit | {e.MULTIPLY_8_PJ:g} pJ |" in table
    assert e.multiply_pj(32, 32) == pytest.approx(3.2) and "| integer multiply, 32-bit | 3.1 pJ |" in table
    for size, pj in e.SRAM_64_PJ:
        label = f"{size // 1024} kB" if size < 1024 * 1024 else f"{size // (1024 * 1024)} MB"
        assert f"| SRAM read, 64 bits, {label} | {pj:g} pJ |" in table
        assert e.sram_pj(size * 8 // 64, 64) == pytest.approx(pj)
    assert e.add_pj(8) == pytest.approx(0.03) and e.add_pj(32) == pytest.approx(0.1)
    assert f"| flip-flop, a clock cycle, data held | {e.FLIP_FLOP_CLOCK_FJ:g} fJ |" in table
    assert f"| flip-flop, a bit that changes | {e.FLIP_FLOP_CHANGE_FJ:g} fJ |" in table
    assert f"| flip-flop leakage | {e.FLIP_FLOP_LEAKAGE_NW:g} nW | every flip-flop, over the image's cycles at " \
           f"{e.LEAKAGE_CLOCK_MHZ:g} MHz |" in table
    assert f"| SRAM bit leakage | {e.SRAM_BIT_LEAKAGE_NW:g} nW |" in table


@pytest.mark.sim
def test_compare_reports_every_design_on_the_same_vectors(tmp_path, monkeypatch):
    """`spikegan compare` on a tiny exact-TTFS export: every design bit-exact, energy by component from activity
    beside both op-count models, and each ratio to the zero-skipping twin; the area of every design and the Fmax
    of the export's own (synthesis stood in for by a stub that records what it was asked)."""
    from verify import compare as cmp
    from verify.compare import all_checks_pass, compare

    asked = []

    def synth(manifest, design, out, target, ecp5_part):
        asked.append((Path(manifest).parent.name, design, target))
        if target == "xc7":
            return {"lut": 100, "ff": 50, "bram36_equiv": 1.5, "dsp": 2}
        return {"ecp5_fmax_mhz": 80.0, "ecp5_target": "ECP5-85F"}

    monkeypatch.setattr(cmp, "_synth", synth)

    config = SnnConfig(sizes=(10, 9, 6), timesteps=8, membrane_bits=20, lanes=4, **RAMP)
    net = ramp.random_network(config, seed=7, weight_scale=0.4, bias_scale=0.5)
    manifest = export_network(net, tmp_path / "snn", np.random.default_rng(4).random((2, 10)))
    rate = random_export(tmp_path / "rate", SnnConfig(sizes=(10, 9, 6), timesteps=8, lanes=4, coding="direct",
                                                      membrane_bits=20), seed=3, bias_scale=2)
    report = compare(manifest, SIMULATORS, 2, tmp_path / "compare", also=[rate])
    rows = {r["key"]: r for r in report["rows"]}
    assert sorted(asked) == sorted([("snn", d, t) for d in ("snn", "ann-dense", "ann-skip") for t in ("xc7", "ecp5")]
                                   + [("rate", "snn", "xc7")])
    assert rows["ann-skip"]["synth"]["dsp"] == 2 and rows["ann-skip"]["images_per_s"] == 80e6 / rows["ann-skip"]["cycles"]
    assert "ecp5_fmax_mhz" not in rows["also1"]["synth"] and rows["also1"]["images_per_s"] is None
    assert set(rows) == {"snn", "ann-dense", "ann-skip", "also1"} and all_checks_pass(report)
    assert rows["also1"]["label"] == "direct-coded SNN (T = 8)" and rows["also1"]["ops"]["macs"] == 10 * 9
    assert all(set(r["bit_exact"]) == set(SIMULATORS) for r in rows.values())
    assert rows["ann-dense"]["ops"]["macs"] == 10 * 9 + 9 * 6
    assert rows["ann-skip"]["ops"]["macs"] < rows["ann-dense"]["ops"]["macs"]
    assert all(v > 0 for r in rows.values() for v in r["energy_pj"].values())
    assert report["ratios"]["ann-skip"]["energy_activity"] == 1.0
    assert rows["ann-dense"]["activity"]["L1 event slots"] == 10 * config.groups(1)
    text = (tmp_path / "compare" / "compare.md").read_text()
    assert "Against the zero-skipping ANN twin" in text and (tmp_path / "compare" / "compare.png").is_file()
    assert "| 100 | 50 | 1.5 | 2 | 80.0 |" in text and "`--also-fmax` places and routes them too" in text


def test_compare_runs_its_longest_jobs_first_and_passes_a_failure_on():
    from verify.compare import run_jobs

    started = []

    def job(key):
        def call():
            started.append(key)
            return key
        return call

    jobs = {k: job(k) for k in [("a", "verify"), ("a", "xc7"), ("b", "verify"), ("b", "ecp5")]}
    assert run_jobs(jobs, 1) == {k: k for k in jobs}
    assert [k[1] for k in started] == ["ecp5", "xc7", "verify", "verify"]

    def broken():
        raise UserError("the simulator is missing")

    with pytest.raises(UserError, match="simulator is missing"):
        run_jobs({("a", "verify"): broken, ("b", "xc7"): job(("b", "xc7"))}, 2)
