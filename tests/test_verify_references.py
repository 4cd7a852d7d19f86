"""The float SNN and ANN references of the verify report, on a tiny converted (untrained) generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from model.convert.conversion import ConvertOptions, ann_forward, check_layers, convert
from model.gan.config import TrainConfig
from model.gan.train import init_state, load_generator, save_checkpoint
from model.snn.config import SnnConfig
from model.snn.export import export_network, load
from verify.__main__ import main as verify_main
from verify.references import float_references

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "references"


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """A 12-9-7-784 generator, converted and exported the way `python -m model convert` does it."""
    d = tmp_path_factory.mktemp("conv")
    ckpt = d / "checkpoint.pt"
    save_checkpoint(init_state(TrainConfig(noise_dim=12, hidden=(9, 7), seed=3)), ckpt)
    layers = check_layers(load_generator(ckpt).affine_layers())
    config = SnnConfig(sizes=(12, 9, 7, 784), timesteps=12, lanes=16, weight_bits=8, membrane_bits=16, input_bits=6)
    g = torch.Generator().manual_seed(0)
    conv = convert(layers, torch.rand(64, 12, generator=g, dtype=torch.float64), config, ConvertOptions())
    noise = torch.rand(2, 12, generator=g, dtype=torch.float64).numpy()
    return export_network(conv.int_net, d / "snn", noise, conv.metadata() | {"checkpoint": str(ckpt)})


def test_references_rebuild_the_float_snn_and_ann(converted):
    export = load(converted)
    meta, vectors = export.manifest, export.vectors
    refs, note = float_references(meta, vectors, SnnConfig.from_dict(meta["config"]))
    assert set(refs) == {"float_snn", "ann"} and "rebuilt" in note
    assert refs["float_snn"].shape == refs["ann"].shape == (2, 784)
    layers = check_layers(load_generator(meta["extra"]["checkpoint"]).affine_layers())
    ann = ann_forward(layers, torch.as_tensor(np.stack([v.noise_u for v in vectors]))).numpy()
    assert np.allclose(refs["ann"], ann)
    assert refs["float_snn"].min() >= 0 and refs["float_snn"].max() <= 1


def test_references_absent_for_a_random_network(tmp_path):
    refs, note = float_references({"extra": {"random_seed": 1}}, [], SnnConfig())
    assert refs == {} and "does not come from" in note


@pytest.mark.sim
def test_report_sets_rtl_beside_float_snn_and_ann(converted, tmp_path):
    out = tmp_path / "report"
    code = verify_main(["run", "--manifest", str(converted), "--sim", "icarus", "--vectors", "2", "--no-vcd",
                        "--out", str(out), "--build-root", str(ROOT)])
    report = json.loads((out / "report.json").read_text())
    assert code == 0 and report["ok"]
    for row in report["images"]:  # the directed vectors have no software references
        tested = row["directed"] is None
        assert row["mse_vs_golden"] == 0.0 and (row["mse_vs_float_snn"] is not None) == tested
        assert (row["mse_vs_ann"] is not None) == tested
    assert sum(row["directed"] is None for row in report["images"]) == 2
    assert "float SNN" in (out / "report.md").read_text()


def test_the_float_reference_of_a_direct_network_is_driven_by_the_noise(tmp_path):
    """Direct coding: the float SNN takes u as layer 1's current (no input spikes); near the ANN at T = 64."""
    ckpt = tmp_path / "checkpoint.pt"
    save_checkpoint(init_state(TrainConfig(noise_dim=12, hidden=(9, 7), seed=3)), ckpt)
    layers = check_layers(load_generator(ckpt).affine_layers())
    config = SnnConfig(sizes=(12, 9, 7, 784), timesteps=64, lanes=16, coding="direct")
    g = torch.Generator().manual_seed(0)
    conv = convert(layers, torch.rand(64, 12, generator=g, dtype=torch.float64), config, ConvertOptions())
    noise = torch.rand(3, 12, generator=g, dtype=torch.float64).numpy()
    export = load(export_network(conv.int_net, tmp_path / "snn", noise, conv.metadata() | {"checkpoint": str(ckpt)},
                                 directed=False))
    refs, _ = float_references(export.manifest, export.vectors, export.config)
    assert np.mean((refs["float_snn"] - refs["ann"]) ** 2) < 1e-3
