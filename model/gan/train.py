"""``python -m model train``: train the ANN GAN, checkpoint it, draw samples, score it.

One update = one discriminator step (real batch + a batch of ``G(u)``) then one
generator step on the same fakes. Epochs are passes over the shuffled training
set in full batches (the partial last batch is dropped); training stops after
exactly ``config.updates`` updates, so the last epoch may be partial. With the
8,000 MNIST digits here, the default batch 256 gives 31 updates per epoch and the
default 6,000 updates take 194 epochs (192 passes); Table I's setting
(``--batch 600 --updates 1500``: 15 x 60,000 samples) gives 13 updates per epoch
and 116 epochs (112.5 passes). Why the defaults differ: ``model/gan/config.py``.

Deterministic for a seed on one machine: the weights come from ``torch.manual_seed``,
each epoch's shuffle from (seed, epoch), the noise from its own generator whose
state (with the global one, which drives dropout) is checkpointed, so a resumed
run continues exactly where the interrupted one was.

At the end, the generator's BatchNorm running statistics are re-estimated over
fresh noise (cumulative mean, no momentum), so the eval-mode network, the one
:meth:`model.gan.nets.Generator.affine_layers` folds and the converter uses, sees the
population statistics. The outputs in ``--out``: ``checkpoint.pt``,
``config.json``, ``samples_latest.png`` (every epoch) and ``samples_epochNNN.png``
(about ten kept), ``loss_curve.png``, ``metrics.json`` and ``metrics.md``.

The default recipe (``model/gan/config.py``) was chosen by measured sweeps: BatchNorm
in G, the true hardtanh gradient at the output clamp, the non-saturating G loss,
Adam with betas (0.5, 0.999), lr 4e-4 for G and 2e-4 for D.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from model.common import plots
from model.common.cli import shown
from model.common.errors import UserError
from model.common.files import atomic_path
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_out
from model.common.progress import progress_bar
from model.common.runinfo import machine
from model.gan.config import TrainConfig, parse_hidden, replace
from model.gan.nets import build_generator, build_models, d_loss, g_loss

CHECKPOINT = "checkpoint.pt"
FORMAT = "spikegan-ann-gan/1"
GRID_SAMPLES = 100
HISTORY_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


@dataclass
class TrainState:
    """Everything that changes during training (what a checkpoint holds, with the config)."""

    config: TrainConfig
    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    noise_rng: torch.Generator
    step: int = 0
    train_seconds: float = 0.0
    history: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})


def init_state(config: TrainConfig, device: str = "cpu") -> TrainState:
    """Fresh models and optimisers, seeded by ``config.seed``."""
    torch.manual_seed(config.seed)
    gen, disc = (m.to(device) for m in build_models(config))
    betas = (config.beta1, config.beta2)
    return TrainState(
        config=config,
        generator=gen,
        discriminator=disc,
        opt_g=torch.optim.Adam(gen.parameters(), lr=config.lr_g, betas=betas),
        opt_d=torch.optim.Adam(disc.parameters(), lr=config.lr_d, betas=betas),
        noise_rng=torch.Generator().manual_seed(config.seed + 1),
    )


def train_step(state: TrainState, real: torch.Tensor) -> dict[str, float]:
    """One D step and one G step on the batch ``real`` (B, 784); returns the losses."""
    cfg, gen, disc = state.config, state.generator, state.discriminator
    u = gen.sample_noise(len(real), state.noise_rng).to(real.device)
    fake, rate = gen.forward_with_rate(u) if cfg.rate_penalty else (gen(u), None)
    real_logits, fake_logits = disc(real), disc(fake.detach())
    loss_d = d_loss(real_logits, fake_logits, cfg.real_label)
    state.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    state.opt_d.step()
    loss_g = g_loss(disc(fake), cfg.g_loss)
    if rate is not None:
        loss_g = loss_g + cfg.rate_penalty * rate
    state.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    state.opt_g.step()
    state.step += 1
    out = {
        "d_loss": loss_d.item(),
        "g_loss": loss_g.item(),
        "d_real": torch.sigmoid(real_logits).mean().item(),
        "d_fake": torch.sigmoid(fake_logits).mean().item(),
    }
    for k, v in out.items():
        state.history[k].append(v)
    return out


def epoch_order(config: TrainConfig, epoch: int, n: int) -> torch.Tensor:
    """The shuffle of epoch ``epoch``: a function of (seed, epoch) alone, so resuming mid-epoch is exact."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(config.seed * 100_003 + epoch))


