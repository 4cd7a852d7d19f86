"""Training one hybrid GAN: the DCGAN recipe (Adam 2e-4, betas 0.5/0.999, binary cross-entropy), the same
number of updates for every variant and discriminator."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from model.common.errors import UserError
from model.common.progress import progress_bar
from model.hybrid.nets import DISCRIMINATORS, VARIANTS, NetShape, build_discriminator, build_generator
from model.hybrid.spiking import LifParams


@dataclass(frozen=True)
class HybridConfig:
    """One run: generator ``variant``, ``discriminator`` kind, the networks' shape, the spiking modules'
    ``g_lif`` / ``d_lif`` and the optimiser's budget."""

    variant: str = "middle"
    discriminator: str = "ann"
    shape: NetShape = NetShape()
    g_lif: LifParams = LifParams(timesteps=25)
    d_lif: LifParams = LifParams(timesteps=25)
    updates: int = 1000
    batch: int = 64
    lr: float = 2e-4
    seed: int = 0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise UserError(f"variant must be one of {', '.join(VARIANTS)}, not {self.variant!r}")
        if self.discriminator not in DISCRIMINATORS:
            raise UserError(f"discriminator must be one of {', '.join(DISCRIMINATORS)}, not {self.discriminator!r}")
        for name in ("updates", "batch"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be >= 1, not {getattr(self, name)!r}")
        if not self.lr > 0:
            raise UserError(f"lr must be > 0, not {self.lr!r}")

    @property
    def name(self) -> str:
        return f"{self.variant}-g_{self.discriminator}-d"


class NoiseGenerator(nn.Module):
    """A generator with the `model.gan.train` sampling interface (``sample_noise``), so its helpers serve it."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.net.shape.latent, generator=generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    @property
    def spiking(self):
        return self.net.spiking


@dataclass
class TrainedHybrid:
    config: HybridConfig
    gen: NoiseGenerator
    disc: nn.Module
    history: dict = field(default_factory=lambda: {"d_loss": [], "g_loss": [], "d_error": []})
    train_s: float = 0.0

    def to_dict(self) -> dict:
        return {"config": asdict(self.config), "train_s": self.train_s}


def d_error(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> float:
    """D's classification error on a batch: real images scored fake or fake images scored real."""
    return float(torch.cat([real_logits < 0, fake_logits >= 0]).double().mean())


def update(run: TrainedHybrid, real: torch.Tensor, opt_g, opt_d, noise: torch.Generator) -> None:
    """One alternating update: D on real and fake images, then G through D (non-saturating loss)."""
    device = real.device
    z = run.gen.sample_noise(len(real), noise).to(device)
    fake = run.gen(z)
    r, f = run.disc(real), run.disc(fake.detach())
    loss_d = (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
              + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))) / 2
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    g = run.disc(fake)
    loss_g = F.binary_cross_entropy_with_logits(g, torch.ones_like(g))
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    for key, value in (("d_loss", float(loss_d.detach())), ("g_loss", float(loss_g.detach())), ("d_error", d_error(r.detach(), f.detach()))):
        run.history[key].append(value)


def train(images: torch.Tensor, config: HybridConfig, device: str = "cpu", desc: str | None = None) -> TrainedHybrid:
    """Train on ``images`` ``(N, C, H, W)`` in [0, 1] (scaled to the generator's [-1, 1]); one throttled bar."""
    shape = config.shape
    if images.dim() != 4 or tuple(images.shape[1:]) != (shape.channels, shape.image_size, shape.image_size):
        raise UserError(f"images {tuple(images.shape)} do not fit (N, {shape.channels}, {shape.image_size}, {shape.image_size})")
    torch.manual_seed(config.seed)
    gen = NoiseGenerator(build_generator(config.variant, shape, config.g_lif)).to(device)
    disc = build_discriminator(config.discriminator, shape, config.d_lif).to(device)
    run = TrainedHybrid(config, gen, disc)
    opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=config.lr, betas=(0.5, 0.999))
    order = torch.Generator().manual_seed(config.seed)
    noise = torch.Generator().manual_seed(config.seed + 1)
    data = images * 2 - 1
    start = time.perf_counter()
    with progress_bar(total=config.updates, desc=desc or config.name, unit="upd") as bar:
        for _ in range(config.updates):
            idx = torch.randint(0, len(data), (config.batch,), generator=order)
            update(run, data[idx].to(device), opt_g, opt_d, noise)
            bar.update()
    run.train_s = time.perf_counter() - start
    return run
