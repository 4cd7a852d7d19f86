"""The hybrid GANs' report: ``hybrid.json``, ``report.md``, a sample grid per run and D's error curves."""

from __future__ import annotations

from pathlib import Path

from model.common.jsonio import write_json_and_markdown
from model.common.plots import image_grid, pyplot, save_figure, wrap

VARIANT_NAMES = {"ann": "ANN DCGAN", "front": "spiking front", "middle": "spiking middle", "back": "spiking back",
                 "extractor": "SNN extractor"}


def table(results: dict) -> list[str]:
    """One row per variant x discriminator."""
    out = ["| generator | D | FID | confident | class entropy | modes | G spikes / image | G synaptic ops / image "
           "| D spikes / image | G params | D params | train s | D error (last 50) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["rows"]:
        g, d = r["g_spiking"], r["d_spiking"]
        out.append(
            f"| {VARIANT_NAMES[r['variant']]} | {r['discriminator'].upper()} | {r['fid']:.1f} | "
            f"{100 * r['confident']:.1f} % | {r['entropy']:.2f} | {r['modes']} |"
            f" {g['spikes_per_image']:,.0f} | {g['synaptic_ops_per_image']:,.0f} | {d['spikes_per_image']:,.0f} | "
            f"{r['g_params']:,} | {r['d_params']:,} | {r['train_s']:.0f} | {100 * r['final_d_error']:.1f} % |")
    return out


def findings(results: dict) -> list[str]:
    """The paper's three findings and the beyond-the-paper goal, as measured (FID only)."""
    rows = {(r["variant"], r["discriminator"]): r for r in results["rows"]}
    base = rows.get(("ann", "ann"))
    out = []
    if base and ("ann", "snn") in rows:
        ratio = rows[("ann", "snn")]["fid"] / base["fid"]
        out.append(f"- SNN discriminator with the ANN generator: FID {ratio:.2f}x the ANN D's.")
    for d in ("ann", "snn"):
        placed = {v: rows[(v, d)]["fid"] for v in ("front", "middle", "back", "extractor") if (v, d) in rows}
        if placed:
            best = min(placed, key=placed.get)
            ranked = ", ".join(f"{VARIANT_NAMES[v]} {f:.1f}" for v, f in sorted(placed.items(), key=lambda kv: kv[1]))
            line = f"- With the {d.upper()} D, spiking generators by FID: {ranked}; best: {VARIANT_NAMES[best]}"
            if (("ann", d) in rows):
                gap = placed[best] / rows[("ann", d)]["fid"] - 1
                line += f", {100 * gap:+.0f} % against the ANN generator's {rows[('ann', d)]['fid']:.1f} (goal: within +20 %)"
            out.append(line + ".")
    return ["### Findings, measured", "", *out, ""] if out else []


def markdown(report: dict) -> str:
    lines = ["# Hybrid SNN/ANN GANs (Mao et al.)", "", f"Command: `{report['command']}`", ""]
    for results in report["datasets"]:
        floor = results["floor"]
        lines += [f"## {results['dataset']} ({results['train_images']:,} training images)", "",
                  f"Classifier FID on {floor['n']} images; real-data floor {floor['fid']:.2f} "
                  f"(confident {100 * floor['confident']:.1f} %, entropy {floor['entropy']:.2f}); "
                  f"the metric classifier's test accuracy {100 * results['classifier_accuracy']:.1f} %.", ""]
        lines += table(results) + [""] + findings(results)
    lines += [f"{report['seconds']:.0f} s in all on {report['machine'].get('cpu', '?')}.", ""]
    return "\n".join(lines)


def lif_words(lif: dict) -> str:
    """A spiking module's neurons in words: T, threshold, leak, reset."""
    leak = "none (IF)" if lif["leak_shift"] is None else f"beta = 1 - 2^-{lif['leak_shift']}"
    return f"T = {lif['timesteps']}, theta = {lif['theta']:g}, leak {leak}, reset {lif['reset']}"


def run_words(results: dict, row: dict) -> str:
    """One run in words: generator, discriminator, dataset, budget and (if any) the spiking modules' neurons."""
    lif = results["lif"]
    spiking = [f"G's LIF {lif_words(lif['generator'])}"] if row["variant"] != "ann" else []
    spiking += [f"D's LIF {lif_words(lif['discriminator'])}"] if row["discriminator"] == "snn" else []
    return (f"{VARIANT_NAMES[row['variant']]} generator, {row['discriminator'].upper()} discriminator, "
            f"on {results['dataset']}, {row['updates']} updates of batch {row['batch']}"
            + "".join(f"; {s}" for s in spiking))


def samples_title(results: dict, row: dict, n: int) -> str:
    return f"{n} samples, FID {row['fid']:.1f}: {run_words(results, row)}"


def d_error_figure(results: dict, path: Path) -> Path:
    """D's error per update (smoothed) for every run."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in results["rows"]:
        e = r["history"]["d_error"]
        k = max(1, len(e) // 20)
        smooth = [sum(e[max(0, i - k): i + 1]) / len(e[max(0, i - k): i + 1]) for i in range(len(e))]
        ax.plot(smooth, label=f"{VARIANT_NAMES[r['variant']]}, {r['discriminator'].upper()} D")
    ax.set_xlabel("update (sampled)")
    ax.set_ylabel("D's error on its batch")
    snn = any(r["discriminator"] == "snn" for r in results["rows"])
    note = f" (the SNN D's LIF: {lif_words(results['lif']['discriminator'])})" if snn else ""
    fig.suptitle(wrap(f"The discriminator's error while training, each run on {results['dataset']}{note}", 90),
                 fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)


def write(report: dict, samples: dict, out: Path) -> list[Path]:
    """The JSON, the Markdown summary and the figures under ``out``."""
    paths = write_json_and_markdown(out / "hybrid.json", report, markdown(report))
    for results in report["datasets"]:
        ds = results["dataset"]
        rows = {r["name"]: r for r in results["rows"]}
        for name, images in samples[ds].items():
            title = samples_title(results, rows[name], len(images))
            paths.append(image_grid(images, out / f"samples_{ds}_{name}.png", title))
        paths.append(d_error_figure(results, out / f"d_error_{ds}.png"))
    return paths
