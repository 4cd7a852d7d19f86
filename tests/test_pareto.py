"""The Pareto front of conversion reports: which points it keeps, its inputs' errors, its files."""

import json

import pytest

from model.common.errors import UserError
from model.convert.pareto import build, figure, markdown
from model.gan.config import TrainConfig


def _row(t, fid, ops):
    fixed = {"synaptic_ops": ops, "synaptic_ops_by_layer": [ops / 4, 3 * ops / 4], "energy_uj": ops * 1e-6,
             "energy_uj_integer_memory": ops * 2e-6}
    return {"timesteps": t, "normalisation": "p99.9", "reset": "subtract", "fid_fixed": fid, "mse_fixed_ann": 1e-3,
            "fixed": fixed}


def _report(tmp_path, name, rows, levels=0, fid=True, rate=0.0):
    run = tmp_path / name
    run.mkdir()
    TrainConfig(hidden=(8, 8), qcfs_levels=levels, rate_penalty=rate).save(run / "config.json")
    if not fid:
        rows = [{k: v for k, v in r.items() if k != "fid_fixed"} for r in rows]
    report = {"checkpoint": str(run / "checkpoint.pt"), "config": {"coding": "stratified", "sizes": [100, 8, 8, 784]}, "images": 1000,
              "ann_energy_uj": 10.0, "ann_energy_uj_integer_memory": 10.0, "fid_ann": 30.0, "fid_real_floor": 5.0,
              "sweep": rows}
    path = run / "conversion.json"
    path.write_text(json.dumps(report))
    return path


def test_front_keeps_the_points_nothing_beats_on_energy_and_fid(tmp_path, png_title):
    relu = _report(tmp_path, "relu", [_row(8, 90.0, 1e6), _row(16, 60.0, 2e6), _row(32, 70.0, 4e6)])
    qcfs = _report(tmp_path, "qcfs", [_row(8, 50.0, 1.5e6), _row(16, 40.0, 3e6)], levels=8)
    report = build([str(relu), str(qcfs)])
    front = {(r["training"], r["timesteps"]) for r in report["points"] if r["front_literature"]}
    # ReLU T=16 (0.2, FID 60) is beaten by QCFS T=8 (0.15, 50), ReLU T=32 (0.4, 70) by QCFS T=16 (0.3, 40)
    assert front == {("ReLU", 8), ("QCFS L=8", 8), ("QCFS L=8", 16)}
    assert [r["energy_vs_ann_literature"] for r in report["points"][:2]] == pytest.approx([0.1, 0.2])
    text = markdown(report)
    assert "| QCFS L=8 | stratified | 16 |" in text and "(250k, 750k)" in text
    assert "100-8-8-784" in png_title(figure(report, tmp_path / "p.png")) and "1000 images" in png_title(tmp_path / "p.png")
    rate = _report(tmp_path, "rate", [_row(8, 50.0, 1e6)], levels=16, rate=0.5)
    assert build([str(rate)])["points"][0]["training"] == "QCFS L=16 + rate 0.5"


def test_reports_that_cannot_give_a_front_are_refused(tmp_path):
    with pytest.raises(UserError, match="no conversion report"):
        build([str(tmp_path / "missing.json")])
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UserError, match="not a conversion report"):
        build([str(tmp_path / "bad.json")])
    with pytest.raises(UserError, match="without --no-fid"):
        build([str(_report(tmp_path, "nofid", [_row(8, 1.0, 1.0)], fid=False))])
