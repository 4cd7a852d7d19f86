"""The hybrid GANs of Mao et al.: a DCGAN, spiking modules placed in its generator, an SNN extractor, an SNN D.

Generator (``width`` w; the paper's sizes are w = 32; ``s = image_size / 4``)::

    z -> Linear(4w s^2) -> BN -> up2 -> [front] -> conv3x3 4w -> BN -> LReLU -> up2 -> [middle]
      -> conv3x3 2w -> BN -> LReLU -> conv3x3 C -> tanh | [back]

A spiking module (`model.hybrid.spiking.Lif`) at the marked place adds no parameters, so the
three placements have the ANN's parameters and depth. The front and middle modules run before the
upsampling that precedes them in the paper's figure: a neuron driven by a constant current and
nearest-neighbour upsampling commute, so the images and gradients are the same at a quarter of
the neurons (each spike reaches 4 x 9 x C synapses of the next conv); at the back it replaces tanh and the
image is ``2 r - 1`` of its spike rate ``r`` (its output is its spikes, nothing else). The
extractor generator encodes ``z`` with the Linear + BN, runs a 1x1 conv 4w -> w, LIF, 1x1 conv
w -> w/2, LIF over ``T`` steps (the second conv reads the first LIF's spikes of each step) and
decodes the rate with the convolutions above (up2, conv 4w, up2, conv 2w, conv C, tanh).

Discriminator: four stride-2 conv3x3 blocks (16, 32, 64, 128 channels; BN from the second)
and a linear score. The ANN's blocks end in LReLU and dropout; the SNN's in LIF neurons, the
image entering the first conv as a constant current and each later conv reading the spikes of
every step; its score is the mean over the steps of the linear layer's output.

Every image is computed on its own (steps are stacked along the batch and split back in
order), so in eval mode an image never depends on the others of its batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from model.common.errors import UserError
from model.hybrid.spiking import Lif, LifParams, lif_trains

VARIANTS = ("ann", "front", "middle", "back", "extractor")
DISCRIMINATORS = ("ann", "snn")
D_CHANNELS = (16, 32, 64, 128)


@dataclass(frozen=True)
class NetShape:
    """``image_size`` (a multiple of 4), ``channels`` (1 or 3), ``latent`` and the generator's ``width``."""

    image_size: int = 28
    channels: int = 1
    latent: int = 100
    width: int = 32

    def __post_init__(self) -> None:
        if self.image_size < 8 or self.image_size % 4:
            raise UserError(f"image_size must be a multiple of 4 and >= 8, not {self.image_size!r}")
        if self.channels not in (1, 3):
            raise UserError(f"channels must be 1 or 3, not {self.channels!r}")
        for name in ("latent", "width"):
            if getattr(self, name) < 2:
                raise UserError(f"{name} must be >= 2, not {getattr(self, name)!r}")

    @property
    def seed_size(self) -> int:
        return self.image_size // 4


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    """conv3x3 -> BN -> LReLU(0.2)."""
    return [nn.Conv2d(c_in, c_out, 3, 1, 1), nn.BatchNorm2d(c_out, 0.8), nn.LeakyReLU(0.2)]


class Generator(nn.Module):
    """The DCGAN generator with a spiking module at ``variant`` ('ann': none, 'front', 'middle', 'back')."""

    def __init__(self, shape: NetShape, variant: str, lif: LifParams):
        super().__init__()
        if variant not in VARIANTS[:4]:
            raise UserError(f"variant must be one of {', '.join(VARIANTS[:4])}, not {variant!r}")
        w, s = shape.width, shape.seed_size
        self.shape, self.variant = shape, variant
        fan_out = {"front": 4 * 4 * w * 9, "middle": 4 * 2 * w * 9, "back": 1}  # synapses per spike: up2, then a 3x3 conv
        self.lif = Lif(lif, fan_out[variant]) if variant != "ann" else None

        def here(place: str) -> list[nn.Module]:
            return [self.lif] if variant == place else []

        self.fc = nn.Linear(shape.latent, 4 * w * s * s)
        self.body = nn.Sequential(
            nn.BatchNorm2d(4 * w), *here("front"), nn.Upsample(scale_factor=2),
            *_block(4 * w, 4 * w), *here("middle"), nn.Upsample(scale_factor=2),
            *_block(4 * w, 2 * w), nn.Conv2d(2 * w, shape.channels, 3, 1, 1),
        )

    @property
    def spiking(self) -> list[Lif]:
        return [self.lif] if self.lif is not None else []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        s = self.shape.seed_size
        x = self.body(self.fc(z).view(len(z), -1, s, s))
        return 2 * self.lif(x) - 1 if self.variant == "back" else torch.tanh(x)


