"""The exact-TTFS conversion report: ``exact.json``, ``report.md`` and its figures (`exact_sweep` makes the data)."""

from __future__ import annotations

from pathlib import Path

from model.common.jsonio import write_json_and_markdown
from model.common.plots import image_grid, pyplot, save_figure, wrap
from model.convert.exact_sweep import GOAL_ENERGY, GOAL_FID_RATIO, GOAL_OPS_RATIO, GOAL_T
from model.snn.energy import MODELS

MODEL_NAMES = {"literature": "literature", "integer_memory": "integer + memory"}


def _ratio(x: float, of: float) -> str:
    return f"{x:.2f} ({x / of:.2f}x)"


def _sweep_table(report: dict) -> list[str]:
    fid = "fid_ann" in report
    head = "| T | clip | m | FID | FID float ref. | MSE vs ANN | spikes/neuron per layer | max spikes | synaptic ops | neuron updates |"
    head += "".join(f" uJ {MODEL_NAMES[m]} (x ANN) |" for m in MODELS)
    lines = [head.replace(" FID | FID float ref. |", "") if not fid else head]
    lines.append("|" + "---|" * (lines[0].count("|") - 1))
    for r in report["sweep"]:
        line = f"| {r['timesteps']} | {r['clip']} | {r['membrane_bits']} |"
        line += f" {r['fid_fixed']:.2f} | {r['fid_float']:.2f} |" if fid else ""
        line += (f" {r['mse_fixed_ann']:.1e} | {', '.join(f'{x:.2f}' for x in r['spikes_per_neuron'][1:])} | "
                 f"{r['max_spikes_per_neuron']} | {r['synaptic_ops']:,.0f} | {r['neuron_updates']:,} |")
        line += "".join(f" {_ratio(r['energy_uj'][m], r['ann_energy_uj'][m])} |" for m in MODELS)
        lines.append(line)
    return lines


def _peers_table(report: dict) -> list[str]:
    ann, goal = report["ann"], report["goals"].get("exported", {})
    lines = ["| design | FID | synaptic ops | MACs | " + " | ".join(f"uJ {MODEL_NAMES[m]} (x ANN)" for m in MODELS) + " |",
             "|---|---|---|---|" + "---|" * len(MODELS)]
    fid = report.get("fid_ann")
    at = next((r for r in report["sweep"] if "at" in goal and (r["timesteps"], r["clip"]) ==
               (goal["at"]["timesteps"], goal["at"]["clip"])), None)
    if at is not None:
        lines.append(f"| ANN | {fid} | 0 | {ann['macs']:,} | " +
                     " | ".join(_ratio(at["ann_energy_uj"][m], at["ann_energy_uj"][m]) for m in MODELS) + " |")
        lines.append(f"| ANN skipping zero activations | {fid} | 0 | {ann['zero_skipping_macs']:,.0f} | " +
                     " | ".join(_ratio(at["zero_skipping_ann_energy_uj"][m], at["ann_energy_uj"][m]) for m in MODELS) + " |")
        lines.append(f"| exact TTFS, T = {at['timesteps']}, {at['clip']} | {at.get('fid_fixed', '-')} | "
                     f"{at['synaptic_ops']:,.0f} | 0 | " +
                     " | ".join(_ratio(at["energy_uj"][m], at["ann_energy_uj"][m]) for m in MODELS) + " |")
    for r in report["rate"]:
        lines.append(f"| rate converter, {r['name']}, T = {r['timesteps']} | {r['fid_fixed'] if r['fid_fixed'] is not None else '-'} | "
                     f"{r['synaptic_ops']:,.0f} | {r['macs']:,} | " +
                     " | ".join(_ratio(r["energy_uj"][m], r["ann_energy_uj"][m]) for m in MODELS) + " |")
    return lines


def _goal_sentence(g: dict, what: str) -> str:
    yes = {True: "met", False: "NOT met"}
    e = g["energy_ratio"]
    return (f"{what}: T = {g['at']['timesteps']}, clip {g['at']['clip']}, FID {g['fid_ratio']:.3f}x the ANN's "
            f"(goal <= {GOAL_FID_RATIO}: {yes[g['fid_ratio'] <= GOAL_FID_RATIO]}); at most {g['max_spikes_per_neuron']} "
            f"spike per neuron (step form, measured); synaptic operations {g['synaptic_ops_ratio']:.3f}x the ANN's MACs "
            f"(goal <= {GOAL_OPS_RATIO}: {yes[g['synaptic_ops_ratio'] <= GOAL_OPS_RATIO]}); energy " +
            "; ".join(f"{e[m]:.3f}x the ANN's under {MODEL_NAMES[m]} (goal <= {GOAL_ENERGY[m]}: {yes[e[m] <= GOAL_ENERGY[m]]})"
                      for m in MODELS) +
            "; against an ANN that skips zero activations " +
            ", ".join(f"{g['energy_ratio_to_zero_skipping_ann'][m]:.3f}x ({MODEL_NAMES[m]})" for m in MODELS) + ".")


def _goals_text(report: dict) -> list[str]:
    g = report["goals"]
    lines = [g["note"]] if "note" in g else []
    if "first" in g:
        lines.append(_goal_sentence(g["first"], f"The first point at T <= {GOAL_T} with a classifier FID at most "
                                                f"{GOAL_FID_RATIO}x the ANN's"))
    if "exported" in g:
        lines.append(_goal_sentence(g["exported"], "The exported network"))
    return lines


