"""``spikegan pareto``: the fidelity/energy Pareto front of converted generators, from their reports.

Each ``conversion.json`` (``spikegan convert``'s report) is one checkpoint's sweep over T x
normalisation x reset for one input coding; the training (ReLU, or QCFS with L levels) is read
from the checkpoint's ``config.json``. A point is the fixed-point SNN, what the hardware computes:
its classifier FID, image MSE vs the ANN, synaptic operations per image by layer, and its energy
relative to the ANN under both energy models (`model.snn.energy`). A point is on the front of an
energy model when no other point has both a lower energy and a lower FID.
"""

from __future__ import annotations

import json
from pathlib import Path

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_out
from model.common.plots import pyplot, save_figure, wrap
from model.gan.config import TrainConfig

ENERGY_MODELS = {"literature": "energy_uj", "integer_memory": "energy_uj_integer_memory"}


def training_name(checkpoint: str) -> str:
    """``"ReLU"``, ``"QCFS L=<levels>"`` or ``"QCFS L=<levels> + rate <penalty>"``, from the
    ``config.json`` beside a checkpoint."""
    path = Path(checkpoint).parent / "config.json"
    if not path.exists():
        return "unknown"
    config = TrainConfig.from_dict(json.loads(path.read_text()))
    if not config.qcfs_levels:
        return "ReLU"
    return f"QCFS L={config.qcfs_levels}" + (f" + rate {config.rate_penalty:g}" if config.rate_penalty else "")


def read_report(path: str | Path) -> dict:
    """A conversion report with its classifier FIDs, or a clear error."""
    path = Path(path)
    try:
        report = json.loads(path.read_text())
        rows = report["sweep"]
    except FileNotFoundError:
        raise UserError(f"no conversion report at {path}: run `spikegan convert` (its report/conversion.json)") from None
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise UserError(f"{path} is not a conversion report ({e}); make it again with `spikegan convert`") from None
    if not rows or "fid_fixed" not in rows[0]:
        raise UserError(f"{path} has no classifier FIDs; make it again without --no-fid")
    return report


def points(report: dict) -> list[dict]:
    """The report's sweep rows as front points: fixed-point SNN figures, energy as a share of the ANN's."""
    ann = {model: report[f"ann_{key}"] for model, key in ENERGY_MODELS.items()}
    base = {"training": training_name(report.get("checkpoint", "")), "coding": report["config"]["coding"],
            "sizes": report["config"]["sizes"],
            "checkpoint": report.get("checkpoint"), "fid_ann": report.get("fid_ann"), "images": report["images"]}
    out = []
    for r in report["sweep"]:
        fixed = r["fixed"]
        out.append(base | {
            "timesteps": r["timesteps"], "normalisation": r["normalisation"], "reset": r["reset"],
            "fid": r["fid_fixed"], "mse_ann": r["mse_fixed_ann"], "synaptic_ops": fixed["synaptic_ops"],
            "synaptic_ops_by_layer": fixed.get("synaptic_ops_by_layer"),
            **{f"energy_vs_ann_{m}": fixed[key] / ann[m] for m, key in ENERGY_MODELS.items()},
        })
    return out


def mark_front(rows: list[dict]) -> list[dict]:
    """Add ``front_<model>``: True where no other row is lower in both that energy and FID."""
    for model in ENERGY_MODELS:
        e = f"energy_vs_ann_{model}"
        for r in rows:
            r[f"front_{model}"] = not any(
                o[e] <= r[e] and o["fid"] <= r["fid"] and (o[e] < r[e] or o["fid"] < r["fid"]) for o in rows
            )
    return rows


def build(paths: list[str]) -> dict:
    reports = [read_report(p) for p in paths]
    rows = mark_front([p for r in reports for p in points(r)])
    return {"reports": [str(p) for p in paths], "fid_real_floor": reports[0].get("fid_real_floor"), "points": rows}


def markdown(report: dict) -> str:
    rows = report["points"]
    lines = [
        "# Fidelity/energy Pareto front of the converted generators", "",
        f"Fixed-point SNN (what the RTL computes) on {rows[0]['images']} images per point; classifier FID "
        f"(real-data floor {report['fid_real_floor']}); energy as a share of the ANN's under the literature model "
        "(32-bit float add vs multiply-accumulate) and the integer + memory model. Front: no point is lower in "
        "both energy and FID (L = literature, I = integer + memory).", "",
        "| training | coding | T | norm | reset | FID (ANN) | MSE vs ANN | synaptic ops/image (by layer) | energy/ANN lit. | energy/ANN int.+mem. | front |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r["energy_vs_ann_literature"]):
        front = "".join(k for k, m in (("L", "literature"), ("I", "integer_memory")) if r[f"front_{m}"])
        by_layer = ", ".join(f"{o / 1e3:.0f}k" for o in r["synaptic_ops_by_layer"] or [])
        lines.append(
            f"| {r['training']} | {r['coding']} | {r['timesteps']} | {r['normalisation']} | {r['reset']} | "
            f"{r['fid']:.1f} ({r['fid_ann']}) | {r['mse_ann']:.2e} | {r['synaptic_ops'] / 1e3:.0f}k ({by_layer}) | "
            f"{r['energy_vs_ann_literature']:.2f} | {r['energy_vs_ann_integer_memory']:.2f} | {front} |"
        )
    return "\n".join(lines) + "\n"


def figure(report: dict, path: Path) -> Path:
    """FID against energy/ANN (literature model), one marker per training x coding, the front joined."""
    plt = pyplot()
    rows = report["points"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in sorted({(r["training"], r["coding"]) for r in rows}):
        group = [r for r in rows if (r["training"], r["coding"]) == name]
        ax.scatter([r["energy_vs_ann_literature"] for r in group], [r["fid"] for r in group], label=" / ".join(name), s=18)
    front = sorted((r for r in rows if r["front_literature"]), key=lambda r: r["energy_vs_ann_literature"])
    ax.plot([r["energy_vs_ann_literature"] for r in front], [r["fid"] for r in front], "k--", lw=1, label="front")
    for r in front:
        ax.annotate(f"T={r['timesteps']}", (r["energy_vs_ann_literature"], r["fid"]), fontsize=7)
    ax.set(xscale="log", xlabel="energy / ANN (literature model)", ylabel="classifier FID (fixed-point SNN)")
    ax.legend(fontsize=7)
    sizes = sorted({"-".join(map(str, r["sizes"])) for r in rows if r.get("sizes")})
    fig.suptitle(wrap(f"Fidelity against energy of the converted generators ({', '.join(sizes)}), one point "
                               f"per T x normalisation x reset of each conversion report, {rows[0]['images']} images "
                               "each; the front joined", 80), fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)


def add_arguments(parser) -> None:
    parser.add_argument("reports", nargs="+", help="conversion.json files of `spikegan convert` (made with FIDs)")
    add_out(parser, "reports/pareto")


def run(args) -> int:
    report = build(args.reports)
    text = markdown(report)
    write_json_and_markdown(Path(args.out) / "pareto.json", report, text)
    figure(report, Path(args.out) / "pareto.png")
    print(text)
    print(f"report: {args.out}/pareto.json, report.md, pareto.png")
    return 0
