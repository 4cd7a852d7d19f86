"""Spiking-GAN (Sec. 2.3-2.6, 3.2): a TTFS generator and discriminator trained in turns.

G maps noise spike times (U{0, T}, Sec. 2.3) through IF layers to one spike time per
pixel, decoded as ``p = (T - t) / T``. D (784-400-2) reads a real or generated spike
image; output neuron 0 means fake, 1 real, and the earlier spike decides. Both use the
least-squares temporal loss with the 'Aggressive TTFS' targets (Eq. 4-7): D's desired
neuron is the true class, G's is 'real' for its fakes (the flipped targets), and G's error
is backpropagated through D's frozen weights into G (Sec. 2.6). At D's input a pixel that
never fired takes the ReLU network's unmasked gradient (``input_grad='silent'``; the others
keep Eq. 15's causal mask): under the mask alone a dark pixel (t = T) gets no gradient, so a
G whose pixels went dark could never light them again, and without the mask at all the
gradient points the strokes the wrong way (it counts D's neurons that had fired before the
pixel could matter).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

from model.common.progress import progress_bar
from model.ttfs.backprop import backward
from model.ttfs.classify import check_learning, init_weights, sgd_step
from model.ttfs.coding import decode_times, encode_images, noise_times
from model.ttfs.losses import targets, temporal_loss
from model.ttfs.neuron import IfParams, forward

FAKE, REAL = 0, 1


@dataclass(frozen=True)
class GanConfig:
    """Sizes of G and D, the IF parameters, the initial weight bounds (G's ``U[g_init_min,
    g_init_max]`` per layer, D's ``U[0, d_init_max]``) and the updates;
    ``silence`` is the share of G's hidden error that pushes its fired neurons later
    (:func:`model.ttfs.backprop.silencing`; 0: none), ``budget`` the hidden spikes per image it
    spares (the earliest; 0: none spared)."""

    g_sizes: tuple[int, ...] = (100, 400, 784)
    d_sizes: tuple[int, ...] = (784, 400, 2)
    timesteps: int = 256
    theta: float = 100.0
    g_init_min: tuple[float, ...] = (0.0, 0.0)
    g_init_max: tuple[float, ...] = (8.0, 2.0)
    d_init_max: tuple[float, ...] = (5.0, 48.0)
    target: str = "aggressive"
    norm: str = "l2"
    input_grad: str = "silent"
    lr_g: float = 0.05
    lr_d: float = 0.2
    l2: float = 1e-6
    silence: float = 0.0
    budget: int = 0
    updates: int = 1000
    batch: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        check_learning(self, ("updates", "batch"))
        if not self.silence >= 0:
            raise ValueError(f"silence must be >= 0, not {self.silence!r}")
        if self.budget < 0:
            raise ValueError(f"budget must be >= 0 hidden spikes per image, not {self.budget!r}")
        layers = len(self.g_sizes) - 1
        if not len(self.g_init_min) == len(self.g_init_max) == layers or not all(
                lo < hi for lo, hi in zip(self.g_init_min, self.g_init_max)):
            raise ValueError(f"g_init_min {self.g_init_min!r} must be below g_init_max {self.g_init_max!r}, one bound per layer of G")
        if self.g_sizes[-1] != self.d_sizes[0] or self.d_sizes[-1] != 2:
            raise ValueError(f"G's output ({self.g_sizes[-1]}) must feed D's input ({self.d_sizes[0]}) and D must have 2 outputs")

    @property
    def params(self) -> IfParams:
        return IfParams(self.theta, self.timesteps)

    @property
    def neurons(self) -> int:
        """Neurons of G and D together, D's input layer counted apart from G's output as the
        paper does (2,470 for the default sizes): the most spikes one image can cost both."""
        return sum(self.g_sizes) + sum(self.d_sizes)


@dataclass
class TtfsGan:
    config: GanConfig
    g: list[torch.Tensor]
    d: list[torch.Tensor]
    history: dict = field(default_factory=lambda: {"d_loss": [], "g_loss": [], "d_real_correct": [], "d_fake_correct": []})

    def to_dict(self) -> dict:
        return {"config": asdict(self.config), "history": self.history}


def build(config: GanConfig) -> TtfsGan:
    return TtfsGan(config, init_weights(config.g_sizes, config.g_init_max, config.seed, config.g_init_min),
                   init_weights(config.d_sizes, config.d_init_max, config.seed + 1))


def generate_times(gan: TtfsGan, z_times: torch.Tensor) -> list[torch.Tensor]:
    """G's fire times per layer (noise first) for noise times ``z_times``."""
    return forward(z_times, gan.g, gan.config.params)


def generate(gan: TtfsGan, n: int, seed: int) -> torch.Tensor:
    """``n`` generated images ``(n, 784)`` in [0, 1] from seeded noise."""
    c = gan.config
    z = noise_times(n, c.g_sizes[0], c.timesteps, torch.Generator().manual_seed(seed))
    return decode_times(generate_times(gan, z)[-1], c.timesteps)


def _d_pass(gan: TtfsGan, x_times: torch.Tensor, label: int):
    c = gan.config
    times = forward(x_times, gan.d, c.params)
    labels = torch.full((len(x_times),), label, dtype=torch.int64)
    loss, grad = temporal_loss(times[-1], targets(c.target, times[-1], labels, c.timesteps), c.timesteps)
    correct = times[-1][:, label] < times[-1][:, 1 - label]
    return times, loss, grad, float(correct.double().mean())


def train_step(gan: TtfsGan, real_times: torch.Tensor, g: torch.Generator) -> dict[str, float]:
    """One D update on a real and a fake batch, then one G update through the frozen D."""
    c = gan.config
    z = noise_times(len(real_times), c.g_sizes[0], c.timesteps, g)
    g_times = generate_times(gan, z)
    d_grads = []
    stats = {}
    for x, label, key in ((real_times, REAL, "d_real_correct"), (g_times[-1], FAKE, "d_fake_correct")):
        times, loss, grad, correct = _d_pass(gan, x, label)
        d_grads.append(backward(times, gan.d, grad, c.params, c.norm)[0])
        stats[key] = correct
        stats["d_loss"] = stats.get("d_loss", 0.0) + float(loss) / 2
    sgd_step(gan.d, [a + b for a, b in zip(*d_grads)], c.lr_d, c.l2)
    times, loss, grad, _ = _d_pass(gan, g_times[-1], REAL)
    _, grad_x = backward(times, gan.d, grad, c.params, c.norm, input_grad=c.input_grad)
    g_grads, _ = backward(g_times, gan.g, grad_x, c.params, c.norm, silence=c.silence, budget=c.budget)
    sgd_step(gan.g, g_grads, c.lr_g, c.l2)
    stats["g_loss"] = float(loss)
    return stats


def train(images: torch.Tensor, config: GanConfig, desc: str = "TTFS GAN") -> TtfsGan:
    """Train on real images ``(N, 784)`` in [0, 1] for ``config.updates`` alternating updates."""
    gan = build(config)
    real = encode_images(images, config.timesteps)
    g = torch.Generator().manual_seed(config.seed + 2)
    order = torch.empty(0, dtype=torch.int64)
    with progress_bar(total=config.updates, desc=desc, unit="upd") as bar:
        for _ in range(config.updates):
            if len(order) < config.batch:
                order = torch.cat([order, torch.randperm(len(real), generator=g)])
            idx, order = order[:config.batch], order[config.batch:]
            for k, v in train_step(gan, real[idx], g).items():
                gan.history[k].append(v)
            bar.update()
    return gan
