# amaranth: UnusedElaboratable=no
# (the parameter-check tests construct components that raise and are never elaborated)
"""The RTL generator without a simulator: parameter checks, Verilog without data, memory files, lint."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from hw.build import build_generator, write_rtl
from hw.generator import Generator
from hw.lif import LayerParams, LifLayer
from hw.rom import Rom
from hw.spike_rom import SpikeRom, SpikeRomParams
from hw.verilog import lint
from hw.xbar import Xbar
from model.common.errors import UserError
from model.snn.config import TTFS, IntNetwork, SnnConfig
from model.snn.export import load
from model.snn.golden import encode_noise, random_network
from verify.perf import below_bound, cycle_budget
from verify.system import random_export, sim_build

TINY = SnnConfig(sizes=(12, 9, 7, 10), timesteps=10, lanes=4, weight_bits=6, membrane_bits=12, input_bits=4)


def _layer(**changes) -> LayerParams:
    config = SnnConfig(sizes=(8, 6), lanes=4, weight_bits=6, membrane_bits=12, timesteps=8)
    return dataclasses.replace(LayerParams(config, 1, 20), **changes)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Rom(0, 4, "x.mem"),
        lambda: Rom(8, 4, 'bad"name.mem'),
        lambda: Xbar(4, 0, 2, 8, "w.mem"),
        lambda: Xbar(4, 4, 2, 1, "w.mem"),
        lambda: LifLayer(_layer(threshold=0)),
        lambda: LifLayer(_layer(threshold=1 << 11)),
        lambda: LifLayer(_layer(layer=2)),
        lambda: SpikeRom(SpikeRomParams(10, 8, 8, 0, 1)),
        lambda: SpikeRom(SpikeRomParams(10, 8, 32, 1, 1)),
        lambda: Generator(random_network(TINY, seed=0), 0),
    ],
)
def test_components_refuse_bad_parameters(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize(
    "changes, message",
    [({"reset": "hold"}, "reset must be one of"), ({"weight_bits": 12}, "membrane_bits must be in"),
     ({"leak_shift": 12}, "leak_shift must be"), ({"lanes": 0}, "lanes must be >= 1")],
)
def test_layer_configuration_is_checked_once_by_the_config(changes, message):
    """A layer's reset, widths and leak are the configuration's: `SnnConfig` refuses them, naming the field."""
    with pytest.raises(UserError, match=message):
        dataclasses.replace(_layer().config, **changes)


def test_weights_never_enter_the_verilog(tmp_path):
    """Two networks of one shape give the same Verilog: the data lives only in the $readmemh files."""
    x = encode_noise(np.full((2, TINY.sizes[0]), 0.5), TINY)
    a = build_generator(random_network(TINY, seed=1), x, tmp_path / "a", run_lint=False)
    b = build_generator(random_network(TINY, seed=2, bias_scale=3), x, tmp_path / "b", run_lint=False)
    va, vb = (r.sources[-1].read_text() for r in (a, b))
    assert va == vb and "$readmem" not in va
    for memory in a.sources[:-1]:
        assert "$readmemh(INIT_FILE, mem)" in memory.read_text()
    for l in (1, 2, 3):
        assert f'"layer{l}_weights.mem"' in va and f'"layer{l}_bias.mem"' in va
    assert (tmp_path / "a" / "layer1_weights.mem").read_text() != (tmp_path / "b" / "layer1_weights.mem").read_text()
    info = json.loads((tmp_path / "a" / "rtl.json").read_text())
    assert info["sources"] == ["spikegan_rom.v", "spikegan_ram.v", "spikegan_generator.v"]
    assert (tmp_path / "a" / "files.f").read_text().split() == info["sources"]


def test_memory_files_equal_the_export(tmp_path):
    """At the exported P, `make rtl` writes the exporter's files byte for byte; the ROMs are their concatenation."""
    manifest = random_export(tmp_path / "export", TINY, seed=4, vectors=3)
    build = sim_build(load(manifest), tmp_path / "build")
    rtl, exp = build.rtl.out_dir, tmp_path / "export"
    for l in (1, 2, 3):
        for kind in ("weights", "bias"):
            assert (rtl / f"layer{l}_{kind}.mem").read_bytes() == (exp / f"layer{l}_{kind}.mem").read_bytes()
    for kind, rom in (("spikes", "spike_rom"), ("noise", "noise_rom")):
        joined = "".join((exp / f"vector{n}_{kind}.mem").read_text() for n in range(3))
        assert (rtl / f"{rom}.mem").read_text() == joined


