"""``spikegan hybrid``: the hybrid SNN/ANN GANs of Mao et al., every variant x discriminator with the same updates.

Writes ``hybrid.json``, ``report.md``, a sample grid per run and D's error curves under ``--out``.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from model.common.errors import UserError
from model.common.options import DEFAULT_DATASET, add_out, add_seed
from model.common.runinfo import command_line, commit, machine
from model.hybrid import experiments, report as hybrid_report
from model.hybrid.nets import DISCRIMINATORS, VARIANTS, NetShape
from model.hybrid.spiking import LifParams
from model.hybrid.train import HybridConfig

DATASETS = ("mnist", "fashion", "cifar10")


def add_arguments(parser) -> None:
    parser.add_argument("--variant", default="all", help=f"generators: 'all' or a comma list of {', '.join(VARIANTS)}")
    parser.add_argument("--disc", default="both", choices=(*DISCRIMINATORS, "both"), help="discriminators")
    parser.add_argument("--dataset", default=DEFAULT_DATASET,
                        help=f"comma list of {', '.join(DATASETS)}; CIFAR-10 needs --data-dir")
    parser.add_argument("--updates", type=int, default=1000, help="updates of every run (G and D alternate)")
    parser.add_argument("--batch", type=int, default=64, help="images per update")
    parser.add_argument("--width", type=int, default=16, help="G's channels are 4w, 4w, 2w (the paper: w = 32)")
    parser.add_argument("--timesteps", type=int, default=16, help="T of G's spiking modules")
    parser.add_argument("--d-timesteps", type=int, default=8, help="T of the SNN discriminator")
    parser.add_argument("--leak-shift", type=int, default=4, help="k of the LIF decay beta = 1 - 2^-k")
    parser.add_argument("--theta", type=float, default=1.0, help="threshold of every LIF neuron")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam's learning rate (G and D)")
    parser.add_argument("--images", type=int, default=1000, help="generated images scored per run")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images, for tests (default: all)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu, or cuda when a GPU is there")
    parser.add_argument("--data-dir", default=None, help="folder with IDX files or CIFAR-10 batches (default: DATA_DIR, else the standard sources)")
    add_seed(parser, "seed of the weights, the data order and the noise")
    add_out(parser, "reports/hybrid")


def _names(text: str, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    names = known if text == "all" else tuple(n.strip() for n in text.split(","))
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise UserError(f"--{what}: unknown {', '.join(map(repr, bad)) or 'empty list'}; choose from {', '.join(known)} or all")
    return names


def _config(args) -> HybridConfig:
    if args.images < 10:
        raise UserError(f"--images must be >= 10 for a FID, not {args.images}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA GPU is visible to torch here; use --device cpu")
    try:
        return HybridConfig(shape=NetShape(width=args.width), updates=args.updates, batch=args.batch, lr=args.lr,
                            g_lif=LifParams(args.theta, args.timesteps, args.leak_shift),
                            d_lif=LifParams(args.theta, args.d_timesteps, args.leak_shift), seed=args.seed)
    except UserError as e:
        raise UserError(f"bad option: {e}") from e


def run(args) -> int:
    base = _config(args)
    variants = _names(args.variant, VARIANTS, "variant")
    discs = DISCRIMINATORS if args.disc == "both" else (args.disc,)
    datasets = _names(args.dataset, DATASETS, "dataset")
    start = time.time()
    report = {"command": command_line("spikegan hybrid", args), "datasets": []}
    samples = {}
    for ds in datasets:
        results, samples[ds] = experiments.run_all(ds, base, variants, discs, args.images, args.data_dir, args.limit, args.device)
        report["datasets"].append(results)
    report.update(seconds=time.time() - start, machine=machine(), commit=commit())
    paths = hybrid_report.write(report, samples, Path(args.out))
    print(hybrid_report.markdown(report))
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
