"""The ANN references of Spiking-GAN's Sec. 3: the 784-400-10 classifier and the GAN with
G 100-400-784 (ReLU, tanh output) and D 784-400-1 (ReLU, sigmoid output), trained on the
same data with the same batch and number of updates as their TTFS counterparts."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.common.progress import progress_bar
from model.ttfs.coding import decode_times, noise_times

ADAM = {"lr": 2e-4, "betas": (0.5, 0.999)}


def mlp(sizes, out: nn.Module | None = None) -> nn.Sequential:
    """Linear layers with ReLU between them and ``out`` (if any) after the last."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    if out is not None:
        layers.append(out)
    return nn.Sequential(*layers)


def train_classifier(images, labels, sizes=(784, 400, 10), epochs: int = 10, batch: int = 10, seed: int = 0, lr: float = 1e-3) -> nn.Module:
    """A ReLU MLP trained with Adam on cross-entropy; the same epochs and batch as the TTFS run."""
    torch.manual_seed(seed)
    net = mlp(sizes)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    per_epoch = -(-len(labels) // batch)
    with progress_bar(total=epochs * per_epoch, desc="ANN classifier", unit="upd") as bar:
        for _ in range(epochs):
            for idx in torch.randperm(len(labels), generator=g).split(batch):
                opt.zero_grad()
                F.cross_entropy(net(images[idx]), labels[idx]).backward()
                opt.step()
                bar.update()
    return net.eval()


def classifier_accuracy(net: nn.Module, images, labels) -> float:
    with torch.no_grad():
        return float((net(images).argmax(1) == labels).double().mean())


def noise(n: int, dim: int, timesteps: int, g: torch.Generator) -> torch.Tensor:
    """The TTFS GAN's noise, decoded to [0, 1] and mapped to [-1, 1]: both GANs see the same prior."""
    return 2 * decode_times(noise_times(n, dim, timesteps, g), timesteps) - 1


class AnnGan:
    """G ``sizes_g`` with a tanh output (images as ``(y + 1) / 2``), D ``sizes_d`` with a sigmoid."""

    def __init__(self, sizes_g=(100, 400, 784), sizes_d=(784, 400, 1), timesteps: int = 256, seed: int = 0):
        torch.manual_seed(seed)
        self.g, self.d = mlp(sizes_g, nn.Tanh()), mlp(sizes_d)
        self.noise_dim, self.timesteps = sizes_g[0], timesteps
        self.history = {"d_loss": [], "g_loss": []}

    def generate(self, n: int, seed: int) -> torch.Tensor:
        with torch.no_grad():
            return (self.g(noise(n, self.noise_dim, self.timesteps, torch.Generator().manual_seed(seed))) + 1) / 2


def train_gan(images, updates: int, batch: int, timesteps: int = 256, seed: int = 0) -> AnnGan:
    """Non-saturating GAN losses, Adam (2e-4, beta1 0.5), one D and one G update per step."""
    gan = AnnGan(timesteps=timesteps, seed=seed)
    opt_g, opt_d = torch.optim.Adam(gan.g.parameters(), **ADAM), torch.optim.Adam(gan.d.parameters(), **ADAM)
    real_all = images * 2 - 1
    g = torch.Generator().manual_seed(seed + 2)
    bce = F.binary_cross_entropy_with_logits
    with progress_bar(total=updates, desc="ANN GAN", unit="upd") as bar:
        for _ in range(updates):
            real = real_all[torch.randint(0, len(real_all), (batch,), generator=g)]
            fake = gan.g(noise(batch, gan.noise_dim, timesteps, g))
            opt_d.zero_grad()
            d_real, d_fake = gan.d(real), gan.d(fake.detach())
            d_loss = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            out = gan.d(fake)
            g_loss = bce(out, torch.ones_like(out))
            g_loss.backward()
            opt_g.step()
            gan.history["d_loss"].append(float(d_loss.detach()))
            gan.history["g_loss"].append(float(g_loss.detach()))
            bar.update()
    return gan