def test_other_lane_counts_repack_the_same_network(tmp_path):
    manifest = random_export(tmp_path / "export", TINY, seed=5, vectors=1)
    net = load(manifest).net
    build = sim_build(load(manifest), tmp_path / "build", lanes=3)
    words = (build.rtl.out_dir / "layer2_weights.mem").read_text().split()
    assert len(words) == TINY.sizes[1] * 3  # N_in * ceil(7 / 3)
    assert len(words[0]) == 5  # 3 lanes x 6 bits = 18 bits -> 5 hex digits
    lane = int(words[0], 16) & 0x3F
    assert lane - 64 * (lane >> 5) == net.weights[1][0, 0]


def test_generated_verilog_is_lint_clean(tmp_path):
    net = random_network(dataclasses.replace(TINY, leak_shift=2, reset="zero", lanes=3), seed=6)
    x = encode_noise(np.random.default_rng(0).random((2, TINY.sizes[0])), net.config)
    build = build_generator(net, x, tmp_path, run_lint=True)
    assert json.loads((tmp_path / "rtl.json").read_text())["lint"].startswith("verilator --lint-only -Wall: clean")
    waivers = build.waivers.read_text()
    rules = [line for line in waivers.splitlines() if line.startswith("lint_off")]
    assert len(rules) == 4 and all("-file" in r for r in rules)


def test_lint_still_reports_real_problems(tmp_path):
    """The waivers are narrow: a wholly unused named input of the generated file is still an error."""
    build = write_rtl(SpikeRom(SpikeRomParams.of(TINY, 1)), "spike_rom", tmp_path, {})
    lint(build.sources, "spike_rom", build.waivers)
    text = build.sources[1].read_text().replace("module spike_rom(", "module spike_rom(stray_input, ", 1)
    text = text.replace(");", ");\n  input stray_input;", 1)
    build.sources[1].write_text(text)
    with pytest.raises(UserError, match="stray_input"):
        lint(build.sources, "spike_rom", build.waivers)


def test_cycle_budget_of_two_layers():
    """Each layer's work, their serial sum, and the lower bound: layer 1's work, then layer 2's last sweep."""
    trains = [np.array([[1, 0, 0]] + [[0, 1, 0]] + [[0, 0, 0]] * 3), np.array([[1, 0, 0, 1]] + [[1, 0, 0, 0]] + [[0] * 4] * 3)]
    c = SnnConfig(sizes=(3, 4, 2), timesteps=5, lanes=2)
    b = cycle_budget(c, trains + [np.zeros((5, 2))])
    assert b["per_layer"] == [(2 + 5) * 2, (3 + 5) * 1] and b["serial_sum"] == 22 and b["busiest_layer"] == 14
    assert b["lower_bound"] == 14 + 1  # layer 2 sweeps step T - 1 (G_2 = 1 slot) after layer 1's last slot
    assert cycle_budget(c, trains + [np.zeros((5, 2))], encode=1)["lower_bound"] == 5 * (3 + 1) + 2 + 1  # the encoder


