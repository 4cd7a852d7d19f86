"""``spikegan memristor-rtl`` / ``python -m verify memristor``: the paper-size RTL top (``hw/memristor/top.py``) learns on chip for
K iterations under a simulator and is compared with the fixed-point model.

Per dataset it trains on the first image of class 0 and writes
``<out>/hwcheck-<dataset>.json``, ``.md`` and ``.png`` (target, the RTL's last fake
image, the model's, and the D spike counts of both per iteration).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from hw.memristor.top import MemristorGanTop
from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_dataset, add_out, add_seed, add_sim
from model.common.plots import pyplot, save_figure
from model.common.runinfo import machine
from model.memristor.data import decode, load_binary, mix_seed
from model.memristor.fixed import FixedGan, build_spec
from model.memristor.gan import GanParams
from model.snn.xorshift import MASK32, Xorshift32
from verify.memristor import runner


def run_rtl(
    p: GanParams, preset: str, target: np.ndarray, iterations: int, seed: int, simulator: str, log: Path | None = None
) -> dict:
    """Build the top for ``preset`` and run the bit-exactness testbench on it."""
    top = MemristorGanTop(p, build_spec(p))
    plan = {"preset": preset, "seed": seed, "target": [int(b) for b in target], "iterations": iterations}
    return runner.simulate(simulator, top, f"memristor_top_{preset}", "verify.tb.memristor_top", plan, optimize=True, log=log)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataset(parser, "dataset(s) of the target image", ("mnist", "fashion", "all"))
    parser.add_argument("--iterations", type=int, default=100,
                        help="on-chip training iterations (Icarus needs about 10 min per 100)")
    add_sim(parser)
    add_seed(parser, "xorshift32 seed mix_seed(SEED), as for spikegan memristor")
    parser.add_argument("--split", default="train", choices=("train", "test"), help="split of the target image")
    parser.add_argument("--data-dir", default=None, help="folder with IDX files (default: DATA_DIR, else the standard sources)")
    add_out(parser, "reports/memristor-rtl")


def hardware_check(args: argparse.Namespace, p: GanParams | None = None) -> list[dict]:
    """The RTL check of every chosen dataset; a report per dataset, and ok only where all is bit-exact."""
    p = p or GanParams()
    if not 1 <= args.iterations < 1 << 16:
        raise UserError("--iterations must lie in 1 .. 65535.")
    if not 0 <= args.seed <= MASK32:
        raise UserError(f"--seed must lie in 0 .. {MASK32}.")
    names = ("mnist", "fashion") if args.dataset == "all" else (args.dataset,)
    reports = []
    for name in names:
        data = load_binary(name, args.split, per_class=1, classes=(0,), data_dir=args.data_dir)
        target = data.images[0].reshape(-1)
        print(f"[memristor] hardware check: {name} class 0, {args.iterations} on-chip iterations under {args.sim} "
              f"(log: {Path(args.out) / f'hwcheck-{name}.log'}) ...")
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        start = time.time()
        seed = mix_seed(args.seed)
        result = run_rtl(p, "paper", target, args.iterations, seed, args.sim, out / f"hwcheck-{name}.log")
        seconds = time.time() - start
        model = FixedGan(p, Xorshift32(seed))
        expected = []
        for _ in range(args.iterations):
            rec = model.step(target)
            expected.append([*rec.d_real.tolist(), *rec.d_fake.tolist(), int(rec.fake_counts.sum()), int(rec.learn_counts.sum())])
        rtl_fake = decode(np.array([bin(w).count("1") for w in result["last_fake_words"]]), p.enc)
        model_fake = decode(rec.fake_counts, p.enc)
        report = {
            "machine": machine(),
            "dataset": name,
            "image_index": int(data.indices[0]),
            "simulator": args.sim,
            "iterations": args.iterations,
            "cycles": result["cycles"],
            "seconds": round(seconds, 1),
            "seed": seed,
            "counters_equal_every_iteration": result["records"] == expected,
            "states_equal": result["final"]["g_states_equal"] and result["final"]["d_states_equal"],
            "g_states_changed": result["final"]["g_states_changed"],
            "d_states_changed": result["final"]["d_states_changed"],
            "last_fake_equal": bool((rtl_fake == model_fake).all()),
            "rtl_last_fake_match_target": round(float((rtl_fake == target).mean()), 4),
        }
        write_json_and_markdown(out / f"hwcheck-{name}.json", report, _markdown(report), out / f"hwcheck-{name}.md",
                                indent=2)
        _figure(target, rtl_fake, model_fake, np.array(result["records"]), np.array(expected), name, report,
                out / f"hwcheck-{name}.png")
        ok = report["counters_equal_every_iteration"] and report["states_equal"] and report["last_fake_equal"]
        print(
            f"[memristor] hardware check {name}: {'bit-exact' if ok else 'MISMATCH'} over {args.iterations} iterations "
            f"({report['cycles']} cycles, {seconds:.0f} s); RTL fake matches the target in "
            f"{report['rtl_last_fake_match_target']:.4f} of pixels -> {out / f'hwcheck-{name}.png'}"
        )
        report["ok"] = ok
        reports.append(report)
    return reports


def _markdown(r: dict) -> str:
    return "\n".join(
        [
            f"# Hardware check: {r['dataset']} (image {r['image_index']}), {r['simulator']}",
            "",
            f"{r['iterations']} on-chip training iterations of the paper-size top (12 -> 144 -> 2, 40 steps), "
            f"{r['cycles']} clock cycles, {r['seconds']} s.",
            "",
            f"- D/G spike counters equal to the fixed-point model in every iteration: {r['counters_equal_every_iteration']}",
            f"- all {1728 + 288} synapse states equal at the end: {r['states_equal']} "
            f"(changed by training: G {r['g_states_changed']}, D {r['d_states_changed']})",
            f"- last fake image equal: {r['last_fake_equal']}; it matches the target in {r['rtl_last_fake_match_target']:.4f} of pixels",
            "",
        ]
    )


def _figure(target, rtl_fake, model_fake, rtl, model, name: str, r: dict, path: Path) -> None:
    fig = pyplot().figure(figsize=(12, 3.2))
    for k, (img, title) in enumerate(((target, "target"), (rtl_fake, "RTL fake (last)"), (model_fake, "model fake (last)"))):
        ax = fig.add_subplot(1, 5, k + 1)
        ax.imshow(img.reshape(12, 12), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    ax = fig.add_subplot(1, 5, (4, 5))
    it = np.arange(len(rtl))
    for c, label in ((0, "D true, real"), (1, "D false, real"), (2, "D true, fake"), (3, "D false, fake")):
        ax.plot(it, model[:, c], lw=1, label=f"model {label}")
        ax.plot(it, rtl[:, c], ".", ms=3, color=ax.lines[-1].get_color())
    ax.set(xlabel="iteration", ylabel="spikes", title="D spike counts: model (lines) vs RTL (dots)")
    ax.legend(fontsize=6, ncol=2)
    fig.suptitle(
        f"{name} image {r['image_index']}: on-chip learning of the memristor GAN (12 -> 144 -> 2, 40 steps) in RTL "
        f"vs the fixed-point model ({r['simulator']}, {r['iterations']} iterations, {r['cycles']} cycles): "
        f"{'bit-exact' if r['states_equal'] and r['counters_equal_every_iteration'] else 'MISMATCH'}",
        fontsize=10,
    )
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every dataset's check is bit-exact, 1 otherwise."""
    return 0 if all(r["ok"] for r in hardware_check(args)) else 1
