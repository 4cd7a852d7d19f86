"""The conversion report: ``conversion.json``, ``report.md`` (printed by ``make convert``) and its figures."""

from __future__ import annotations

from pathlib import Path

from model.common.jsonio import write_json_and_markdown
from model.common.plots import pyplot, save_figure, wrap
from model.convert.sweep import GOAL_MSE, GOAL_T
from model.snn.config import SnnConfig, leak_text


def markdown(report: dict) -> str:
    """The short Markdown report (also printed at the end of ``make convert``)."""
    c = report["config"]
    lines = [
        "# Conversion report",
        "",
        f"Generator {'-'.join(map(str, c['sizes']))}, {c['weight_bits']}-bit weights, {c['membrane_bits']}-bit "
        f"membrane, leak {leak_text(c['leak_shift'])}, {c['coding']} coding, "
        f"{report['images']} noise vectors, calibration on {report['calibration_vectors']}. "
        f"ANN: {report['ann_macs']:,} MACs = {report['ann_energy_uj']:.2f} uJ per image (literature), "
        f"{report['ann_energy_uj_integer_memory']:.2f} uJ (integer + memory) ({report['energy_note']}).",
        "",
    ]
    if "fid_ann" in report:
        lines += [f"Classifier FID: ANN {report['fid_ann']}, real data of the same size {report['fid_real_floor']}.", ""]
    has_fid = "fid_float" in report["sweep"][0]
    head = ("| T | norm | reset | MSE float-ANN | MSE fixed-float | MSE fixed-ANN | "
            f"MSE float vs ANN of the {ann_input(c['coding'])} |")
    head += " FID float | FID fixed |" if has_fid else ""
    head += (f" spikes/neuron {', '.join(f'L{l}' for l in range(1, len(c['sizes'])))} | synaptic ops/image |"
             " energy uJ (x ANN), literature | integer + memory |")
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for r in report["sweep"]:
        fx = r["fixed"]
        line = (
            f"| {r['timesteps']} | {r['normalisation']} | {r['reset']} | {r['mse_float_ann']:.2e} | "
            f"{r['mse_fixed_float']:.2e} | {r['mse_fixed_ann']:.2e} | {r['mse_float_ann_of_input_rates']:.2e} |"
        )
        line += f" {r['fid_float']} | {r['fid_fixed']} |" if has_fid else ""
        line += (
            f" {', '.join(f'{x:.2f}' for x in fx['spikes_per_neuron'][1:])} | {fx['synaptic_ops']:,.0f} | "
            f"{fx['energy_uj']:.2f} ({fx['energy_uj'] / report['ann_energy_uj']:.2f}) | "
            f"{fx['energy_uj_integer_memory']:.2f} ({fx['energy_uj_integer_memory'] / report['ann_energy_uj_integer_memory']:.2f}) |"
        )
        lines.append(line)
    g = report["goals"]
    if "at" in g:
        yes = {True: "met", False: "NOT met"}
        lines += [
            "",
            f"Goals at T = {GOAL_T} ({g['at']['normalisation']}, reset {g['at']['reset']}): "
            f"float SNN vs ANN MSE {g['float_vs_ann_mse']:.2e} (<= {GOAL_MSE:g}: {yes[g['float_vs_ann_met']]}); "
            f"fixed vs float MSE {g['fixed_vs_float_mse']:.2e} (<= {GOAL_MSE:g}: {yes[g['fixed_vs_float_met']]}); "
            f"synaptic ops {g['synaptic_ops']:,.0f} (< {g['synaptic_ops_limit']:,.0f}: {yes[g['energy_met']]}).",
        ]
    p = report["peer"]
    lines += ["", "## Peer: sinabs", ""]
    if "skipped" in p:
        lines.append(p["skipped"])
    else:
        lines += [
            f"sinabs {p['sinabs_version']}, normalisation {p['normalisation']}. {p['method']}",
            "",
            "Simulation time: CPU seconds on one thread for all images (wall seconds in the JSON).",
            "",
            "| T | ours MSE | sinabs MSE | sinabs on our weights MSE | ours CPU s | sinabs CPU s | sinabs (our weights) CPU s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in p["rows"]:
            lines.append(
                f"| {r['timesteps']} | {r['ours_mse']:.2e} | {r['sinabs_mse']:.2e} | {r['sinabs_on_our_weights_mse']:.2e} | "
                f"{r['ours_cpu_seconds']} | {r['sinabs_cpu_seconds']} | {r['sinabs_on_our_weights_cpu_seconds']} |"
            )
        lines += ["", f"sinabs' normalised ANN alone (no spikes) has image MSE {p['rows'][0]['sinabs_analog_mse']:.2e} vs the ANN."]
    if "export" in report:
        lines += ["", f"Export: {report['export']['manifest']}; {report['export']['golden_check']}."]
    lines += ["", f"Report made in {report['seconds']} s."]
    return "\n".join(lines) + "\n"


def ann_input(coding: str) -> str:
    """What the last reference ANN is fed: the input as the SNN really receives it under ``coding``."""
    return "quantised input X / 2^R" if coding == "direct" else "realised input spike rates"


def generator_words(report: dict) -> str:
    """The exported generator in words, for figure titles: configuration, normalisation, checkpoint."""
    config = SnnConfig.from_dict(report["config"]).describe(lanes=False)
    words = f"{config}, {report['options']['normalisation']} normalisation"
    return words + (f"; {report['checkpoint']}" if report.get("checkpoint") else "")


def write_report(report: dict, out_dir: Path) -> list[Path]:
    """``conversion.json``, ``report.md``, ``samples.png`` and ``mse_energy_vs_t.png`` under ``out_dir``."""
    images = report.pop("_images")
    return [*write_json_and_markdown(out_dir / "conversion.json", report, markdown(report), indent=2),
            samples_figure(images, report, out_dir / "samples.png"),
            curves_figure(report, out_dir / "mse_energy_vs_t.png")]


def samples_figure(images: dict, report: dict, path: Path, n: int = 10) -> Path:
    """ANN / float SNN / fixed SNN images side by side, one row each; last, the ANN fed the input as the SNN receives
    it (`ann_input`)."""
    plt = pyplot()
    rows = [
        ("ANN", images["ann"]),
        ("float SNN", images["float"]),
        ("fixed SNN", images["fixed"]),
        ("ANN of the\n" + wrap(ann_input(report["config"]["coding"]), 16), images["ann_rates"]),
    ]
    fig, axes = plt.subplots(len(rows), 1, figsize=(n * 0.9, len(rows) * 1.1))
    for ax, (name, img) in zip(axes, rows):
        strip = img[:n].float().clamp(0, 1).reshape(-1, 28, 28).permute(1, 0, 2).reshape(28, -1)
        ax.imshow(strip.numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    fig.suptitle(wrap(f"The same {n} noise vectors through each model: {generator_words(report)}", 110),
                 fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def curves_figure(report: dict, path: Path) -> Path:
    """Image MSE and estimated energy per image against T, one line per normalisation/reset."""
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 5.2))
    keys = sorted({(r["normalisation"], r["reset"]) for r in report["sweep"]})
    for k, (norm, reset) in enumerate(keys):
        rs = sorted((r for r in report["sweep"] if (r["normalisation"], r["reset"]) == (norm, reset)), key=lambda r: r["timesteps"])
        ts = [r["timesteps"] for r in rs]
        color = f"C{k}"
        ax1.plot(ts, [r["mse_float_ann"] for r in rs], "o-", color=color, label=f"float vs ANN, {norm}, {reset}")
        ax1.plot(ts, [r["mse_fixed_float"] for r in rs], "s--", color=color, label=f"fixed vs float, {norm}, {reset}")
        ax2.plot(ts, [r["fixed"]["energy_uj"] for r in rs], "o-", color=color, label=f"fixed SNN, {norm}, {reset}")
    p = report["peer"]
    if "rows" in p:
        ax1.plot([r["timesteps"] for r in p["rows"]], [r["sinabs_mse"] for r in p["rows"]], "k^:", label="sinabs vs ANN")
    ax1.axhline(GOAL_MSE, color="gray", lw=0.8, ls="--", label=f"goal: MSE {GOAL_MSE:g}")
    ax2.axhline(report["ann_energy_uj"], color="k", lw=1, label="ANN (estimate)")
    for ax, ylabel in ((ax1, "image MSE"), (ax2, "energy per image, uJ (45 nm estimate)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("time steps T")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    for ax in (ax1, ax2):  # below the axes, so that no point is hidden
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
    c = report["config"]
    fig.suptitle(f"Image MSE and energy per image against T, every normalisation and reset, {report['images']} images: "
                 f"{'-'.join(map(str, c['sizes']))} generator, {c['coding']} coding, {c['weight_bits']}-bit weights, "
                 f"{c['membrane_bits']}-bit membranes", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)