def test_the_lower_bound_of_a_direct_coded_network_waits_for_the_current():
    """Layer 2 starts only after layer 1's current is made (N_0 * G_1 slots) and its first sweep slot issued."""
    trains = [np.zeros((5, 3)), np.array([[1, 0, 0, 1]] + [[1, 0, 0, 0]] + [[0, 0, 1, 0]] + [[0] * 4] * 2)]
    c = SnnConfig(sizes=(3, 4, 6), timesteps=5, lanes=2, coding="direct", membrane_bits=16)
    b = cycle_budget(c, trains + [np.zeros((5, 6))])
    assert b["per_layer"] == [(3 + 5) * 2, (4 + 5) * 3] and b["events"] == [3, 4]
    assert b["lower_bound"] == (3 * 2 + 1) + 27


def test_cycle_budget_of_a_ttfs_layer_counts_one_cycle_per_step_without_input():
    """A TTFS layer sweeps only at steps with input events: the other steps cost their marker's cycle."""
    trains = [np.array([[1, 0, 0]] + [[0, 1, 1]] + [[0, 0, 0]] * 3), np.zeros((5, 4), dtype=int)]
    c = SnnConfig(sizes=(3, 4, 2), timesteps=5, lanes=2, **TTFS)
    b = cycle_budget(c, trains + [np.zeros((5, 2))])
    assert b["per_layer"] == [(3 + 2) * 2 + 3, 0 + 5] and b["events"] == [3, 0]
    assert b["lower_bound"] == 13 + 1  # layer 2 does not sweep step T - 1: its marker alone


def test_below_bound_names_an_image_faster_than_its_bound():
    images = [{"vector": 0, "encode": 0, "cycles": 30, "cycle_budget": {"lower_bound": 30}},
              {"vector": 1, "encode": 1, "cycles": 29, "cycle_budget": {"lower_bound": 30}}]
    assert below_bound(images[:1]) is None
    assert "vector 1 (encode=1) took 29 cycles, below its lower bound 30" in below_bound(images)


def test_a_ttfs_network_with_a_bias_is_refused():
    c = SnnConfig(sizes=(3, 2), timesteps=5, lanes=2, **TTFS)
    with pytest.raises(UserError, match="a TTFS neuron has no bias"):
        IntNetwork(c, [np.ones((2, 3), dtype=np.int64)], [np.array([0, 1])], [3])


def test_build_keeps_unchanged_files(tmp_path):
    """A rebuild of the same network rewrites nothing, so simulators skip their compile."""
    x = encode_noise(np.full((1, TINY.sizes[0]), 0.25), TINY)
    net = random_network(TINY, seed=7)
    build_generator(net, x, tmp_path, run_lint=False)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    build_generator(IntNetwork(net.config, net.weights, net.biases, net.thresholds), x, tmp_path, run_lint=False)
    again = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.name != "rtl.json"}
    assert all(stamps[k] == v for k, v in again.items())


def test_vectors_are_stored_in_order(tmp_path):
    manifest = random_export(tmp_path / "export", TINY, seed=8, vectors=2)
    export = load(manifest)
    vectors = export.vectors
    build = sim_build(export, tmp_path / "build")
    words = (build.rtl.out_dir / "noise_rom.mem").read_text().split()
    assert [int(w, 16) for w in words] == [int(v) for vec in vectors for v in vec.noise_x]


def test_rtl_cli(tmp_path, capsys):
    from hw.__main__ import main

    manifest = random_export(tmp_path / "export", TINY, seed=9, vectors=2)
    assert main(["rtl", "--manifest", str(manifest), "--out", str(tmp_path / "rtl"), "--lanes", "5"]) == 0
    info = json.loads((tmp_path / "rtl" / "rtl.json").read_text())
    assert info["lanes"] == 5 and info["vectors"] == 2 and info["lint"]
    assert info["manifest_sha256"] == load(manifest).sha256 and "config" not in info  # rtl.json adds, never repeats
    assert "lint clean" in capsys.readouterr().out
    assert main(["rtl", "--manifest", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x")]) == 2
    assert "export it with `spikegan convert`" in capsys.readouterr().err