@torch.no_grad()
def recalibrate_batchnorm(gen: nn.Module, n: int = 20_000, batch: int = 1000, seed: int = 0) -> None:
    """Set every BatchNorm's running mean/var to their averages over ``n`` fresh noise samples."""
    norms = [m for m in gen.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    device = next(gen.parameters()).device
    rng = torch.Generator().manual_seed(seed + 2)
    saved = [(m.momentum, m.training) for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    gen.train()
    for _ in range(math.ceil(n / batch)):
        gen(gen.sample_noise(batch, rng).to(device))
    for m, (momentum, training) in zip(norms, saved):
        m.momentum = momentum
        m.train(training)


@torch.no_grad()
def generate(gen: nn.Module, n: int, seed: int, batch: int = 2000) -> torch.Tensor:
    """``n`` eval-mode samples (``(n, 784)`` for the MLP generators) on the CPU from noise seeded by ``seed``."""
    was_training = gen.training
    gen.eval()
    rng = torch.Generator().manual_seed(seed)
    device = next(gen.parameters()).device
    out = torch.cat([gen(gen.sample_noise(min(batch, n - i), rng).to(device)).cpu() for i in range(0, n, batch)])
    gen.train(was_training)
    return out


def run_updates(
    state: TrainState,
    data: torch.Tensor,
    out_dir: Path | None = None,
    progress: bool = True,
    fixed_noise: torch.Tensor | None = None,
) -> TrainState:
    """Train until ``state.step == state.config.updates``; with ``out_dir``, write grids and checkpoints."""
    cfg = state.config
    upe = cfg.updates_per_epoch(len(data))
    n_epochs = cfg.epochs(len(data))
    grid_every = cfg.grid_every or max(1, math.ceil(n_epochs / 10))
    state.generator.train()
    state.discriminator.train()
    bar = progress_bar(total=cfg.updates, initial=state.step, desc=f"training ({n_epochs} epochs)", unit="update",
                       disable=not progress, dynamic_ncols=True)
    while state.step < cfg.updates:
        epoch, first = divmod(state.step, upe)
        order = epoch_order(cfg, epoch, len(data))
        last = min(upe, cfg.updates - epoch * upe)
        started = time.perf_counter()
        for i in range(first, last):
            losses = train_step(state, data[order[i * cfg.batch : (i + 1) * cfg.batch]])
            # refresh=False: the postfix shows at the bar's own (throttled) redraws, not at every update
            bar.set_postfix(epoch=f"{epoch + 1}/{n_epochs}", D=f"{losses['d_loss']:.3f}", G=f"{losses['g_loss']:.3f}",
                            Dx=f"{losses['d_real']:.2f}", DGz=f"{losses['d_fake']:.2f}", refresh=False)
            bar.update()
        state.train_seconds += time.perf_counter() - started
        done = epoch + 1
        if out_dir is not None:
            grid = _grid_samples(state.generator, fixed_noise)
            title = f"Samples of the {gan_label(cfg)}, after epoch {done} of {n_epochs} (the same noise every epoch)"
            plots.image_grid(grid, out_dir / "samples_latest.png", title)
            if done % grid_every == 0 or state.step == cfg.updates:
                plots.image_grid(grid, out_dir / f"samples_epoch{done:03d}.png", title)
            if done % cfg.checkpoint_every == 0 and state.step < cfg.updates:
                save_checkpoint(state, out_dir / CHECKPOINT)
    bar.close()
    return state


def gan_label(cfg: TrainConfig) -> str:
    """The GAN in words: architecture, generator sizes, dataset, seed."""
    return (f"{cfg.arch} GAN {cfg.noise_dim}-{'-'.join(map(str, cfg.hidden))}-784 on {cfg.dataset}, "
            f"seed {cfg.seed}")


@torch.no_grad()
def _grid_samples(gen: nn.Module, noise: torch.Tensor) -> torch.Tensor:
    was_training = gen.training
    gen.eval()
    images = gen(noise.to(next(gen.parameters()).device)).cpu()
    gen.train(was_training)
    return images


def save_checkpoint(state: TrainState, path: Path) -> None:
    """Write the whole training state atomically (a crash never leaves half a checkpoint)."""
    payload = {
        "format": FORMAT,
        "config": dataclasses.asdict(state.config),
        "generator": state.generator.state_dict(),
        "discriminator": state.discriminator.state_dict(),
        "opt_g": state.opt_g.state_dict(),
        "opt_d": state.opt_d.state_dict(),
        "noise_rng": state.noise_rng.get_state(),
        "torch_rng": torch.get_rng_state(),
        "step": state.step,
        "train_seconds": state.train_seconds,
        "history": state.history,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`; a ``UserError`` if it is missing or corrupt."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise UserError(f"no checkpoint at {path}; train one with `spikegan train --out {path.parent}`")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # a text file, random bytes, a foreign pickle, a truncated zip: torch's words are about its API
        raise UserError(f"{path} is not a PyTorch checkpoint that spikegan train wrote (torch cannot read it as one); "
                        f"give the checkpoint.pt of a run (`spikegan train --out <run>` writes <run>/{CHECKPOINT}), "
                        "and if spikegan train wrote this file, it is corrupt: train that run again") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UserError(f"{path} is not a spikegan GAN checkpoint (expected format {FORMAT!r}); train one with `spikegan train`")
    try:
        payload["config"] = TrainConfig.from_dict(payload["config"])
    except (TypeError, KeyError) as e:
        raise UserError(f"checkpoint {path} holds a malformed config ({e}); train again.") from e
    return payload


def _load_weights(module: nn.Module, weights: dict, what: str, path) -> None:
    try:
        module.load_state_dict(weights)
    except (RuntimeError, KeyError, TypeError) as e:
        first = str(e).strip().splitlines()
        detail = "; ".join(line.strip() for line in first[1:4]) or first[0]
        raise UserError(
            f"checkpoint {path}: the {what} weights do not fit the architecture its config describes "
            f"({detail}); the file was altered or written by another version. Train again."
        ) from e


def load_generator(path: str | Path) -> nn.Module:
    """The trained generator of a checkpoint, in eval mode on the CPU (a :class:`Generator` for 'spikegan')."""
    payload = load_checkpoint(path)
    gen = build_generator(payload["config"])
    _load_weights(gen, payload["generator"], "generator", path)
    return gen.eval()


def state_from_checkpoint(payload: dict, path, device: str = "cpu") -> TrainState:
    """A :class:`TrainState` that continues exactly where the checkpoint stopped."""
    state = init_state(payload["config"], device)
    _load_weights(state.generator, payload["generator"], "generator", path)
    _load_weights(state.discriminator, payload["discriminator"], "discriminator", path)
    try:
        state.opt_g.load_state_dict(payload["opt_g"])
        state.opt_d.load_state_dict(payload["opt_d"])
        state.noise_rng.set_state(payload["noise_rng"])
        torch.set_rng_state(payload["torch_rng"])
        state.step, state.train_seconds = int(payload["step"]), float(payload["train_seconds"])
        state.history = {k: list(payload["history"][k]) for k in HISTORY_KEYS}
    except (ValueError, KeyError, RuntimeError, TypeError) as e:
        raise UserError(f"checkpoint {path} holds a malformed optimiser or RNG state ({e}); train again.") from e
    return state


def fixed_grid_noise(state: TrainState) -> torch.Tensor:
    return state.generator.sample_noise(GRID_SAMPLES, torch.Generator().manual_seed(state.config.seed + 3))


def finish(state: TrainState, data_size: int, out_dir: Path, evaluate: bool = True, started: float | None = None) -> dict:
    """Re-estimate BatchNorm statistics, save the final checkpoint, plots and metrics.

    ``started`` (a ``time.perf_counter()`` value) adds this invocation's wall time to the report.
    """
    cfg = state.config
    recalibrate_batchnorm(state.generator, seed=cfg.seed)
    save_checkpoint(state, out_dir / CHECKPOINT)
    upe = cfg.updates_per_epoch(data_size)
    plots.image_grid(_grid_samples(state.generator, fixed_grid_noise(state)), out_dir / "samples_latest.png",
                     f"Samples of the {gan_label(cfg)}, after {state.step} updates (BatchNorm statistics re-estimated)")
    plots.loss_curve(state.history, out_dir / "loss_curve.png", upe, f"Training of the {gan_label(cfg)}")
    report = {
        "arch": cfg.arch,
        "dataset": cfg.dataset,
        "seed": cfg.seed,
        "updates": state.step,
        "batch": cfg.batch,
        "train_images": data_size,
        "updates_per_epoch": upe,
        "epochs": cfg.epochs(data_size),
        "passes_over_data": round(state.step * cfg.batch / data_size, 2),
        "train_seconds": round(state.train_seconds, 1),
        "final_losses_epoch_mean": {k: round(sum(v[-upe:]) / len(v[-upe:]), 4) for k, v in state.history.items()},
    }
    if evaluate:
        from model import metrics

        metrics_started = time.perf_counter()
        images = generate(state.generator, cfg.n_eval, seed=cfg.seed + 4)
        report["metrics"] = metrics.evaluate_images(images, cfg.dataset, cfg.data_dir)
        report["real_floor"] = metrics.real_floor(cfg.dataset, cfg.data_dir, n=min(cfg.n_eval, data_size))
        report["metrics_seconds"] = round(time.perf_counter() - metrics_started, 1)
    if started is not None:
        report["wall_seconds"] = round(time.perf_counter() - started, 1)
    report["machine"] = machine()
    write_json_and_markdown(out_dir / "metrics.json", report, _markdown(report), out_dir / "metrics.md", indent=2)
    return report


def _markdown(report: dict) -> str:
    lines = [
        f"# {report['arch']} GAN on {report['dataset']} (seed {report['seed']})",
        "",
        f"{report['updates']} updates of batch {report['batch']} = {report['passes_over_data']} passes over "
        f"{report['train_images']} images ({report['epochs']} epochs of {report['updates_per_epoch']} updates); "
        f"training took {report['train_seconds']} s"
        + (f", the whole command {report['wall_seconds']} s." if "wall_seconds" in report else "."),
        "",
    ]
    if "metrics" in report:
        floor = report.get("real_floor", {})
        lines += ["| metric | generated | real train images (same n, the floor) |", "|---|---|---|"]
        for key, value in report["metrics"].items():
            if isinstance(value, (int, float)):
                ref = floor.get(key)
                lines.append(f"| {key} | {value:.4g} | {ref:.4g} |" if isinstance(ref, (int, float)) else f"| {key} | {value:.4g} | |")
    return "\n".join(lines) + "\n"


def train(
    config: TrainConfig,
    out_dir: str | Path,
    resume: bool = False,
    evaluate: bool = True,
    progress: bool = True,
    device: str = "cpu",
) -> dict:
    """Train (or resume) into ``out_dir`` and return the metrics report."""
    from model.data.mnist import load_dataset

    started = time.perf_counter()
    out_dir = Path(out_dir)
    if resume:
        payload = load_checkpoint(out_dir / CHECKPOINT)
        saved = payload["config"]
        if config.updates < payload["step"]:
            raise UserError(f"the checkpoint has already done {payload['step']} updates, more than --updates {config.updates}.")
        payload["config"] = replace(saved, updates=config.updates)
        state = state_from_checkpoint(payload, out_dir / CHECKPOINT, device)
    else:
        state = init_state(config, device)
    cfg = state.config
    data = load_dataset(cfg.dataset, "train", cfg.data_dir).flat().to(device)
    cfg.updates_per_epoch(len(data))  # a clear error before any file is written
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg.save(out_dir / "config.json")
    run_updates(state, data, out_dir, progress, fixed_grid_noise(state))
    return finish(state, len(data), out_dir, evaluate, started)


# ---------------------------------------------------------------- CLI

_OVERRIDES_ON_RESUME = ("updates",)


def add_arguments(parser) -> None:
    d = TrainConfig()
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default=None, help=f"training set (default: {d.dataset})")
    parser.add_argument("--arch", choices=("spikegan", "textbook"), default=None,
                        help=f"spikegan: the convertible generator; textbook: the LeakyReLU/tanh/Gaussian baseline "
                             f"(default: {d.arch})")
    parser.add_argument("--batch", type=int, default=None, help=f"batch size; Table I: 600 (default: {d.batch})")
    parser.add_argument("--updates", type=int, default=None,
                        help=f"parameter updates; Table I: 1500 of batch 600 = 15 epochs of 60,000 (default: {d.updates})")
    parser.add_argument("--epochs", type=int, default=None,
                        help="train this many full epochs instead of --updates (default: none, --updates counts)")
    parser.add_argument("--hidden", type=parse_hidden, default=None,
                        help="generator hidden sizes: one size for two equal layers (64 -> 100-64-64-784), a size and a comma for one "
                        f"layer (40, -> 100-40-784) or a comma list (default: {','.join(map(str, d.hidden))})")
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam learning rate of both G and D (default: none, --lr-g and --lr-d)")
    parser.add_argument("--lr-g", type=float, default=None, help=f"Adam learning rate of G (default: {shown(d.lr_g)})")
    parser.add_argument("--lr-d", type=float, default=None, help=f"Adam learning rate of D (default: {shown(d.lr_d)})")
    parser.add_argument("--g-loss", choices=("minimax", "nonsaturating"), default=None,
                        help=f"generator loss: Eq. 3 as written or -log D(G(z)) (default: {d.g_loss})")
    parser.add_argument("--qcfs-levels", type=int, default=None,
                        help="conversion-aware training: G's hidden activations quantised to this many rate-code levels and "
                        f"clipped at a learnt scale (QCFS; convert with --norm unit); 0: ReLU (default: {d.qcfs_levels})")
    parser.add_argument("--rate-penalty", type=float, default=None,
                        help="with --qcfs-levels: add this x G's mean hidden spike rate to its loss, for fewer spikes "
                             f"(default: {shown(d.rate_penalty)})")
    parser.add_argument("--seed", type=int, default=None, help=f"random seed (default: {d.seed})")
    parser.add_argument("--data-dir", default=None, help="folder with IDX files (default: DATA_DIR, else the standard sources)")
    add_out(parser, None, "output folder", shown="weights/gan-<dataset>")
    parser.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.pt (up to --updates/--epochs if given)")
    parser.add_argument("--no-metrics", action="store_true", help="skip the metric classifier at the end")
    parser.add_argument("--device", default="cpu", help="torch device; results differ slightly across devices")


def _config_from_args(args) -> tuple[TrainConfig, dict]:
    given = {
        "dataset": args.dataset, "arch": args.arch, "batch": args.batch, "updates": args.updates,
        "hidden": args.hidden, "g_loss": args.g_loss, "seed": args.seed, "data_dir": args.data_dir,
        "qcfs_levels": args.qcfs_levels, "rate_penalty": args.rate_penalty,
    }
    if args.lr is not None:
        given.update(lr_g=args.lr, lr_d=args.lr)
    given.update({k: v for k, v in (("lr_g", args.lr_g), ("lr_d", args.lr_d)) if v is not None})
    given = {k: v for k, v in given.items() if v is not None}
    return TrainConfig(**given), given


def run(args) -> int:
    if args.epochs is not None and args.updates is not None:
        raise UserError("give --epochs or --updates, not both.")
    if args.epochs is not None and args.epochs < 1:
        raise UserError(f"--epochs must be >= 1, not {args.epochs}")
    try:
        torch.empty(1, device=args.device)
    except (RuntimeError, AssertionError) as e:
        raise UserError(f"--device {args.device} is not usable here ({str(e).splitlines()[0]}); use --device cpu.") from e
    config, given = _config_from_args(args)
    out_dir = Path(args.out or f"weights/gan-{config.dataset}")
    if args.resume:
        saved = load_checkpoint(out_dir / CHECKPOINT)["config"]
        clash = {k: (v, getattr(saved, k)) for k, v in given.items() if k not in _OVERRIDES_ON_RESUME and getattr(saved, k) != v}
        if clash:
            detail = ", ".join(f"--{k.replace('_', '-')} {v} (checkpoint: {s})" for k, (v, s) in clash.items())
            raise UserError(f"--resume continues the run in {out_dir} as configured; drop {detail}, or train into another --out.")
        config = replace(saved, updates=given.get("updates", saved.updates))
    elif (out_dir / CHECKPOINT).exists():
        raise UserError(f"{out_dir / CHECKPOINT} exists; pass --resume to continue it, or choose another --out.")
    if args.epochs is not None:
        from model.data.mnist import load_dataset

        n = len(load_dataset(config.dataset, "train", config.data_dir))
        config = replace(config, updates=args.epochs * config.updates_per_epoch(n))
    print(f"[train] {gan_label(config)}: {config.updates} updates of batch {config.batch} -> {out_dir}")
    report = train(config, out_dir, resume=args.resume, evaluate=not args.no_metrics, device=args.device)
    print(f"[train] {report['updates']} updates ({report['passes_over_data']} passes over {report['train_images']} images): "
          f"training {report['train_seconds']} s, whole command {report['wall_seconds']} s")
    if "metrics" in report:
        print("[train] metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in report["metrics"].items() if isinstance(v, (int, float))))
    print(f"[train] wrote {out_dir}/checkpoint.pt, samples, loss_curve.png, metrics.json, metrics.md")
    return 0
