"""PNG figures: image grids (the paper's Fig. 5), learning curves, conductance histograms."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.common.plots import pyplot, save_figure, wrap
from model.memristor.train import History


def image_grid(rows: list[tuple[str, np.ndarray]], titles: list[str], path: Path, suptitle: str) -> None:
    """One row per ``(label, images (n, 144))``, one column per image."""
    n = len(titles)
    fig, axes = pyplot().subplots(len(rows), n, figsize=(1.2 * n + 1.8, 1.3 * len(rows) + 0.6), squeeze=False,
                             layout="constrained")
    for r, (label, images) in enumerate(rows):
        vmax = max(1.0, float(np.max(images)))
        for c in range(n):
            ax = axes[r][c]
            shown = ax.imshow(images[c].reshape(12, 12), cmap="gray", vmin=0, vmax=vmax, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=8)
        axes[r][0].set_ylabel(label, fontsize=8)
        if vmax > 1:  # a row of counts, not of binary pixels: its grey scale needs a key
            bar = fig.colorbar(shown, ax=list(axes[r]), fraction=0.02, pad=0.01)
            bar.set_label(label, fontsize=7)
            bar.ax.tick_params(labelsize=6)
    fig.suptitle(wrap(suptitle, int(fig.get_size_inches()[0] * 11)), fontsize=10)
    save_figure(fig, path, dpi=120)


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    width = max(1, min(width, len(x)))
    return np.convolve(x, np.ones(width) / width, mode="valid")


def learning_curves(histories: list[History], labels: list[str], path: Path, title: str, width: int = 10) -> None:
    """Pixel match of the stage-2 fake, D accuracy and G spikes over iterations."""
    fig, axes = pyplot().subplots(1, 3, figsize=(13, 3.6))
    match = np.array([h.match for h in histories])
    for h, lab in zip(histories, labels):
        axes[0].plot(_smooth(np.asarray(h.match), width), lw=0.7, alpha=0.6, label=lab)
    axes[0].plot(_smooth(match.mean(axis=0), width), color="k", lw=2, label="mean")
    axes[0].axhline(0.95, color="r", ls="--", lw=1, label="goal 95 %")
    axes[0].set(xlabel="iteration", ylabel=f"pixel match (moving avg {width})", title="generated vs target")
    axes[0].legend(fontsize=6, ncol=2)
    real = np.array([h.d_real_ok for h in histories], dtype=float).mean(axis=0)
    fake = np.array([h.d_fake_ok for h in histories], dtype=float).mean(axis=0)
    axes[1].plot(_smooth(real, width), label="real judged real (stage 1)")
    axes[1].plot(_smooth(fake, width), label="fake judged fake (stage 2)")
    axes[1].plot(_smooth((real + fake) / 2, width), color="k", lw=2, label="D accuracy")
    axes[1].axhline(0.5, color="gray", ls=":", lw=1)
    axes[1].set(xlabel="iteration", ylabel="fraction of images", title="discriminator", ylim=(-0.05, 1.05))
    axes[1].legend(fontsize=7)
    spikes = np.array([h.fake_spikes for h in histories], dtype=float).mean(axis=0)
    real_spikes = np.array([[sum(c) for c in h.d_real] for h in histories], dtype=float).mean(axis=0)
    axes[2].plot(_smooth(spikes, width), label="G spikes per fake image")
    axes[2].plot(_smooth(real_spikes, width), label="D spikes on the real image")
    axes[2].set(xlabel="iteration", ylabel="spikes", title="activity")
    axes[2].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def conductance_histograms(
    before: dict[str, np.ndarray], after: dict[str, np.ndarray], path: Path, title: str
) -> None:
    """Histograms of ``g * R_on`` for G and D synapses, before and after training."""
    fig, axes = pyplot().subplots(1, 2, figsize=(10, 3.4))
    bins = np.linspace(0, 1, 41)
    for ax, layer, name in ((axes[0], "gen", "generator (12 x 144)"), (axes[1], "disc", "discriminator (144 x 2)")):
        ax.hist(before[layer].ravel(), bins=bins, alpha=0.5, label="initial", density=True)
        ax.hist(after[layer].ravel(), bins=bins, alpha=0.5, label="trained", density=True)
        ax.set(xlabel="conductance x R_on", ylabel="density", title=name)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
