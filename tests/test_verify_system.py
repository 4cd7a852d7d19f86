"""End-to-end hardware test: a tiny exported generator on Icarus and Verilator equals the golden model.

Every layer's spike trains (from the spike-event ports) and counts (from the
read-out port) are compared for every test vector, from the stored trains and
from the on-chip encoder; the VCD's spike times too. The checker is shown to
catch a wrong network. Builds are cached in ``sim_builds/tests/system``, one
folder per test so that parallel workers never share one.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from model.snn.config import IntNetwork, SnnConfig
from model.snn.export import export_network, load
from model.snn.golden import run_network, run_noise
from verify.__main__ import main as verify_main
from verify.perf import below_bound
from verify.sim import SIMULATORS
from verify.system import random_export, run_fpga_top, run_generator, sim_build
from verify.vcd import spike_trains

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "system"
# P = 4 divides none of 9, 7, 10: every layer has padding lanes.
TINY = SnnConfig(sizes=(12, 9, 7, 10), timesteps=10, lanes=4, weight_bits=6, membrane_bits=12, input_bits=4)
VECTORS = 3


@pytest.fixture(scope="module")
def tiny_manifest(tmp_path_factory) -> Path:
    return random_export(tmp_path_factory.mktemp("tiny") / "snn", TINY, seed=11, vectors=VECTORS, weight_scale=0.35,
                         directed=True)


@pytest.fixture(scope="module")
def tiny_direct_manifest(tmp_path_factory) -> Path:
    """The tiny shape with direct coding: wide enough membranes for layer 1's current."""
    config = dataclasses.replace(TINY, coding="direct", membrane_bits=18)
    return random_export(tmp_path_factory.mktemp("direct") / "snn", config, seed=14, vectors=3, weight_scale=0.35,
                         bias_scale=2)


