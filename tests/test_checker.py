"""The checker's blind spots, closed: every exported artefact is compared with the RTL and the golden
model and a disagreement names its two sources; the shipped RTL (``make rtl``'s folder) is what is
verified; any lane count runs."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hw.build import build
from model.snn.config import SnnConfig
from model.snn.export import load
from model.snn.layout import pack_spikes, write_mem
from verify.__main__ import main as verify_main
from verify.flow import verify_run
from verify.run_cli import failure
from verify.system import random_export, run_generator, sim_build

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "checker"
SMALL = SnnConfig(sizes=(8, 6, 5), timesteps=8, lanes=2, weight_bits=6, membrane_bits=12, input_bits=4)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return random_export(tmp_path_factory.mktemp("small") / "snn", SMALL, seed=6, vectors=2, weight_scale=0.5, bias_scale=5)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _tampered(src: Path, dst: Path, change) -> Path:
    """A copy of the export with vector 0's expected outputs changed by ``change(npz dict)``, the ``.mem``
    of its output trains rewritten to match, and every sha256 updated: only the expected values are wrong."""
    shutil.copytree(src.parent, dst)
    m = json.loads((dst / "manifest.json").read_text())
    v = m["vectors"][0]
    npz = dst / v["expected"]["file"]
    with np.load(npz) as z:
        data = {k: z[k].copy() for k in z.files}
    change(data)
    np.savez(npz, **data)
    mem = dst / v["out_spikes"]["file"]
    write_mem(mem, pack_spikes(data["out_spikes"]), SMALL.sizes[-1])
    v["expected"]["sha256"], v["out_spikes"]["sha256"] = _sha(npz), _sha(mem)
    (dst / "manifest.json").write_text(json.dumps(m))
    return dst / "manifest.json"


def _move_a_spike(data):
    """One output spike a step later (or earlier): the trains are wrong, the counts stay right."""
    s = data["out_spikes"]
    t, j = next((t, j) for t, j in np.argwhere(s == 1) if s[(t + 1) % len(s), j] == 0)
    s[t, j], s[(t + 1) % len(s), j] = 0, 1


@pytest.mark.sim
def test_wrong_exported_output_trains_fail_and_name_the_export(small, tmp_path):
    bad = _tampered(small, tmp_path / "snn", _move_a_spike)
    report = verify_run(bad, "verilator", 1, tmp_path / "report", build_root=ROOT, vcd=False)
    assert not report["ok"]
    text = report["first_divergence"]["text"]
    assert "exported output spike trains" in text and "golden model" in text and "RTL" in text


@pytest.mark.sim
def test_wrong_exported_counts_exit_1_naming_the_two_sources(small, tmp_path, capsys):
    def more(data):
        data[f"counts{SMALL.layers}"][0] += 1

    bad = _tampered(small, tmp_path / "snn", more)
    code = verify_main(["run", "--manifest", str(bad), "--sim", "verilator", "--vectors", "1", "--no-vcd",
                        "--out", str(tmp_path / "report"), "--build-root", str(ROOT)])
    assert code == 1
    err = capsys.readouterr().err
    assert "None" not in err and "exported counts of layer 2" in err and "neuron 0" in err
    assert "RTL and golden model agree" in err


@pytest.fixture
def shipped(small, tmp_path) -> Path:
    out = tmp_path / "rtl"
    build(load(small), out, run_lint=False)
    return out


@pytest.mark.sim
def test_the_shipped_rtl_is_what_is_verified(small, shipped, tmp_path):
    report = verify_run(small, "verilator", 1, tmp_path / "ok", build_root=ROOT, vcd=False, rtl_dir=shipped)
    assert report["ok"] and report["shipped_rtl"]["identical"]
    assert "are the RTL verified" in (tmp_path / "ok" / "report.md").read_text()
    mem = shipped / SMALL.weight_file(1)
    mem.write_text(mem.read_text().replace("0", "1", 1))
    report = verify_run(small, "verilator", 1, tmp_path / "bad", build_root=ROOT, vcd=False, rtl_dir=shipped)
    assert not report["ok"] and not report["shipped_rtl"]["identical"]
    assert SMALL.weight_file(1) in report["first_divergence"]["text"]
    assert "{}" not in failure(report["first_divergence"]) and "spikegan rtl" in failure(report["first_divergence"])


def test_shipped_rtl_of_another_export_is_refused(small, shipped, tmp_path, capsys):
    other = random_export(tmp_path / "other", SMALL, seed=6, vectors=2)
    code = verify_main(["run", "--manifest", str(other), "--sim", "verilator", "--rtl", str(shipped)])
    assert code == 2 and "was built from another export" in capsys.readouterr().err


@pytest.mark.sim
def test_lanes_as_wide_as_every_layer_run_bit_exact(tmp_path):
    wide = random_export(tmp_path / "snn", SnnConfig(sizes=(8, 6, 5), timesteps=8, lanes=8, weight_bits=6,
                                                     membrane_bits=12, input_bits=4), seed=6, vectors=2, weight_scale=0.5)
    ex = load(wide)
    result, _ = run_generator(ex, "verilator", sim_build(ex, ROOT / "wide", run_lint=True), [{"vector": 0, "encode": 1}])
    assert not result["error"] and result["images"][0]["ok"]


def test_icarus_says_that_lint_needs_verilator(small, monkeypatch, capsys, tmp_path):
    import shutil as sh

    real = sh.which
    monkeypatch.setattr("verify.sim.shutil.which", lambda t, path=None: None if t == "verilator" else real(t, path=path))
    code = verify_main(["run", "--manifest", str(small), "--sim", "icarus", "--vectors", "1", "--out", str(tmp_path / "r")])
    assert code == 2 and "lints the RTL with Verilator" in capsys.readouterr().err


@pytest.mark.parametrize("sizes,lanes,vectors", [((8, 6, 5), 2, 1), ((8, 6, 5), 8, 1), ((8, 6, 5), 8, 2), ((8, 6), 2, 2)])
def test_one_layer_one_vector_and_one_word_networks_lint_clean(tmp_path, sizes, lanes, vectors):
    config = SnnConfig(sizes=sizes, timesteps=8, lanes=lanes, weight_bits=6, membrane_bits=12, input_bits=4)
    ex = load(random_export(tmp_path / "snn", config, seed=6, vectors=vectors))
    for fpga in (False, True):
        build(ex, tmp_path / f"rtl-{fpga}", fpga=fpga)  # lints, and raises UserError on any warning

