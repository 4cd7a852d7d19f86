"""The ANN GAN of SpikeGAN (Sec. II-A, Table I): a generator built for exact SNN
conversion, the textbook MLP baseline, the discriminator and the losses (Eq. 1-3).

Generator (``arch='spikegan'``), 100-1200-1200-784 by default:

* input ``u ~ U(0, 1)^100``, the rate the SNN encodes (Eq. 4); the network sees
  ``z = 2u - 1``, an affine map that folds into the first layer;
* ReLU hidden layers (an IF/LIF neuron's rate is a clipped ReLU, Sec. II-C), each
  optionally followed by BatchNorm, which in eval mode is affine and folds into
  its Linear layer;
* output ``(hardtanh(y) + 1) / 2 = clamp((y + 1) / 2, 0, 1)``: a pixel is a spike
  rate in [0, 1] exactly, with the affine part folded into the last layer. The
  forward pass is exactly that clamp; only the backward pass may differ:
  ``out_grad='hard'`` (the default) is the true hardtanh gradient, ``'straight'``
  passes it through unchanged (saturated pixels still learn, but drift far out:
  speckled strokes), ``'inward'`` passes it only where it pulls a saturated pixel
  back (smooth strokes, grey background).

So, in eval mode, ``G(u) == clamp(L3(relu(L2(relu(L1(u))))), 0, 1)`` with the three
plain affine layers of :meth:`Generator.affine_layers`: the contract the converter
relies on.

Discriminator: an MLP 784-512-256-1 with LeakyReLU(0.2) and dropout, the usual
choice for MLP GANs on MNIST (Goodfellow et al. used maxout with dropout). It only
trains G, so nothing about it has to be convertible; LeakyReLU keeps gradients
alive for fakes D rejects, dropout keeps D from memorising 8,000 digits in 1,500
steps, and its size (0.5 M weights against G's 2.5 M) keeps a CPU run short.

Textbook baseline (``arch='textbook'``): the same sizes with LeakyReLU(0.2)
hidden layers, a tanh output and Gaussian noise, the MLP GAN of most tutorials.
It is not convertible (tanh and LeakyReLU have no rate-coded IF equivalent).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.common.errors import UserError
from model.gan.config import TrainConfig

IMAGE_DIM = 784
QCFS_CLIP_INIT = 3.0  # about the 99.9th percentile of a ReLU of BatchNorm's unit-variance output
QCFS_CLIP_MIN = 1e-3  # a learnt clip never reaches zero


class _ClampStraightThrough(torch.autograd.Function):
    """``clamp(y, -1, 1)`` forward, identity backward (a straight-through estimator)."""

    @staticmethod
    def forward(ctx, y: torch.Tensor) -> torch.Tensor:
        return y.clamp(-1.0, 1.0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad


class _ClampInward(torch.autograd.Function):
    """``clamp(y, -1, 1)`` forward; backward passes the gradient while ``|y| <= 1 + margin``
    and, beyond that, only where a descent step moves ``y`` back towards the range.
    Saturated pixels can still come back (unlike the true hardtanh gradient) but are
    never pushed far out (unlike plain straight-through, under which they drift
    without bound); the margin lets background pixels settle a little below -1,
    where small weight changes do not bring them back above 0 brightness."""

    @staticmethod
    def forward(ctx, y: torch.Tensor, margin: float) -> torch.Tensor:
        ctx.save_for_backward(y)
        ctx.margin = margin
        return y.clamp(-1.0, 1.0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (y,) = ctx.saved_tensors
        edge = 1.0 + ctx.margin
        keep = (y.abs() <= edge) | ((y > edge) & (grad > 0)) | ((y < -edge) & (grad < 0))
        return grad * keep, None


def qcfs(h: torch.Tensor, clip: torch.Tensor, levels: int) -> torch.Tensor:
    """Quantisation-clip-floor-shift activation, ``clip / L * clamp(floor(h L / clip + 1/2), 0, L)``.

    What a rate-coded IF layer computes with ``L`` steps, its threshold at ``clip`` and the
    conversion's half-threshold bias offset: a count rounded to ``L`` levels. The floor passes the
    gradient straight through, so ``h`` gets the gradient of ``clamp(h, 0, clip)`` and ``clip``
    learns the scale (QCFS, Bu et al. 2022)."""
    clip = clip.clamp(min=QCFS_CLIP_MIN)
    x = h * (levels / clip) + 0.5
    x = x + (torch.floor(x) - x).detach()
    return x.clamp(0.0, float(levels)) * (clip / levels)


class Generator(nn.Module):
    """Conversion-friendly generator: ``u`` (B, noise_dim) in [0, 1] -> images (B, 784) in [0, 1].

    ``levels`` > 0 trains with :func:`qcfs` hidden activations (one learnt clip per layer) in place
    of ReLU: conversion-aware training for a rate code of ``levels`` steps."""

    def __init__(
        self,
        noise_dim: int = 100,
        hidden: tuple[int, ...] = (1200, 1200),
        batchnorm: bool = True,
        out_grad: str = "straight",
        out_margin: float = 0.0,
        levels: int = 0,
    ):
        super().__init__()
        sizes = (noise_dim, *hidden, IMAGE_DIM)
        self.noise_dim, self.hidden, self.out_grad, self.out_margin = noise_dim, tuple(hidden), out_grad, out_margin
        self.levels = levels
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(h) if batchnorm else nn.Identity() for h in hidden)
        if levels:
            self.clips = nn.Parameter(torch.full((len(hidden),), QCFS_CLIP_INIT))

    def activation(self, h: torch.Tensor, layer: int) -> torch.Tensor:
        """The hidden activation of ``layer``: ReLU, or :func:`qcfs` when trained for ``levels`` steps."""
        return qcfs(h, self.clips[layer], self.levels) if self.levels else F.relu(h)

    @property
    def clip_values(self) -> torch.Tensor:
        """The learnt clips as :func:`qcfs` uses them (never below ``QCFS_CLIP_MIN``)."""
        return self.clips.clamp(min=QCFS_CLIP_MIN)

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``u ~ U(0, 1)^noise_dim``: what the SNN rate-encodes."""
        return torch.rand(n, self.noise_dim, generator=generator)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self._images_and_hidden(u)[0]

    def forward_with_rate(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The images and, trained with ``levels``, the hidden neurons' mean activation over their clip:
        the converted network's spikes per neuron and step (what the firing-rate penalty lowers)."""
        images, hidden = self._images_and_hidden(u)
        if not self.levels:
            return images, None
        return images, torch.cat([h / clip for h, clip in zip(hidden, self.clip_values)], dim=1).mean()

    def _images_and_hidden(self, u: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The images and every hidden layer's activations."""
        h, hidden = 2.0 * u - 1.0, []
        for layer, (linear, norm) in enumerate(zip(self.linears[:-1], self.norms)):
            h = self.activation(norm(linear(h)), layer)
            hidden.append(h)
        y = self.linears[-1](h)
        y = output_clamp(y, self.out_grad, self.out_margin)
        return (y + 1.0) / 2.0, hidden

    @torch.no_grad()
    def affine_layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Plain float64 layers ``(W (out, in), b (out,))`` with, in eval mode,
        ``G(u) == clamp(L_n(relu(...relu(L_1(u)))), 0, 1)``.

        Folded in: ``z = 2u - 1`` into L1, each eval-mode BatchNorm into its
        Linear, and the output map ``(y + 1) / 2`` into the last layer. A generator
        trained with ``levels`` has each hidden layer divided by its clip (and the next
        layer's weights multiplied by it), so its activations are clipped at 1 and
        quantised to ``levels`` steps: the layers are normalised for a rate code already
        (convert with ``--norm unit``), and ``relu`` above is that activation's limit.
        """
        layers = []
        for i, linear in enumerate(self.linears):
            w, b = linear.weight.double().clone(), linear.bias.double().clone()
            if i == 0:  # W(2u - 1) + b = (2W) u + (b - W 1)
                b = b - w.sum(dim=1)
                w = 2.0 * w
            if i < len(self.norms) and isinstance(self.norms[i], nn.BatchNorm1d):
                bn = self.norms[i]
                scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
                w = scale[:, None] * w
                b = scale * (b - bn.running_mean.double()) + bn.bias.double()
            if i == len(self.linears) - 1:  # (y + 1) / 2
                w, b = w / 2.0, (b + 1.0) / 2.0
            if self.levels and i > 0:  # the input is h / clip: clip * W (h / clip)
                w = w * self.clip_values[i - 1].double()
            if self.levels and i < len(self.norms):  # h / clip
                w, b = w / self.clip_values[i].double(), b / self.clip_values[i].double()
            layers.append((w, b))
        return layers


def output_clamp(y: torch.Tensor, out_grad: str = "straight", margin: float = 0.0) -> torch.Tensor:
    """``clamp(y, -1, 1)`` with the backward pass named by ``out_grad`` ('hard', 'straight', 'inward')."""
    if out_grad == "hard":
        return F.hardtanh(y)
    if out_grad == "straight":
        return _ClampStraightThrough.apply(y)
    return _ClampInward.apply(y, margin)


class TextbookGenerator(nn.Module):
    """Textbook MLP generator: Gaussian ``z`` -> LeakyReLU(0.2) hidden -> tanh, mapped to [0, 1]."""

    def __init__(self, noise_dim: int = 100, hidden: tuple[int, ...] = (1200, 1200)):
        super().__init__()
        sizes = (noise_dim, *hidden, IMAGE_DIM)
        self.noise_dim, self.hidden = noise_dim, tuple(hidden)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.noise_dim, generator=generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = z
        for linear in self.linears[:-1]:
            h = F.leaky_relu(linear(h), 0.2)
        return (torch.tanh(self.linears[-1](h)) + 1.0) / 2.0

    def affine_layers(self):
        raise UserError(
            "the textbook generator (LeakyReLU, tanh, Gaussian noise) has no exact SNN equivalent; "
            "convert a generator trained with --arch spikegan."
        )


class Discriminator(nn.Module):
    """MLP critic: images (B, 784) in [0, 1] -> logits (B,) (real > 0).

    With ``minibatch_std`` the last layer also sees the batch's mean feature
    standard deviation (Karras et al. 2018), so a generator that collapses onto a
    few images is easy to tell from real data, whatever each image looks like.
    """

    def __init__(self, hidden: tuple[int, ...] = (512, 256), dropout: float = 0.3, minibatch_std: bool = False):
        super().__init__()
        sizes = (IMAGE_DIM, *hidden)
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
        self.body = nn.Sequential(*layers)
        self.minibatch_std = minibatch_std
        self.head = nn.Linear(sizes[-1] + int(minibatch_std), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(2.0 * x - 1.0)
        if self.minibatch_std:
            h = torch.cat([h, h.std(dim=0).mean().expand(len(h), 1)], dim=1)
        return self.head(h).squeeze(1)


def build_generator(config: TrainConfig) -> nn.Module:
    if config.arch == "spikegan":
        return Generator(config.noise_dim, config.hidden, config.g_batchnorm, config.out_grad, config.out_margin,
                         config.qcfs_levels)
    return TextbookGenerator(config.noise_dim, config.hidden)


def build_models(config: TrainConfig) -> tuple[nn.Module, Discriminator]:
    """``(G, D)`` freshly initialised from the global torch RNG (seed it first)."""
    return build_generator(config), Discriminator(config.d_hidden, config.d_dropout, config.d_minibatch_std)


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 1.0) -> torch.Tensor:
    """Eq. 2 as a loss: ``-[log D(x) + log(1 - D(G(z)))]`` (``real_label`` < 1: one-sided smoothing)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def g_loss(fake_logits: torch.Tensor, kind: str = "nonsaturating") -> torch.Tensor:
    """Eq. 3: minimise ``log(1 - D(G(z)))`` ('minimax'), or ``-log D(G(z))`` ('nonsaturating')."""
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)
    return F.softplus(-fake_logits).mean()  # -log sigmoid(l) = softplus(-l)