def markdown(report: dict) -> str:
    """The short Markdown report (also printed by ``spikegan convert``)."""
    sizes = "-".join(map(str, report["sizes"]))
    lines = ["# Exact TTFS conversion report", "",
             f"Generator {sizes} converted exactly to ramp neurons (docs/exact-ttfs-semantics.md), "
             f"{report['images']:,} noise vectors, clips from {report['calibration_vectors']:,} calibration vectors. "
             "Energy per image counts synaptic additions (with a weight read) and neuron updates (membrane additions "
             "and threshold comparisons) at 45 nm (`model.snn.energy`); the ANN is priced at the same widths.", ""]
    if "fid_ann" in report:
        lines += [f"Classifier FID: ANN {report['fid_ann']}, real data of the same size {report['fid_real_floor']}.", ""]
    lines += [line for text in _goals_text(report) for line in (text, "")][:-1] + ["", "## Against the ANN and the rate converter", ""] + _peers_table(report)
    lines += ["", "## T x clip", "", "m: membrane bits; the float reference is the ANN with its activations on the same "
              "T levels.", ""] + _sweep_table(report)
    lines += [line for name, what in report.get("figures", {}).items() for line in ("", f"![{what}]({name})")]
    if "export" in report:
        lines += ["", f"Export: {report['export']['manifest']}; {report['export']['golden_check']}."]
    lines += ["", f"Report made in {report['seconds']} s.", ""]
    return "\n".join(lines)


def fid_figure(report: dict, path: Path) -> Path:
    """Classifier FID against T, one line per clip, with the ANN, the real-data floor and the rate converter."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, clip in enumerate(dict.fromkeys(r["clip"] for r in report["sweep"])):
        rows = [r for r in report["sweep"] if r["clip"] == clip]
        ax.plot([r["timesteps"] for r in rows], [r["fid_fixed"] for r in rows], "o-", color=f"C{k}", label=f"exact TTFS, clip {clip}")
    ax.axhline(report["fid_ann"], color="k", lw=1, label="ANN")
    ax.axhline(report["fid_real_floor"], color="gray", lw=1, ls=":", label="real data")
    for k, r in enumerate(report["rate"]):
        ax.plot([r["timesteps"]], [r["fid_fixed"]], "s", color=f"C{k + 5}", label=f"rate converter, {r['name']}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("time steps per window T")
    ax.set_ylabel("classifier FID (lower is better)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.suptitle(wrap(f"Classifier FID against T of the {'-'.join(map(str, report['sizes']))} generator converted "
                      f"exactly to TTFS, {report['images']:,} images", 80), fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def energy_figure(report: dict, path: Path) -> Path:
    """Energy per image (both models) against classifier FID: every exact point, the rate converter, the ANNs."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(MODELS), figsize=(11, 4.5))
    at = report["sweep"][0]
    for ax, m in zip(axes, MODELS):
        for k, t in enumerate(dict.fromkeys(r["timesteps"] for r in report["sweep"])):
            rows = [r for r in report["sweep"] if r["timesteps"] == t]
            ax.plot([r["fid_fixed"] for r in rows], [r["energy_uj"][m] for r in rows], "o", color=f"C{k}", label=f"exact TTFS, T = {t}")
        for k, r in enumerate(report["rate"]):
            ax.plot([r["fid_fixed"]], [r["energy_uj"][m]], "s", color=f"C{k + 7}", label=f"rate, {r['name']}")
        ax.axhline(at["ann_energy_uj"][m], color="k", lw=1, label="ANN")
        ax.axhline(at["zero_skipping_ann_energy_uj"][m], color="k", lw=1, ls="--", label="ANN skipping zeros")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("classifier FID")
        ax.set_ylabel(f"energy per image, uJ ({MODEL_NAMES[m]})")
        ax.grid(True, which="both", alpha=0.3)
    axes[-1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(f"Energy per image against image quality, both energy models (45 nm): the "
                 f"{'-'.join(map(str, report['sizes']))} generator, exact TTFS vs rate-coded vs ANN", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def write_report(report: dict, out_dir: Path) -> list[Path]:
    """``exact.json``, ``report.md``, the FID and energy figures and the images of the exported point beside the
    ANN's, under ``out_dir``."""
    images = report.pop("_images")
    shown = (report["export"]["config"]["timesteps"], report["export"]["clip"])
    report["figures"] = {**({"fid_vs_t.png": "FID against T", "energy_vs_fid.png": "energy against FID"}
                            if "fid_ann" in report else {}),
                         **({"samples.png": "the ANN's and the exact TTFS generator's images"} if shown in images else {})}
    paths = write_json_and_markdown(out_dir / "exact.json", report, markdown(report), indent=2)
    if "fid_ann" in report:
        paths += [fid_figure(report, out_dir / "fid_vs_t.png"), energy_figure(report, out_dir / "energy_vs_fid.png")]
    if shown in images:
        import torch

        both = torch.cat([images["ann"][:10], images[shown][:10]])
        paths.append(image_grid(both, out_dir / "samples.png",
                                f"The same 10 noise vectors: the ANN (top) and the exact TTFS generator at T = {shown[0]}, "
                                f"clip {shown[1]} (bottom)", nrow=10))
    return paths