def _every_image(n: int) -> list[dict]:
    return [{"vector": v, "encode": e} for v in range(n) for e in (0, 1)]


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_tiny_generator_equals_golden_model(tiny_manifest, sim, tmp_path):
    vcd = tmp_path / "first.vcd"
    export = load(tiny_manifest)
    result, arrays = run_generator(export, sim, sim_build(export, ROOT / sim), _every_image(VECTORS), vcd=vcd)
    assert not result["error"], result["error"]
    assert below_bound(result["images"]) is None
    net, vectors = export.net, export.vectors
    for k, im in enumerate(result["images"]):
        assert im["ok"] and im["mse_vs_golden"] == 0.0 and im["first_divergence"] is None
        gold = run_network(net, vectors[im["vector"]].spikes)
        for l in range(1, TINY.layers + 1):
            assert np.array_equal(arrays[f"image{k}_counts{l}"], gold.counts[l])
            assert np.array_equal(arrays[f"image{k}_spikes{l}"], gold.spikes[l])
            assert gold.counts[l].sum() > 0  # the test is not vacuous: every layer spikes
        assert im["cycles"] > 0
    from_vcd = spike_trains(vcd, TINY.sizes, TINY.timesteps, range(TINY.layers + 1))
    first = run_network(net, vectors[0].spikes)
    assert all(np.array_equal(from_vcd[l], first.spikes[l]) for l in range(TINY.layers + 1))


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_a_stratified_generator_equals_the_golden_model_from_both_sources(sim, tmp_path):
    """The deterministic input coding: the on-chip encoder's bit-reversed step thresholds give the stored trains."""
    config = dataclasses.replace(TINY, coding="stratified", timesteps=8)
    export = load(random_export(tmp_path / "snn", config, seed=13, vectors=2, weight_scale=0.35))
    result, arrays = run_generator(export, sim, sim_build(export, tmp_path / "b"), _every_image(2), optimize=False)
    assert not result["error"], result["error"]
    assert below_bound(result["images"]) is None
    for k, im in enumerate(result["images"]):
        assert im["ok"] and np.array_equal(arrays[f"image{k}_spikes0"], export.vectors[im["vector"]].spikes)
    x = np.array(export.vectors[0].noise_x)
    assert np.array_equal(export.vectors[0].spikes.sum(axis=0), -(-x // 2))  # exact rates: ceil(X T / 2^R), T = 8, R = 4


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_a_direct_coded_generator_equals_the_golden_model(tiny_direct_manifest, sim, tmp_path):
    """Direct coding: layer 1's current B_1 + W_1 X computed on chip once per image, then no input spikes."""
    export = load(tiny_direct_manifest)
    config = export.config
    build = sim_build(export, tmp_path / "b")
    result, arrays = run_generator(export, sim, build, [{"vector": v, "encode": 1} for v in range(3)], optimize=False)
    assert not result["error"], result["error"]
    assert not build.rtl.out_dir.joinpath("spike_rom.mem").exists()  # no input spikes to store
    for k, im in enumerate(result["images"]):
        gold = run_noise(export.net, export.vectors[im["vector"]].noise_x)
        assert im["ok"] and not arrays[f"image{k}_spikes0"].any()
        for l in range(1, config.layers + 1):
            assert np.array_equal(arrays[f"image{k}_spikes{l}"], gold.spikes[l]) and gold.counts[l].sum() > 0
        assert 0 < gold.counts[1].sum() < config.timesteps * config.sizes[1]  # layer 1 neither silent nor saturated
        assert im["cycle_budget"]["per_layer"][0] >= config.sizes[0] * config.groups(1)
    assert below_bound(result["images"]) is None


@pytest.mark.sim
def test_leaky_zero_reset_generator_with_other_lanes(tmp_path):
    """Leak, reset to zero and P = 3 through the whole chain (Icarus)."""
    config = dataclasses.replace(TINY, leak_shift=2, reset="zero", lanes=5)
    manifest = random_export(tmp_path / "snn", config, seed=12, vectors=2, weight_scale=0.4, bias_scale=3)
    export = load(manifest)
    result, _ = run_generator(export, "icarus", sim_build(export, ROOT / "leaky", lanes=3), _every_image(2))
    assert not result["error"], result["error"]
    assert all(im["ok"] for im in result["images"]) and len(result["images"]) == 4
    assert below_bound(result["images"]) is None


@pytest.mark.sim
def test_pipelined_layers_beat_their_serial_sum_but_never_the_lower_bound(tmp_path):
    """Four layers of equal work overlap: every image takes fewer cycles than the layers one after another,
    and never fewer than the lower bound (`verify.perf.cycle_budget`), from the stored trains or the encoder."""
    config = dataclasses.replace(TINY, sizes=(16, 16, 16, 16))
    export = load(random_export(tmp_path / "snn", config, seed=3, vectors=2, weight_scale=0.35))
    result, _ = run_generator(export, "verilator", sim_build(export, tmp_path / "b"), _every_image(2), optimize=False)
    assert not result["error"], result["error"]
    assert below_bound(result["images"]) is None
    for im in result["images"]:
        assert im["cycle_budget"]["lower_bound"] <= im["cycles"] < im["cycle_budget"]["serial_sum"]


def _one_neuron_weaker(manifest: Path, out: Path) -> tuple[Path, int]:
    """The same export with layer 2's most active neuron's weights lowered: (its manifest, that neuron)."""
    export = load(manifest)
    net, vectors = export.net, export.vectors
    j = int(np.argmax(run_network(net, vectors[0].spikes).counts[2]))
    weights = [w.copy() for w in net.weights]
    weights[1][j, :] = np.clip(weights[1][j, :] - 20, *TINY.weight_range)
    other = IntNetwork(TINY, weights, net.biases, net.thresholds)
    return export_network(other, out, np.stack([v.noise_u for v in vectors])), j


@pytest.mark.sim
def test_checker_names_the_first_divergence(tiny_manifest, tmp_path):
    """RTL built for one network, checked against another that differs in one neuron: the report says where."""
    other, j = _one_neuron_weaker(tiny_manifest, tmp_path / "other")
    build = sim_build(load(tiny_manifest), ROOT / "checker")  # the RTL of the original network
    result, _ = run_generator(load(other), "icarus", build, [{"vector": 0, "encode": 0}])
    assert result["error"]
    first = result["images"][0]["first_divergence"]
    assert first["layer"] == 2 and first["neuron"] == j and first["step"] is not None
    assert result["images"][0]["mismatched_neurons"][1] >= 1


@pytest.mark.sim
def test_verify_cli_fails_on_a_mismatch(tiny_manifest, tmp_path, monkeypatch, capsys):
    other, j = _one_neuron_weaker(tiny_manifest, tmp_path / "other")
    build = sim_build(load(tiny_manifest), ROOT / "cli-mismatch")
    monkeypatch.setattr("verify.flow.build_step", lambda *args, **kwargs: build)
    code = verify_main(["run", "--manifest", str(other), "--sim", "icarus", "--vectors", "1",
                        "--out", str(tmp_path / "report"), "--build-root", str(ROOT / "cli-mismatch")])
    assert code == 1
    err = capsys.readouterr().err
    assert "first divergence" in err and "layer 2" in err and f"neuron {j}" in err and "{" not in err
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert not report["ok"] and not report["vcd"]["ok"] and "MISMATCH" in (tmp_path / "report" / "report.md").read_text()


@pytest.mark.sim
def test_verify_cli_report(tiny_manifest, tmp_path, capsys, png_title):
    out = tmp_path / "report"
    code = verify_main(["run", "--manifest", str(tiny_manifest), "--sim", "icarus", "--vectors", "3",
                        "--out", str(out), "--build-root", str(ROOT / "cli"), "--accept-open-bins"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["ok"] and report["vcd"]["ok"] and len(report["images"]) == 3 + len(load(tiny_manifest).directed)
    assert [r["source"] for r in report["images"]][:4] == ["rom", "encoder", "rom", "encoder"]  # then directed ones
    assert [r["directed"] for r in report["images"]][3:] == list(range(len(report["images"]) - 3))
    for name in ("report.md", "raster.png", "image_pairs.png", "spikes_image0.vcd"):
        assert (out / name).stat().st_size > 0
    cov = report["coverage"]  # the bins the two vectors run reach, of those this design can reach
    assert 0 < cov["hit"] <= cov["applicable"] and cov["by_kind"]["rtl"][0] > 0
    md = (out / "report.md").read_text()
    assert "coverage (`verify.coverage`)" in md
    assert "all images match" in capsys.readouterr().out
    assert all(r["cycles"] >= r["lower_bound"] for r in report["images"]) and report["summary"]["min_cycles_over_bound"] >= 1
    assert report["summary"]["clock_mhz"] == 100 and "us at 100 MHz" in md and "images/s" in md
    assert TINY.describe() in md and "leak none (IF)" in md and "| stored spike trains |" in md
    for name, what in (("image_pairs.png", "test vectors"), ("raster.png", "Spike times")):
        assert what in png_title(out / name) and TINY.describe() in png_title(out / name)


@pytest.mark.sim
def test_a_direct_coded_verify_report_names_its_input_a_current(tiny_direct_manifest, tmp_path, png_title):
    out = tmp_path / "report"
    assert verify_main(["run", "--manifest", str(tiny_direct_manifest), "--sim", "verilator", "--vectors", "2",
                        "--out", str(out), "--build-root", str(tmp_path / "b"), "--no-vcd"]) == 0
    md = (out / "report.md").read_text()
    rows = [line for line in md.splitlines() if line.startswith(("| 0 |", "| 1 |"))]
    assert len(rows) == 2 and all("| layer-1 current (direct coding) |" in r for r in rows)
    assert "spike rates" not in md and "stored spike trains" not in md
    assert "direct coding" in png_title(out / "image_pairs.png")


def test_verify_cli_bad_input(tmp_path, capsys, monkeypatch):
    assert verify_main(["run", "--manifest", str(tmp_path / "none.json"), "--sim", "icarus"]) == 2
    assert "export it with `spikegan convert`" in capsys.readouterr().err
    monkeypatch.setattr("verify.sim.tool_env", lambda: {"PATH": str(tmp_path)})
    assert verify_main(["run", "--manifest", str(tmp_path / "none.json"), "--sim", "icarus"]) == 2
    assert "apt-get install iverilog" in capsys.readouterr().err


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("stored_trains", [True, False], ids=["stored", "encoder-only"])
def test_fpga_top_pins_give_golden_counts(tiny_manifest, sim, stored_trains):
    """The FPGA top's narrow registered read-out gives every layer's golden counts (lint-clean Verilog too).

    Encoder-only (no stored-train memory, as for small FPGAs): ``encode`` is ignored and every image is made
    on chip, which equals the exported trains.
    """
    root = ROOT / f"fpga-{sim}-{'stored' if stored_trains else 'encoder'}"
    export = load(tiny_manifest)
    result = run_fpga_top(export, sim, root, _every_image(2), stored_trains=stored_trains)
    assert not result["error"], result["error"]
    assert len(result["images"]) == 4 and all(im["ok"] for im in result["images"])
    gold = run_network(export.net, export.vectors[1].spikes)
    assert result["images"][2]["spikes"] == [int(gold.counts[l].sum()) for l in range(1, TINY.layers + 1)]


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_a_direct_fpga_top_gives_golden_counts(tiny_direct_manifest, sim, tmp_path):
    """The FPGA top of a direct-coded generator: no encode pin (one source), every layer's golden counts."""
    export = load(tiny_direct_manifest)
    result = run_fpga_top(export, sim, tmp_path, [{"vector": v, "encode": 1} for v in range(3)])
    assert not result["error"], result["error"]
    assert len(result["images"]) == 3 and all(im["ok"] for im in result["images"])
    gold = run_noise(export.net, export.vectors[2].noise_x)
    assert result["images"][2]["spikes"] == [int(gold.counts[l].sum()) for l in range(1, export.config.layers + 1)]


@pytest.mark.sim
def test_cycles_sweep_command(tiny_manifest, tmp_path, capsys, png_title):
    """``spikegan sweep-cycles``: every P bit-exact, fewer cycles with more lanes, JSON + Markdown + PNG."""
    from spikegan.__main__ import main

    out = tmp_path / "sweep"
    assert main(["sweep-cycles", "--manifest", str(tiny_manifest), "--sim", "icarus", "--sweep-lanes", "1,4",
                 "--vectors", "1", "--out", str(out), "--build-root", str(ROOT / "sweep")]) == 0
    report = json.loads((out / "cycles_sweep.json").read_text())
    assert [r["lanes"] for r in report["rows"]] == [1, 4] and report["ok"]
    assert report["rows"][1]["cycles"] < report["rows"][0]["cycles"]
    assert (out / "cycles_sweep.png").stat().st_size > 0 and "Cycles per image against P" in capsys.readouterr().out
    assert TINY.describe(lanes=False) in png_title(out / "cycles_sweep.png")
    assert all(r["lower_bound"] <= r["cycles"] for r in report["rows"]) and report["clock_mhz"] == 100
