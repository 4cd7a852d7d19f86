"""The whole chain on a tiny network: train -> convert -> rtl -> verify, under both simulators.

A 100-16-16-784 GAN is trained for a few updates on synthetic IDX digits, converted and
exported at T = 8 three times: by default (exact TTFS), with the rate converter's direct
coding, and with ``--paper`` (Bernoulli); its RTL run on the exported test vectors (the
paper's: stored trains and the on-chip encoder) must equal the golden model in every layer,
bit for bit.
"""

import json

import pytest

from model.__main__ import main as model_main
from verify.__main__ import main as verify_main
from verify.sim import directed_flags

FLAGS = {"default": [], "direct": ["--neuron", "rate"], "paper": ["--paper"]}


@pytest.fixture
def exported(shared, mnist_files):
    """``exported(which)``: the tiny GAN's export ``which`` (one of `FLAGS`), trained on synthetic IDX digits and
    converted once for the run (each conversion when a test first asks for it)."""

    def train(root):
        assert model_main(["train", "--data-dir", str(mnist_files(root)), "--hidden", "16", "--batch", "20",
                           "--updates", "20", "--no-metrics", "--out", str(root / "gan")]) == 0

    run = shared("e2e", train) / "gan"

    def convert(which):
        def make(out):
            assert model_main(["convert", "--checkpoint", str(run / "checkpoint.pt"), "--timesteps", "8",
                               "--vectors", "2", "--calib", "64", "--images", "8", "--no-fid", "--no-peer",
                               "--no-report", "--out", str(out), *FLAGS[which]]) == 0

        return shared(f"e2e-{which}", make) / "manifest.json"

    return convert


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
@pytest.mark.parametrize("which, coding", [("default", "ttfs"), ("direct", "direct"), ("paper", "bernoulli")])
def test_train_convert_rtl_verify(exported, which, coding, sim, tmp_path):
    manifest = exported(which)
    config = json.loads(manifest.read_text())["config"]
    assert config["sizes"] == [100, 16, 16, 784] and config["coding"] == coding and config["timesteps"] == 8
    out = tmp_path / "report"
    directed = directed_flags(sim)
    rc = verify_main(["run", "--manifest", str(manifest), "--sim", sim, "--vectors", "2", "--out", str(out),
                      "--build-root", str(tmp_path / "sim_builds"), "--no-vcd", *directed])
    assert rc == 0
    report = json.loads((out / "report.json").read_text())
    assert report["ok"] and sum(r["directed"] is None for r in report["images"]) == 2
    if sim == "verilator":  # every semantic bin hit or proven unreachable
        assert len(report["images"]) > 2 and not report["coverage"]["semantic_missed"]
