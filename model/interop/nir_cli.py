"""``spikegan nir`` (``make nir``): networks in and out through NIR, measured against snnTorch and sinabs.

1. In: an MNIST classifier trained in snnTorch (Linear + Leaky, rate-coded
   inputs) -> snnTorch's NIR export -> `model.interop.imported.from_nir` at 8-bit
   weights -> an export (``weights/nir-mnist/snn``) for ``spikegan rtl`` /
   ``verify``. Its test accuracy under the golden model beside snnTorch's own
   simulation of the same network, on the same input spikes.
2. Out: the converted generator -> NIR -> back (the round trip must give the
   identical network) and into sinabs and snnTorch; each layer's spike counts
   against the golden model, and against `model.interop.nir_peers.emulate` of each
   peer's rules, which shows where every difference comes from.

Writes ``nir.json``, ``report.md`` and ``nir.png`` under ``--out``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from model.interop import nir_export

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_out, add_seed
from model.common.plots import pyplot, save_figure, wrap
from model.common.runinfo import machine
from model.interop import nir_peers
from model.snn.config import leak_text
from model.snn.golden import encode_noise, encode_spikes, run_network

# Spike-coded, as the peers need (the default run's generator is direct-coded: layer 1 takes no spikes).
DEFAULT_GENERATOR = "weights/gan-mnist-fpga/snn/manifest.json"


def add_arguments(parser) -> None:
    add_out(parser, "reports/nir", "report folder, the NIR files too")
    parser.add_argument("--export", default="weights/nir-mnist/snn", help="export folder of the imported classifier")
    parser.add_argument("--manifest", default=DEFAULT_GENERATOR,
                        help="the generator sent out through NIR, skipped if absent: a spike-coded one (make convert-fpga "
                             "writes it), as make convert's is direct-coded")
    parser.add_argument("--train", type=int, default=8000, help="MNIST training digits for the snnTorch classifier")
    parser.add_argument("--test", type=int, default=2000, help="MNIST test digits for the accuracies")
    parser.add_argument("--hidden", type=int, default=64, help="hidden neurons of the classifier")
    parser.add_argument("--timesteps", type=int, default=16, help="T of the classifier")
    parser.add_argument("--leak-shift", type=int, default=4, help="k of the classifier's leak: snnTorch beta = 1 - 2^-k")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs in snnTorch")
    parser.add_argument("--weight-bits", type=int, default=8, help="q: bits per weight of the imported classifier")
    parser.add_argument("--vectors", type=int, default=10, help="test digits exported as test vectors")
    parser.add_argument("--images", type=int, default=32, help="noise vectors for the generator's peer comparison")
    parser.add_argument("--data-dir", default=None, help="folder with MNIST IDX files (default: DATA_DIR, else the standard sources)")
    add_seed(parser, "training and noise seed")


def subset(images, n: int, seed: int):
    """``n`` digits drawn at random (a dataset may be sorted by class), as rows ``(n, 784)`` and labels."""
    import torch

    pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]
    return images.flat()[pick], images.labels[pick]


def classifier(args, out: Path) -> dict:
    """Train in snnTorch, go through NIR, and compare test accuracies on the same input spikes."""
    import nir

    from model.data.mnist import load_dataset
    from model.interop.imported import from_nir

    train, test = load_dataset("mnist", "train", args.data_dir), load_dataset("mnist", "test", args.data_dir)
    x, y = subset(train, args.train, args.seed)
    xt, yt = subset(test, args.test, args.seed + 1)
    t0 = time.perf_counter()
    beta = 1.0 - 2.0 ** -args.leak_shift
    net = nir_peers.train_classifier(x, y, args.hidden, args.timesteps, beta, args.epochs, args.seed)
    train_s = time.perf_counter() - t0
    path = out / "classifier.nir"
    nir.write(path, nir_peers.export_snntorch(net, x.shape[1]))
    graph = nir.read(path)
    imp = from_nir(graph, dt=nir_export.DT, reset="subtract", timesteps=args.timesteps, weight_bits=args.weight_bits)
    xt, yt = xt.double().numpy(), yt.numpy()
    c = imp.config
    spikes = encode_spikes(encode_noise(xt, c), c)
    golden = run_network(imp.net, spikes).counts[-1]
    own = nir_peers.run_snntorch(net, spikes)
    reimported = nir_peers.run_snntorch(nir_peers.import_snntorch(graph), spikes)
    export = imp.export(args.export, xt[: args.vectors])
    acc = {name: float((counts.argmax(1) == yt).mean()) for name, counts in
           (("golden", golden), ("snntorch", own), ("snntorch_nir_import", reimported))}
    return {
        "sizes": list(c.sizes), "timesteps": c.timesteps, "leak_shift": c.leak_shift, "weight_bits": c.weight_bits,
        "thresholds": [int(t) for t in imp.net.thresholds], "notes": list(imp.notes), "train_digits": len(x),
        "test_digits": len(xt), "epochs": args.epochs, "train_s": train_s, "accuracy": acc,
        "golden_minus_snntorch_points": 100 * (acc["golden"] - acc["snntorch"]),
        "decisions_agree": float((golden.argmax(1) == own.argmax(1)).mean()),
        "nir_file": str(path), "manifest": str(export.path),
    }


def _agreement(counts, golden) -> list[float]:
    return [float((a == b).mean()) for a, b in zip(counts, golden)]


def round_trip(export, out: Path):
    """Ours -> NIR -> ours: the same configuration, weights, biases and thresholds; and the graph read back."""
    import nir

    from model.interop.imported import from_nir

    path = nir_export.write(export.net, out / "generator.nir", extra={"manifest_sha256": export.sha256})
    graph = nir.read(path)
    back = from_nir(graph).net
    same = back.config == export.config and back.thresholds == export.net.thresholds and all(
        np.array_equal(a, b) for a, b in zip(back.weights + back.biases, export.net.weights + export.net.biases))
    return {"nir_file": str(path), "identical": bool(same)}, graph


def peers(export, images: int, seed: int, graph) -> dict:
    """Each layer's count agreement of sinabs and snnTorch with the golden model, and with their emulated rules."""
    net, c = export.net, export.config
    u = np.random.default_rng(seed).random((images, c.sizes[0]))
    spikes = encode_spikes(encode_noise(u, c), c)
    golden = run_network(net, spikes).counts[1:]
    rows = {}
    sinabs_out = nir_peers.run_sinabs(graph, spikes)
    snn_out = nir_peers.run_snntorch(nir_peers.snntorch_layers(net), spikes)
    for name, rules, measured in (("sinabs", nir_peers.SINABS, sinabs_out), ("snntorch", nir_peers.SNNTORCH, snn_out)):
        emulated = nir_peers.emulate(net, spikes, rules)
        rows[name] = {"output_vs_golden": _agreement([measured], golden[-1:])[0],
                      "emulated_vs_golden": _agreement(emulated, golden),
                      "output_vs_emulated": _agreement([measured], emulated[-1:])[0]}
    try:
        nir_peers.run_snntorch(nir_peers.import_snntorch(graph), spikes)
        rows["snntorch_importer"] = "ran"
    except Exception as e:  # the peer's own defect, reported as found
        rows["snntorch_importer"] = f"fails: {type(e).__name__}: {e}"
    singles = {"strict (v > theta)": nir_peers.Rules(strict=True), "multi-spike": nir_peers.Rules(multi=True),
               "clip at -theta": nir_peers.Rules(floor_at=1.0), "reset after leak": nir_peers.Rules(reset_unleaked=True)}
    rows["one_rule_vs_golden"] = {k: _agreement(nir_peers.emulate(net, spikes, r), golden) for k, r in singles.items()}
    rows["ours_emulated_vs_golden"] = _agreement(nir_peers.emulate(net, spikes, nir_peers.OURS), golden)
    return {"images": images, "sizes": list(c.sizes), "timesteps": c.timesteps, "reset": c.reset, **rows}


