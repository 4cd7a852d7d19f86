"""The results summary is generated from a run's reports: every number in it is one of theirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.common.errors import UserError
from spikegan.__main__ import main
from spikegan.summary import collect, findings, markdown

MACHINE = {"cpu": "test CPU", "cpus": 2, "memory_gib": 24.0, "load_1min": 1.5, "date": "2026-12-01 10:00 UTC", "python": "3.11"}


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@pytest.fixture
def run(tmp_path) -> dict:
    """The reports of a small made-up run, in the formats make all writes."""
    r, fpga, reports = tmp_path / "weights/gan-mnist", tmp_path / "weights/gan-mnist-fpga", tmp_path / "reports"
    _write(r / "metrics.json", {"updates": 6000, "wall_seconds": 900.0, "machine": MACHINE,
                                "metrics": {"fid": 19.25, "confident": 0.71, "n": 8000}, "real_floor": {"fid": 2.86}})
    sweep = [{"timesteps": t, "normalisation": "p99.9", "reset": "subtract", "fid_fixed": 50.0 + t, "fid_float": 0.0,
              "fixed": {"synaptic_ops": 1000.0 * t, "energy_uj": 0.05 * t, "energy_uj_integer_memory": 0.02 * t}}
             for t in (32, 64)]
    _write(r / "snn/report/conversion.json", {"config": {"timesteps": 64, "reset": "subtract", "coding": "direct"},
                                              "options": {"normalisation": "p99.9"}, "images": 128, "fid_ann": 37.5,
                                              "fid_real_floor": 22.0, "ann_energy_uj": 2.0, "sweep": sweep,
                                              "ann_energy_uj_integer_memory": 0.64,
                                              "seconds": 120.0, "machine": MACHINE})
    for name, manifest, sizes, lanes, cycles in (("verify-verilator", r, [100, 1200, 1200, 784], 16, 300000.0),
                                                 ("verify-icarus-fpga", fpga, [100, 64, 64, 784], 16, 50000.0)):
        _write(reports / name / "report.json", {"simulator": name.split("-")[1], "manifest": str(manifest / "snn/manifest.json"),
                                                "config": {"sizes": sizes, "lanes": lanes}, "ok": True,
                                                "summary": {"images": 4, "mismatching_images": 0, "mean_cycles": cycles,
                                                            "total_s": 60.0}})
    _write(reports / "synth/synth_report.json", {"network": "100-64-64-784", "config": {"lanes": 16}, "seconds": 300.0,
                                                  "targets": {"xc7": {"resources": {"lut": 10662, "ff": 3846, "bram36_equiv": 18.5}},
                                                              "ecp5": {"fmax_min_mhz": 100.0, "target": "ECP5 LFE5U-45F-8"}}})
    return {"run": r, "fpga": fpga, "reports": reports, "root": tmp_path}


def test_every_figure_comes_from_its_report(run):
    s = collect(run["run"], run["fpga"], run["reports"])
    assert s["ann"]["fid"] == 19.25 and s["ann"]["floor_fid"] == 2.86
    assert s["snn"]["fid_fixed"] == 114.0 and s["snn"]["timesteps"] == 64  # the exported T's row, not another
    assert s["snn"]["energy_uj"] == pytest.approx(3.2) and s["snn"]["ann_energy_uj"] == 2.0
    assert [v["ok"] for v in s["verify"]] == [True, True]
    assert s["synth"]["images_per_s"] == pytest.approx(100e6 / 50000.0)  # Fmax over the FPGA network's cycles
    md = markdown(s)
    for text in ("19.25", "2.86", "direct coding, T = 64", "114.00", "37.50", "3.20 uJ", "1.60x", "1.28 uJ", "2.00x the ANN's 0.64 uJ", "4 / 4 vectors", "10,662 LUT", "100.0 MHz", "2,000",
                 "load 1.5", "test CPU"):
        assert text in md, text


def test_missing_reports_are_said_not_invented(run):
    (run["reports"] / "synth/synth_report.json").unlink()
    md = markdown(collect(run["run"], run["fpga"], run["reports"]))
    assert "MHz" not in md and "Not in this run: make synth" in md


def test_findings_of_a_run_converted_with_the_rate_converter(run):
    lines = findings(collect(run["run"], run["fpga"], run["reports"]))
    assert len(lines) == 2
    assert "FID 114.0 where the ANN scores 37.5 on the same 128 noise vectors" in lines[0]
    assert "1.60x the ANN's energy under the literature convention and 2.00x with every weight read paid" in lines[0]
    assert "8 of 8 images (test and directed vectors) under icarus and verilator" in lines[1]


def test_the_report_fills_the_pages_it_is_given(run):
    page = run["root"] / "page.md"
    page.write_text("# page\n\n<!-- results:findings:begin -->\nold\n<!-- results:findings:end -->\n")
    out = run["root"] / "reports"
    argv = ["report", "--run", str(run["run"]), "--fpga-run", str(run["fpga"]), "--reports", str(run["reports"]),
            "--out", str(out), "--root", str(run["root"]), "--pages", str(page)]
    assert main(argv) == 0
    assert "\nold\n" not in page.read_text() and "FID 114.0" in page.read_text()


def test_report_command(run, capsys):
    out = run["root"] / "out"
    argv = ["report", "--run", str(run["run"]), "--fpga-run", str(run["fpga"]), "--reports", str(run["reports"]), "--out", str(out)]
    assert main(argv) == 0
    assert "19.25" in (out / "summary.md").read_text() and json.loads((out / "summary.json").read_text())["ann"]["fid"] == 19.25
    assert main(["report", "--run", str(run["root"] / "none"), "--reports", str(run["root"] / "none")]) == 2
    assert "run `make all` first" in capsys.readouterr().err


def test_the_default_exact_ttfs_generator_leads_the_findings_and_the_table(run):
    """With the default export's exact TTFS report (and `make rate`'s rate report beside it) the summary shows the
    exported point's FID and energy under both models, beside the ANN, an ANN that skips zeros and the rate
    converter, and its RTL rows name it."""
    energy = lambda a, b: {"literature": a, "integer_memory": b}  # noqa: E731
    sweep = [{"timesteps": t, "clip": "p99.9", "fid_fixed": 20.0 + t, "spikes_per_neuron": [1.0, 0.4, 0.3, 0.2],
              "max_spikes_per_neuron": 1, "synaptic_ops": 9e5, "energy_uj": energy(1.0, 1.2),
              "ann_energy_uj": energy(10.0, 4.0), "zero_skipping_ann_energy_uj": energy(5.0, 2.0)} for t in (16, 32)]
    (run["run"] / "snn-direct/report").mkdir(parents=True)
    (run["run"] / "snn/report/conversion.json").rename(run["run"] / "snn-direct/report/conversion.json")
    _write(run["run"] / "snn/report/exact.json", {
        "images": 1000, "fid_ann": 22.5, "fid_real_floor": 5.0, "sweep": sweep, "seconds": 170.0, "machine": MACHINE,
        "export": {"config": {"timesteps": 32}, "clip": "p99.9"},
        "rate": [{"name": "direct", "fid_fixed": 35.0, "energy_uj": energy(6.0, 8.0), "ann_energy_uj": energy(12.0, 4.0)}]})
    _write(run["reports"] / "verify-verilator/report.json", {
        "simulator": "verilator", "manifest": str(run["run"] / "snn/manifest.json"),
        "config": {"sizes": [100, 1200, 1200, 784], "lanes": 16, "neuron": "ramp"}, "ok": True,
        "summary": {"images": 10, "mismatching_images": 0, "mean_cycles": 62000.0, "total_s": 60.0}})
    s = collect(run["run"], run["fpga"], run["reports"])
    lines = findings(s)
    assert s["sources"]["snn"].endswith("snn-direct/report/conversion.json")
    assert len(lines) == 4 and "exact TTFS, one spike per neuron, T = 32) scores classifier FID 52.0 where the ANN " \
                               "scores 22.5 on the same 1,000 noise vectors" in lines[0]
    assert "0.10x the ANN's per image" in lines[1] and "0.30x once every operation pays its weight read" in lines[1]
    assert "skips zero activations 0.20x and 0.60x" in lines[1]
    assert "**Rate-coded:**" in lines[2] and "FID 114.0" in lines[2]
    md = markdown(s)
    for text in ("exact TTFS (one spike per neuron, T = 32, clip p99.9) | 52.00", "0.20x an ANN that skips",
                 "rate converter, direct: 0.50x", "rate converter, direct: 2.00x",
                 "100-1200-1200-784 exact TTFS P = 16 (verilator) | 10 / 10 vectors", "62,000 cycles per image"):
        assert text in md, text


def test_the_comparison_with_the_ann_twins_joins_the_findings_and_the_table(run):
    energy = lambda pj: {"weight memory": pj / 2, "state memory": pj / 4, "arithmetic": pj / 4}  # noqa: E731
    rows = [{"design": d, "bit_exact": {"icarus": True}, "activity_agrees": True, "energy_pj": energy(pj)} for d, pj in
            (("snn", 3000.0), ("ann-dense", 4000.0), ("ann-skip", 2000.0))]
    ratios = {"snn": {"energy_activity": 1.5, "energy_literature": 0.4, "energy_integer_memory": 0.9, "cycles": 2.5},
              "ann-dense": {"energy_activity": 2.0, "energy_literature": 2.1, "energy_integer_memory": 2.1, "cycles": 1.4},
              "ann-skip": {"energy_activity": 1.0, "energy_literature": 1.0, "energy_integer_memory": 1.0, "cycles": 1.0}}
    _write(run["reports"] / "compare/compare.json", {"network": "100-64-64-784", "vectors": 4, "rows": rows,
                                                      "ratios": ratios, "seconds": 600.0, "machine": MACHINE})
    s = collect(run["run"], run["fpga"], run["reports"])
    lines = findings(s)
    assert "**Should it spike?**" in lines[-2] and "on 100-64-64-784: 1.50x its energy per image" in lines[-2]
    assert "0.40x and 0.90x under the two op-count models) and 2.50x its cycles" in lines[-2]
    md = markdown(s)
    assert "| energy per image from simulated activity, 100-64-64-784 exact TTFS (docs/energy.md) | 3.0 nJ | " \
           "1.50x an ANN twin that skips zero activations (2.0 nJ), 0.75x a dense one" in md
