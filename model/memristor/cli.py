"""``python -m model memristor``: train the memristor spiking GAN, write figures and reports.

Per image (the paper's protocol, default): one fresh network per image, the first
image of each of ``--classes`` classes. Per class (``--mode class``): one network per
class, cycling through ``--per-class`` images of it. Results go to
``<out>/<dataset>-<mode>[-fixed]/`` (grid.png, curves.png, conductance.png, report.json,
report.md). The RTL check (the hardware top learning on chip, compared with the
fixed-point model) is ``python -m verify memristor`` (`verify.memristor.hwcheck`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_dataset, add_out, add_seed
from model.common.progress import progress_bar
from model.common.runinfo import machine
from model.memristor import figures
from model.memristor.data import load_binary, mix_seed
from model.memristor.fixed import FixedGan
from model.memristor.gan import FloatGan, GanParams
from model.memristor.train import evaluate, majority, train
from model.snn.xorshift import MASK32, Xorshift32

GOAL = 0.95


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataset(parser, "dataset(s)", ("mnist", "fashion", "all"))
    parser.add_argument("--mode", default="image", choices=("image", "class"), help="train per image or per class")
    parser.add_argument("--classes", type=int, default=10, help="classes 0 .. N-1, one network each")
    parser.add_argument("--per-class", type=int, default=20, help="images per class in --mode class")
    parser.add_argument("--iterations", type=int, default=300, help="training iterations per network")
    parser.add_argument("--model", default="float", choices=("float", "fixed"), help="float reference or integer model")
    add_seed(parser, "network k uses xorshift32 seed mix_seed(SEED, k)")
    parser.add_argument("--eval-samples", type=int, default=20, help="noise samples per trained network")
    parser.add_argument("--split", default="train", choices=("train", "test"), help="split of the training images")
    parser.add_argument("--data-dir", default=None, help="folder with IDX files (default: DATA_DIR, else the standard sources)")
    add_out(parser, "weights/memristor", "output folder: the trained networks, their figures and reports")


def _check(args: argparse.Namespace) -> None:
    if not 1 <= args.classes <= 10:
        raise UserError("--classes must lie in 1 .. 10 (one network per class).")
    if args.iterations < 1 or args.eval_samples < 1 or args.per_class < 1:
        raise UserError("--iterations, --eval-samples and --per-class must be positive.")
    if not 0 <= args.seed <= MASK32:
        raise UserError(f"--seed must lie in 0 .. {MASK32}.")


def run_dataset(name: str, args: argparse.Namespace, p: GanParams) -> dict:
    """Train every network of one dataset, write its figures and report; return the summary."""
    classes = tuple(range(args.classes))
    per = args.per_class if args.mode == "class" else 1
    data = load_binary(name, args.split, per_class=per, classes=classes, data_dir=args.data_dir)
    out = Path(args.out) / run_name(name, args)
    out.mkdir(parents=True, exist_ok=True)
    model_cls = FloatGan if args.model == "float" else FixedGan
    flat = data.images.reshape(len(data.images), -1)
    rows, hists, before, after, refs, gens, counts = [], [], [], [], [], [], []
    start = time.time()
    with progress_bar(total=len(classes) * args.iterations, desc=f"{name} {args.mode}", unit="it") as bar:
        for k, c in enumerate(classes):
            targets = flat[data.labels == c]
            model = model_cls(p, Xorshift32(mix_seed(args.seed, k)))
            before.append({layer: model.conductances(layer) for layer in ("gen", "disc")})
            hist = train(model, targets, args.iterations, bar)
            after.append({layer: model.conductances(layer) for layer in ("gen", "disc")})
            ref = targets[0] if args.mode == "image" else majority(targets)
            ev = evaluate(model, ref, args.eval_samples)
            best = max(float((ev.images[0] == t).mean()) for t in targets)
            first = hist.first_reaching(GOAL)
            rows.append(
                {
                    "class": c,
                    "index": int(data.indices[data.labels == c][0]),
                    "foreground_pixels": int(ref.sum()),
                    "match_mean": round(ev.mean, 4),
                    "match_min": round(float(ev.match.min()), 4),
                    "samples_at_goal": round(float((ev.match >= GOAL).mean()), 4),
                    "best_match_training_image": round(best, 4),
                    "first_iteration_at_goal": first,
                    "d_accuracy_last50": round(hist.d_accuracy(50), 4),
                    "d_accuracy_first50": round(float(np.mean(hist.d_real_ok[:50] + hist.d_fake_ok[:50])), 4),
                }
            )
            hists.append(hist)
            refs.append(ref)
            gens.append(ev.images[0])
            counts.append(ev.counts[0])
    ref_label = "target (12x12 binarised)" if args.mode == "image" else "class majority"
    setup = (f"{name} 12x12, {args.model} model, G {p.n_latent}-{p.n_pixels}, D {p.n_pixels}-2, "
             f"{args.iterations} iterations of {args.mode} training, seed {args.seed}")
    figures.image_grid(
        [(ref_label, np.array(refs)), ("generated", np.array(gens)), ("spike counts", np.array(counts))],
        [f"class {c}" for c in classes],
        out / "grid.png",
        f"Real vs generated, one network per class: {setup}",
    )
    figures.learning_curves(hists, [f"{c}" for c in classes], out / "curves.png",
                            f"Learning curves, one line per class: {setup}")
    figures.conductance_histograms(
        {layer: np.concatenate([b[layer].ravel() for b in before]) for layer in ("gen", "disc")},
        {layer: np.concatenate([a[layer].ravel() for a in after]) for layer in ("gen", "disc")},
        out / "conductance.png",
        f"Synaptic conductances before and after training: {setup}",
    )
    means = [r["match_mean"] for r in rows]
    summary = {
        "machine": machine(),
        "dataset": name,
        "source": data.source,
        "mode": args.mode,
        "model": args.model,
        "iterations": args.iterations,
        "eval_samples": args.eval_samples,
        "seed": args.seed,
        "match_mean": round(float(np.mean(means)), 4),
        "match_worst_network": round(float(np.min(means)), 4),
        "reference": "target image" if args.mode == "image" else "class majority image",
        "goal": GOAL if args.mode == "image" else None,
        "goal_met_all": bool(min(means) >= GOAL) if args.mode == "image" else None,
        "d_accuracy_last50_mean": round(float(np.mean([r["d_accuracy_last50"] for r in rows])), 4),
        "seconds": round(time.time() - start, 1),
        "networks": rows,
        "figures": {k: str(out / f"{k}.png") for k in ("grid", "curves", "conductance")},
    }
    write_json_and_markdown(out / "report.json", summary, _markdown(summary), indent=2)
    return summary


def run_name(dataset: str, args: argparse.Namespace) -> str:
    """Output folder of one dataset: ``<dataset>-<mode>``, ``-fixed`` for the integer model."""
    return f"{dataset}-{args.mode}" + ("-fixed" if args.model == "fixed" else "")


def _markdown(s: dict) -> str:
    goal = (
        f"goal >= {s['goal']}: {'met' if s['goal_met_all'] else 'NOT met'}"
        if s["goal"] is not None
        else "no goal: the paper trains per image"
    )
    lines = [
        f"# Memristor spiking GAN: {s['dataset']}, per {s['mode']} ({s['model']} model)",
        "",
        f"{s['iterations']} iterations per network, {s['eval_samples']} noise samples each, seed {s['seed']}; "
        f"generated images (decoded: >= {GanParams().enc.min_count} spikes = on) compared with the {s['reference']}.",
        f"Mean pixel match {s['match_mean']:.4f}, worst network {s['match_worst_network']:.4f} ({goal}); "
        f"D accuracy over the last 50 iterations {s['d_accuracy_last50_mean']:.3f}.",
        "",
        "| class | index | fg pixels | match mean | match min | best training image | first iter >= 95 % "
        "| D acc first 50 | D acc last 50 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in s["networks"]:
        lines.append(
            f"| {r['class']} | {r['index']} | {r['foreground_pixels']} | {r['match_mean']:.4f} | "
            f"{r['match_min']:.4f} | {r['best_match_training_image']:.4f} | {r['first_iteration_at_goal']} | "
            f"{r['d_accuracy_first50']:.2f} | "
            f"{r['d_accuracy_last50']:.2f} |"
        )
    lines += ["", "Figures: " + ", ".join(f"`{v}`" for v in s["figures"].values()), ""]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    _check(args)
    p = GanParams()
    names = ("mnist", "fashion") if args.dataset == "all" else (args.dataset,)
    for name in names:
        s = run_dataset(name, args, p)
        goal = "" if s["goal"] is None else f" (goal {GOAL}: {'met' if s['goal_met_all'] else 'NOT met'})"
        print(
            f"[memristor] {name} per {args.mode}: mean pixel match with the {s['reference']} {s['match_mean']:.4f}, "
            f"worst {s['match_worst_network']:.4f}{goal}, "
            f"D accuracy (last 50) {s['d_accuracy_last50_mean']:.3f} -> {Path(args.out) / run_name(name, args)}"
        )
    return 0
