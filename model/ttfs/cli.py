"""``spikegan ttfs``: the TTFS Spiking-GAN experiments of Sec. 3 and their report.

1. The 784-400-10 classifier with Aggressive TTFS and S4NN's relative targets (and the
   second error norm), beside an ANN of the same size, on each dataset asked for.
2. The TTFS GAN (G 100-400-784, D 784-400-2) and the equivalent ANN GAN with the same
   updates, on all digits at once and (``--per-digit-updates``) one GAN per digit; the
   classifier FID of each with its real-data floor; the spike, operation and energy table;
   the 8-bit golden model against the float generator.

Writes ``ttfs.json``, ``report.md`` and PNG figures under ``--out``.
"""

from __future__ import annotations

import time
from pathlib import Path

from model.common.errors import UserError
from model.common.options import DEFAULT_RUN, add_dataset, add_no_directed, add_out, add_seed
from model.common.runinfo import command_line, commit, machine
from model.ttfs import experiments, report as ttfs_report
from model.ttfs.accounting import energy_table
from model.ttfs.coding import noise_times
from model.ttfs.gan import GanConfig
from model.ttfs.golden import export

DATASETS = ("mnist", "fashion")


def add_arguments(parser) -> None:
    add_dataset(parser, "data of the classifier table and the GANs ('all': the classifier on both, the GANs on MNIST)",
                (*DATASETS, "all"))
    parser.add_argument("--epochs", type=int, default=10, help="classifier epochs on MNIST")
    parser.add_argument("--fashion-epochs", type=int, default=2, help="classifier epochs on Fashion-MNIST (60,000 images)")
    parser.add_argument("--batch", type=int, default=10, help="samples per update (gradients summed, S4NN's per-sample rate)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images, for tests (default: all)")
    parser.add_argument("--validation", type=int, default=1000,
                        help="training images held out to keep the TTFS classifier's best weights (checked every 250 updates; 0: keep the last)")
    parser.add_argument("--gan-updates", type=int, default=1500, help="GAN updates on all digits (TTFS and ANN alike)")
    parser.add_argument("--per-digit-updates", type=int, default=150, help="updates of each per-digit GAN (0: skip)")
    parser.add_argument("--gan-silence", type=float, default=0.0,
                        help="share of the TTFS G's hidden error that pushes its fired neurons later, to cut spikes (0: none)")
    parser.add_argument("--gan-budget", type=int, default=0,
                        help="hidden spikes per image the silencing spares: it pushes only the later ones (0: pushes all)")
    parser.add_argument("--gan-init-min", type=float, nargs=2, default=GanConfig.g_init_min, metavar=("HIDDEN", "OUTPUT"),
                        help="lower bounds of the TTFS G's initial weights per layer (negative: signed weights)")
    parser.add_argument("--gan-init-max", type=float, nargs=2, default=GanConfig.g_init_max, metavar=("HIDDEN", "OUTPUT"),
                        help="upper bounds of the TTFS G's initial weights per layer")
    parser.add_argument("--images", type=int, default=1000, help="generated images scored per generator")
    parser.add_argument("--no-gan", action="store_true", help="classifier table only")
    parser.add_argument("--export", default="weights/ttfs-mnist/snn", help="where the 8-bit TTFS generator is exported for make rtl / verify")
    parser.add_argument("--vectors", type=int, default=10, help="test vectors (noise spike times) to export")
    add_no_directed(parser)
    parser.add_argument("--lanes", type=int, default=16, help="P of the exported generator's memory layout")
    parser.add_argument("--rate-report", default=f"{DEFAULT_RUN}/snn-direct/report/conversion.json",
                        help="the rate-coded generator's conversion report (make rate), for the energy comparison")
    parser.add_argument("--data-dir", default=None, help="folder with IDX files (default: DATA_DIR, else the standard sources)")
    add_seed(parser, "seed of the initial weights, the data order and the noise")
    add_out(parser, "reports/ttfs")