def markdown(report: dict) -> str:
    lines = ["# NIR in and out", "", f"`spikegan nir`, {report['total_s']:.0f} s.", ""]
    k = report["classifier"]
    a = k["accuracy"]
    lines += [
        f"Classifier {'-'.join(map(str, k['sizes']))}, T = {k['timesteps']}, snnTorch beta = 1 - 2^-{k['leak_shift']}, "
        f"trained in snnTorch on {k['train_digits']} MNIST digits ({k['epochs']} epochs, {k['train_s']:.0f} s), "
        f"imported from NIR at {k['weight_bits']}-bit weights; {k['test_digits']} test digits, the same input spikes:",
        "", "| simulation | accuracy |", "|---|---|",
        f"| golden model (the RTL's integers) | {a['golden']:.2%} |",
        f"| snnTorch, the trained network | {a['snntorch']:.2%} |",
        f"| snnTorch, its own import of the NIR file (LIF read with reset to zero) | {a['snntorch_nir_import']:.2%} |",
        "", f"Golden model minus snnTorch: {k['golden_minus_snntorch_points']:+.2f} points (goal: within 0.5); class "
        f"decisions agree on {k['decisions_agree']:.2%}.",
        "Import notes: " + "; ".join(k["notes"]) + ".", "",
    ]
    g = report.get("generator")
    if g is None:
        return "\n".join(lines + [f"Generator: skipped ({report.get('generator_skipped')})."]) + "\n"
    p = g["peers"]
    lines += [
        f"Generator {'-'.join(map(str, p['sizes']))} (T = {p['timesteps']}, reset {p['reset']}) -> NIR -> ours: "
        f"{'identical' if g['round_trip']['identical'] else 'DIFFERENT'} network. Share of equal spike counts over "
        f"{p['images']} noise vectors, per layer:", "",
        "| peer | output layer vs golden | its rules emulated, per layer vs golden | output vs its emulated rules |",
        "|---|---|---|---|",
    ]
    for name in ("sinabs", "snntorch"):
        r = p[name]
        lines.append(f"| {name} | {r['output_vs_golden']:.2%} | {', '.join(f'{x:.2%}' for x in r['emulated_vs_golden'])} "
                     f"| {r['output_vs_emulated']:.2%} |")
    lines += ["", "One rule at a time in our simulator (per layer vs golden): " + "; ".join(
        f"{k}: {', '.join(f'{x:.1%}' for x in v)}" for k, v in p["one_rule_vs_golden"].items()) + ".",
        f"snnTorch's own NIR importer on this IF graph: {p['snntorch_importer']}.", ""]
    return "\n".join(lines)


