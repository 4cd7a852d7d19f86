"""The TTFS report: ``ttfs.json``, ``report.md`` and the figures (sample grids, classifier bars, held-out accuracy)."""

from __future__ import annotations

from pathlib import Path

from model.common.jsonio import write_json_and_markdown
from model.common.plots import image_grid, pyplot, save_figure, wrap

SAMPLE_NAMES = {"ttfs_all": "TTFS GAN, all digits", "ann_all": "ANN GAN, all digits",
                "ttfs_per_digit": "TTFS GAN, one per digit", "ann_per_digit": "ANN GAN, one per digit"}


def _pct(x) -> str:
    return f"{100 * x:.1f} %"


def _step(step) -> str:
    return "-" if step is None else f"{step:.0f}"


def _kept(row: dict) -> str:
    if row.get("best_update") is None:
        return f"last of {row.get('updates', '?')}"
    return f"{row['best_update']:,} of {row['updates']:,}"


def classifier_markdown(rows: list[dict]) -> list[str]:
    out = ["## Classifier, 784-400-10 (Sec. 3.1)", "",
           "| data (train images) | model | norm | test accuracy | by S4NN's test rule | decision step | spikes to decision "
           "| silent outputs | weights kept (update of) | train s |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ttfs = "decision_step" in r
        out.append(
            f"| {r['dataset']} ({r['train_images']:,}) | {r['model']} | {r['norm']} | {_pct(r['accuracy'])} | "
            + (f"{_pct(r['accuracy_s4nn'])} | {r['decision_step']:.1f} | {r['spikes_to_decision']:.1f} of {r['neurons']} | "
               f"{_pct(r['silent_share'])} | {_kept(r)} |" if ttfs else "- | - | - | - | last |")
            + f" {r['train_s']:.0f} |")
    out += ["", "Test accuracy: the first output spike decides (the lowest index among ties) and a silent output (no "
            "output spike by T) counts as wrong. S4NN's test rule (its published code) counts a tie that includes the "
            "label as right and lets a silent output fall back to the output neuron with the largest final membrane. "
            "The TTFS runs keep the weights of their best accuracy on held-out training images (checked every few "
            "hundred updates). Spikes include the input layer's, up to the decision step. Paper: Aggressive TTFS "
            "96.7 % / 59.7 steps / 194 spikes; S4NN loss 97.4 % / 89.7 / 218.3 (full MNIST, 60,000 images).", ""]
    return out


def comparison_markdown(rows: list[dict]) -> list[str]:
    """The paper's claim, per dataset: Aggressive vs relative targets at the same norm."""
    out = []
    for ds in dict.fromkeys(r["dataset"] for r in rows):
        a = next((r for r in rows if r["dataset"] == ds and "aggressive" in r["model"]), None)
        s = next((r for r in rows if r["dataset"] == ds and "relative" in r["model"] and r["norm"] == a["norm"]), None) if a else None
        if not (a and s):
            continue
        fewer_steps = 1 - a["decision_step"] / s["decision_step"]
        fewer_spikes = 1 - a["spikes_to_decision"] / s["spikes_to_decision"]
        gap = 100 * (s["accuracy"] - a["accuracy"])
        out.append(f"- {ds}: accuracy gap {gap:+.1f} points (goal: within 1: {'met' if abs(gap) <= 1 else 'not met'}), "
                   f"{_pct(fewer_steps)} fewer steps (goal >= 30 %: {'met' if fewer_steps >= 0.3 else 'not met'}), "
                   f"{_pct(fewer_spikes)} fewer spikes (goal >= 10 %: {'met' if fewer_spikes >= 0.1 else 'not met'}).")
    return ["### Aggressive TTFS against the S4NN targets", ""] + out + [""] if out else []


def gan_markdown(gan: dict) -> list[str]:
    floor = gan["floor"]
    out = ["## GANs, G 100-400-784 (Sec. 3.2)", "",
           f"Classifier FID on {floor['n']} images; real-data floor {floor['fid']:.2f}. Mean pixel of the real data "
           f"{gan['real_mean_pixel']:.3f}; spread (each pixel's standard deviation across the images, averaged over "
           f"pixels; 0 when every sample is the same image) of the real data {gan['real_spread']:.3f}. Under TTFS coding "
           f"{_pct(gan['real_timing']['lit'])} of the real pixels fire, at a median step of "
           f"{_step(gan['real_timing']['median_lit_step'])}.", "",
           "| generator | updates x batch | FID | confident | mean pixel | spread | pixels that fire | their median step | train s |",
           "|---|---|---|---|---|---|---|---|---|"]
    for key, name in SAMPLE_NAMES.items():
        if key in gan:
            r = gan[key]
            per = " per digit" if r.get("per") else ""
            out.append(f"| {name} | {r['updates']:,}{per} x {r['batch']} | {r['score']['fid']:.2f} | {_pct(r['score']['confident'])} | "
                       f"{r['mean_pixel']:.3f} | {r['spread']:.3f} | {_pct(r['timing']['lit'])} | "
                       f"{_step(r['timing']['median_lit_step'])} | {r['train_s']:.0f} |")
    ratio = gan["ttfs_all"]["score"]["fid"] / gan["ann_all"]["score"]["fid"]
    config = gan["config"]
    bounds = ", ".join(f"U[{lo:g}, {hi:g}]" for lo, hi in zip(config["g_init_min"], config["g_init_max"]))
    pooled = " The spread of the per-digit rows is taken over the pooled samples of the ten GANs." if "ttfs_per_digit" in gan else ""
    out += ["", f"The TTFS G's initial weights per layer: {bounds}.{pooled}"]
    if config["silence"]:
        spared = f", sparing the {config['budget']} earliest spikes of an image" if config["budget"] else ""
        out += ["", f"The TTFS generators' hidden layer was pushed towards silence (share {config['silence']:g} of its error{spared})."]
    out += ["", f"TTFS / ANN FID (all digits): {ratio:.2f} (goal <= 1.20: {'met' if ratio <= 1.2 else 'not met'}). "
            f"The final D calls {_pct(gan['d_on_fakes']['called_real'])} of the TTFS samples real.", ""]
    return out


def spike_markdown(s: dict) -> list[str]:
    e = s["energy"]
    lit, im = e["literature"], e["integer_memory"]
    out = ["## Spikes, operations and energy of the TTFS generator", "",
           f"- Spikes per image in G (noise, hidden, output): {', '.join(f'{v:.1f}' for v in s['g_spikes_per_layer'])} = "
           f"{s['g_spikes']:.1f} of {s['g_neurons']} neurons; G + D on G's images: {s['gd_spikes']:.1f} of {s['gd_neurons']}.",
           f"- Synaptic operations per image: {s['synaptic_ops']:,.0f} ({', '.join(f'{v:,.0f}' for v in s['synaptic_ops_per_layer'])} per layer) "
           f"= {s['ops_vs_macs']:.2f}x the ANN's {s['ann_macs']:,} MACs (goal <= 0.5x: {'met' if s['ops_vs_macs'] <= 0.5 else 'not met'}).",
           f"- Energy per image, literature convention (0.9 pJ/AC vs 4.6 pJ/MAC): {lit['snn_uj']:.3f} uJ vs ANN {lit['ann_uj']:.3f} uJ "
           f"= {lit['ratio']:.3f}x (goal <= 0.1x: {'met' if lit['ratio'] <= 0.1 else 'not met'}).",
           f"- Energy per image, integer + memory model ({s['membrane_bits']}-bit adds, {s['weight_bits']}-bit weight reads): "
           f"{im['snn_uj']:.3f} uJ vs ANN {im['ann_uj']:.3f} uJ = {im['ratio']:.3f}x (goal <= 0.5x: {'met' if im['ratio'] <= 0.5 else 'not met'})."]
    rc = s.get("rate_coded")
    if rc:
        out.append(f"- The project's rate-coded generator ({rc['source']}): {rc['synaptic_ops']:,.0f} ops, "
                   f"{rc['energy']['literature']['snn_uj']:.2f} uJ (literature) / {rc['energy']['integer_memory']['snn_uj']:.2f} uJ "
                   "(integer + memory) per image.")
    else:
        out.append("- The rate-coded generator's figures need its conversion report (make convert).")
    c = s["input_coding"]
    out += ["", f"Input coding of a real test image (Sec. 3.2; T = {c['timesteps']}): count code {c['count_code']:,.0f} spikes "
            f"(inverted {c['count_code_inverted']:,.0f}), the project's Bernoulli rate code at T = {c['rate_timesteps']} "
            f"{c['bernoulli_rate']:,.0f} (expected), TTFS {c['ttfs']:.0f} (one per lit pixel; {c['ttfs_with_forced']} counting the "
            "forced spikes of dark pixels).", ""]
    return out


def fixed_markdown(f: dict, export: dict | None) -> list[str]:
    out = ["## 8-bit fixed point (the golden model of the hardware TTFS mode)", "",
           f"On {f['n']} noise vectors: {_pct(f['same_output_times'])} of the output spike times equal the float "
           f"network's (mean |difference| {f['mean_abs_time_diff']:.2f} steps, image MSE {f['image_mse']:.2e}); "
           f"thresholds {f['thresholds']}, membrane {f['membrane_bits']} bits."]
    if export:
        out.append(f"Exported with {export['vectors']} test vectors, P = {export['lanes']}: `{export['manifest']}` "
                   f"(`spikegan verify --manifest {export['manifest']} --sim icarus|verilator`).")
    return out + [""]


def markdown(report: dict) -> str:
    lines = ["# TTFS Spiking-GAN report", "", f"Made by `{report['command']}` in {report['seconds']:.0f} s on {report['machine']['cpu']} "
             f"({report['machine']['cpus']} cores, load {report['machine']['load_1min']}), {report['machine']['date']}.", ""]
    lines += classifier_markdown(report["classifier"]) + comparison_markdown(report["classifier"])
    if "gan" in report:
        g = report["gan"]
        lines += gan_markdown(g) + spike_markdown(g["spikes"]) + fixed_markdown(g["fixed_point"], g.get("export"))
    return "\n".join(lines) + "\n"


def samples_title(gan: dict, key: str, n: int) -> str:
    """What a sample grid shows: which GAN, its configuration, its training and its FID."""
    c, r = gan["config"], gan[key]
    spiking = (f", T = {c['timesteps']}, theta = {c['theta']:g}, {c['target']} targets, {c['norm']} norm"
               if key.startswith("ttfs") else "")
    per = " per digit" if r.get("per") else ""
    return (f"{n} samples of the {SAMPLE_NAMES[key]} (G {'-'.join(map(str, c['g_sizes']))}{spiking}) on "
            f"{gan['dataset']}, {r['updates']:,}{per} updates of batch {r['batch']}, "
            f"FID {r['score']['fid']:.2f}")


def write(report: dict, samples: dict, out_dir: Path) -> list[Path]:
    paths = write_json_and_markdown(out_dir / "ttfs.json", report, markdown(report), indent=1)
    for key in SAMPLE_NAMES:
        if key in samples:
            images = samples[key][:100]
            title = samples_title(report["gan"], key, len(images))
            paths.append(image_grid(images, out_dir / f"samples_{key}.png", title))
    paths.append(classifier_figure(report["classifier"], out_dir / "classifier.png"))
    paths.append(validation_figure(report["classifier"], out_dir / "validation.png"))
    return paths


def classifier_figure(rows: list[dict], path: Path) -> Path:
    """Accuracy, decision step and spikes to decision of each TTFS row, side by side."""
    plt = pyplot()
    ttfs = [r for r in rows if "decision_step" in r]
    labels = [f"{r['dataset']}\n{r['model'].split(', ')[1].split()[0]} {r['norm']}" for r in ttfs]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, key, title in zip(axes, ("accuracy", "decision_step", "spikes_to_decision"),
                              ("test accuracy", "decision step", "spikes to decision")):
        ax.bar(range(len(ttfs)), [r[key] for r in ttfs], color="tab:blue")
        ax.set_xticks(range(len(ttfs)), labels, fontsize=7)
        ax.set_title(title)
    fig.suptitle(f"TTFS classifiers 784-400-10 (Sec. 3.1), one bar per dataset, target and norm: {training(rows)}",
                 fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def training(rows: list[dict]) -> str:
    """The classifiers' training in words: per dataset, epochs, batch and images."""
    first = {r["dataset"]: r for r in reversed(rows)}
    return "; ".join(f"{ds}: {r['epochs']} epoch(s) of batch {r['batch']} on {r['train_images']:,} images"
                     for ds, r in reversed(first.items()))


def validation_figure(rows: list[dict], path: Path) -> Path:
    """Held-out accuracy against updates of each TTFS row, the kept update marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in rows:
        if r.get("validation"):
            up, acc = zip(*r["validation"])
            line, = ax.plot(up, acc, label=f"{r['dataset']} {r['model'].split(', ')[1]} {r['norm']}")
            if r.get("best_update") is not None:
                ax.plot([r["best_update"]], [max(acc)], "o", color=line.get_color())
    ax.set(xlabel="update", ylabel="held-out accuracy")
    fig.suptitle(wrap("TTFS classifiers 784-400-10: accuracy on held-out training images while training "
                               f"(the weights kept marked); {training(rows)}", 80), fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)