class _StepConv(nn.Module):
    """A layer applied to each step's spikes ``(T, B, ...)``: the steps are stacked along the batch and split back."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer

    def forward(self, steps: torch.Tensor) -> torch.Tensor:
        out = self.layer(steps.flatten(0, 1))
        return out.view(*steps.shape[:2], *out.shape[1:])


class ExtractorGenerator(nn.Module):
    """The SNN-extractor generator (Sec. 2.3): Linear + BN encoder, two spiking 1x1 layers over T steps, conv decoder."""

    def __init__(self, shape: NetShape, lif: LifParams):
        super().__init__()
        w, s = shape.width, shape.seed_size
        self.shape, self.variant = shape, "extractor"
        self.fc = nn.Linear(shape.latent, 4 * w * s * s)
        self.encode = nn.Sequential(nn.BatchNorm2d(4 * w), nn.Conv2d(4 * w, w, 1))
        self.inner = _StepConv(nn.Conv2d(w, w // 2, 1))
        self.lif_params = lif
        self.lif = [Lif(lif, w // 2), Lif(lif, 4 * 4 * w * 9)]  # accounting only: the second's rate is upsampled, then a 3x3 conv
        self.decode = nn.Sequential(
            nn.Upsample(scale_factor=2), *_block(w // 2, 4 * w), nn.Upsample(scale_factor=2),
            *_block(4 * w, 2 * w), nn.Conv2d(2 * w, shape.channels, 3, 1, 1), nn.Tanh(),
        )

    @property
    def spiking(self) -> list[Lif]:
        return self.lif

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        s, T = self.shape.seed_size, self.lif_params.timesteps
        current = self.encode(self.fc(z).view(len(z), -1, s, s))
        first = lif_trains(current.expand(T, *current.shape), self.lif_params)
        second = lif_trains(self.inner(first), self.lif_params)
        if not self.training:
            for lif, spikes in zip(self.lif, (first, second)):
                lif.counter.add(spikes.sum(0))
        return self.decode(second.mean(0))


def build_generator(variant: str, shape: NetShape, lif: LifParams) -> nn.Module:
    """The generator of ``variant`` (one of `VARIANTS`)."""
    if variant == "extractor":
        return ExtractorGenerator(shape, lif)
    return Generator(shape, variant, lif)


def _d_size(shape: NetShape) -> int:
    """The side of D's last feature map after four stride-2 convs."""
    side = shape.image_size
    for _ in D_CHANNELS:
        side = (side + 1) // 2
    return side


class Discriminator(nn.Module):
    """The DCGAN discriminator; one logit per image."""

    def __init__(self, shape: NetShape):
        super().__init__()
        layers, c = [], shape.channels
        for i, out in enumerate(D_CHANNELS):
            layers += [nn.Conv2d(c, out, 3, 2, 1), nn.LeakyReLU(0.2), nn.Dropout2d(0.25)]
            layers += [nn.BatchNorm2d(out, 0.8)] if i else []
            c = out
        self.features = nn.Sequential(*layers)
        self.score = nn.Linear(c * _d_size(shape) ** 2, 1)
        self.spiking: list[Lif] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score(self.features(x).flatten(1)).squeeze(1)


class SpikingDiscriminator(nn.Module):
    """The DCGAN discriminator with LIF neurons for its activations over ``T`` steps; the image is a constant
    current into the first conv, the score the steps' mean of the linear layer's output."""

    def __init__(self, shape: NetShape, lif: LifParams):
        super().__init__()
        convs, c = [], shape.channels
        for i, out in enumerate(D_CHANNELS):
            convs.append(nn.Sequential(nn.Conv2d(c, out, 3, 2, 1), *([nn.BatchNorm2d(out, 0.8)] if i else [])))
            c = out
        self.first = convs[0]
        self.later = nn.ModuleList(_StepConv(conv) for conv in convs[1:])
        self.score = _StepConv(nn.Linear(c * _d_size(shape) ** 2, 1))
        self.lif_params = lif
        fan = [D_CHANNELS[i + 1] * 9 // 4 for i in range(len(D_CHANNELS) - 1)] + [1]
        self.lif = [Lif(lif, f) for f in fan]  # accounting only

    @property
    def spiking(self) -> list[Lif]:
        return self.lif

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        current = self.first(x)
        steps = lif_trains(current.expand(self.lif_params.timesteps, *current.shape), self.lif_params)
        self._count(0, steps)
        for i, conv in enumerate(self.later, 1):
            steps = lif_trains(conv(steps), self.lif_params)
            self._count(i, steps)
        return self.score(steps.flatten(2)).mean(0).squeeze(1)

    def _count(self, i: int, steps: torch.Tensor) -> None:
        if not self.training:
            self.lif[i].counter.add(steps.sum(0))


def build_discriminator(kind: str, shape: NetShape, lif: LifParams) -> nn.Module:
    """The discriminator of ``kind`` ('ann' or 'snn')."""
    if kind not in DISCRIMINATORS:
        raise UserError(f"discriminator must be one of {', '.join(DISCRIMINATORS)}, not {kind!r}")
    return Discriminator(shape) if kind == "ann" else SpikingDiscriminator(shape, lif)