def figure_title(report: dict) -> str:
    """What the NIR figure shows: the classifier's and (if run) the generator's configuration."""
    k = report["classifier"]
    title = (f"Through NIR: snnTorch classifier {'-'.join(map(str, k['sizes']))} (T = {k['timesteps']}, "
             f"leak {leak_text(k['leak_shift'])}, {k['weight_bits']}-bit weights) on the golden model")
    g = report.get("generator")
    if g:
        p = g["peers"]
        title += (f"; generator {'-'.join(map(str, p['sizes']))} (T = {p['timesteps']}, reset {p['reset']}) "
                  "in sinabs and snnTorch")
    return title


def figure(report: dict, path: Path) -> Path:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    a = report["classifier"]["accuracy"]
    axes[0].bar(["golden\n(8-bit RTL)", "snnTorch", "snnTorch\nNIR import"], [100 * v for v in a.values()], color=["C0", "C1", "C2"])
    axes[0].set_ylim(min(a.values()) * 100 - 5, 100)
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].set_title("snnTorch classifier through NIR")
    g = report.get("generator")
    if g:
        p = g["peers"]
        layers = np.arange(1, len(p["sizes"]))
        for i, name in enumerate(("sinabs", "snntorch")):
            axes[1].bar(layers + 0.35 * (i - 0.5), [100 * v for v in p[name]["emulated_vs_golden"]], 0.35, label=f"{name} rules")
        axes[1].set_xticks(layers, [f"layer {l}" for l in layers])
        axes[1].set_ylabel("equal spike counts vs golden (%)")
        axes[1].set_title("generator in peers (measured = emulated)")
        axes[1].legend()
    fig.suptitle(wrap(figure_title(report), 120), fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def run(args) -> int:
    from model.snn.export import load

    for name in ("train", "test", "vectors", "images", "hidden", "timesteps", "epochs"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name} must be >= 1")
    export = load(args.manifest) if Path(args.manifest).exists() else None
    if export is not None and export.config.direct:
        raise UserError(f"{args.manifest} is direct-coded: its layer 1 takes no spikes, so the peers would have no input "
                        "to compare on; give a spike-coded generator (make convert-fpga writes one, as does "
                        "spikegan convert --coding bernoulli)")
    t0 = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"classifier": classifier(args, out), "machine": machine()}
    if export is not None:
        trip, graph = round_trip(export, out)
        report["generator"] = {"manifest": args.manifest, "round_trip": trip,
                               "peers": peers(export, args.images, args.seed, graph)}
    else:
        report["generator_skipped"] = f"no manifest at {args.manifest} (make convert-fpga writes it)"
    report["total_s"] = time.perf_counter() - t0
    write_json_and_markdown(out / "nir.json", report, markdown(report))
    figure(report, out / "nir.png")
    print(markdown(report))
    print(f"report: {out}/report.md, nir.json, nir.png; export: {report['classifier']['manifest']}")
    return 0 if report.get("generator", {}).get("round_trip", {}).get("identical", True) else 1