def _check(args) -> None:
    for name in ("epochs", "fashion_epochs", "batch", "gan_updates", "images", "vectors", "lanes"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1, not {getattr(args, name)}")
    if args.per_digit_updates < 0:
        raise UserError(f"--per-digit-updates must be >= 0, not {args.per_digit_updates}")
    if args.validation < 0 or (args.limit is not None and args.validation >= args.limit):
        raise UserError(f"--validation must be >= 0 and leave training images (--limit {args.limit}), not {args.validation}")
    if args.images < 10:
        raise UserError(f"--images must be >= 10 for a FID, not {args.images}")


def gan_config(args) -> GanConfig:
    """The TTFS GAN the options describe; its own checks refuse a bad silence, budget or bound."""
    try:
        return GanConfig(seed=args.seed, updates=args.gan_updates, batch=args.batch, silence=args.gan_silence,
                         budget=args.gan_budget, g_init_min=tuple(args.gan_init_min), g_init_max=tuple(args.gan_init_max))
    except ValueError as e:
        raise UserError(f"bad TTFS GAN option: {e} (--gan-silence, --gan-budget, --gan-init-min / --gan-init-max)") from e


def rate_coded(path: str | Path) -> dict | None:
    """Synaptic operations and energy of the rate-coded generator from its conversion report."""
    import json
    path = Path(path)
    if not path.is_file():
        return None
    try:
        rep = json.loads(path.read_text())
        ops, cfg = float(rep["goals"]["synaptic_ops"]), rep["config"]
        return {"source": str(path), "synaptic_ops": ops, "timesteps": cfg["timesteps"], "sizes": cfg["sizes"],
                "energy": energy_table(ops, 0, cfg["membrane_bits"], cfg["weight_bits"])}
    except (ValueError, KeyError, TypeError) as e:
        raise UserError(f"{path}: not a readable conversion report ({e}); re-run make rate or pass --rate-report ''") from e


def export_generator(gan, fixed, out: Path, vectors: int, lanes: int, seed: int, directed: bool = True) -> Path:
    """The trained G's quantised network ``fixed``, laid out in ``lanes``, with ``vectors`` noise
    vectors (and, ``directed``, the vectors that close its coverage), as a manifest for the RTL."""
    import torch

    c = gan.config
    times = noise_times(vectors, c.g_sizes[0], c.timesteps, torch.Generator().manual_seed(seed + 7)).numpy()
    return export(fixed.with_lanes(lanes), out, times, extra={"theta": c.theta, "sizes": list(c.g_sizes), "seed": seed},
                  directed=directed)


def run(args) -> int:
    _check(args)
    config = gan_config(args)  # refuse bad GAN options before the classifiers train
    start = time.time()
    rows = []
    for ds in DATASETS if args.dataset == "all" else (args.dataset,):
        epochs = args.epochs if ds == "mnist" else args.fashion_epochs
        rows += experiments.classifier_rows(ds, epochs, args.batch, data_dir=args.data_dir, limit=args.limit, seed=args.seed,
                                            validation=args.validation)
    report = {"command": command_line("spikegan ttfs", args), "classifier": rows}
    samples = {}
    if not args.no_gan:
        gan, samples = experiments.gan_runs("mnist" if args.dataset == "all" else args.dataset, config,
                                            args.per_digit_updates, args.images, args.data_dir)
        manifest = export_generator(samples["gan"], samples["fixed"], Path(args.export), args.vectors, args.lanes, args.seed,
                                    not args.no_directed)
        gan["export"] = {"manifest": str(manifest), "vectors": args.vectors, "lanes": args.lanes}
        rc = rate_coded(args.rate_report) if args.rate_report else None
        if rc:
            gan["spikes"]["rate_coded"] = rc
        report["gan"] = gan
    report.update(seconds=time.time() - start, machine=machine(), commit=commit())
    paths = ttfs_report.write(report, samples, Path(args.out))
    print(ttfs_report.markdown(report))
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
