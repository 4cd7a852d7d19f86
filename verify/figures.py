"""Figures of the verify report: software-vs-RTL raster (paper Fig. 7) and image pairs (Fig. 6)."""

from __future__ import annotations

from math import isqrt
from pathlib import Path

import numpy as np

from model.common.plots import pyplot, save_figure, wrap


def pick_neurons(counts: np.ndarray, n: int) -> list[int]:
    """``n`` neurons spread over the activity range (most active first), for a readable raster."""
    order = np.argsort(-counts, kind="stable")
    active = order[counts[order] > 0]
    if len(active) <= n:
        return sorted(int(j) for j in active)
    picks = active[np.linspace(0, len(active) - 1, n).round().astype(int)]
    return sorted(int(j) for j in picks)


def raster_png(path, panels: list[tuple[str, np.ndarray, np.ndarray, list[int]]], title: str) -> Path:
    """One row per layer: the chosen neurons' spike times, software (circles) and RTL (dots).

    ``panels``: ``(label, software (T, N), rtl (T, N), neurons)``. A spike the
    two disagree on is drawn in red.
    """
    plt = pyplot()
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.2 * len(panels) + 1.0), squeeze=False, layout="constrained")
    for ax, (label, sw, hw, neurons) in zip(axes[:, 0], panels):
        for row, j in enumerate(neurons):
            t_sw, t_hw = np.flatnonzero(sw[:, j]), np.flatnonzero(hw[:, j])
            ax.scatter(t_sw, np.full(len(t_sw), row), s=36, facecolors="none", edgecolors="tab:blue", linewidths=0.9)
            ax.scatter(t_hw, np.full(len(t_hw), row), s=6, color="black")
            bad = np.flatnonzero(sw[:, j] != hw[:, j])
            ax.scatter(bad, np.full(len(bad), row), s=60, marker="x", color="red")
        ax.set_yticks(range(len(neurons)))
        ax.set_yticklabels([str(j) for j in neurons], fontsize=6)
        ax.set_ylabel(f"{label}\nneuron")
        ax.set_xlim(-0.5, sw.shape[0] - 0.5)
        ax.set_ylim(-0.7, len(neurons) - 0.3)
    axes[-1, 0].set_xlabel("time step")
    handles = [
        plt.Line2D([], [], marker="o", ls="", mfc="none", mec="tab:blue", label="software (golden model)"),
        plt.Line2D([], [], marker="o", ls="", ms=3, color="black", label="RTL (from the VCD)"),
        plt.Line2D([], [], marker="x", ls="", color="red", label="mismatch"),
    ]
    fig.suptitle(wrap(title, 120), fontsize=9)
    fig.legend(handles=handles, loc="outside lower center", fontsize=7, ncol=3, frameon=False)
    return save_figure(fig, path, dpi=130)


def image_pairs_png(path, rows: list[tuple[str, np.ndarray]], captions: list[str], title: str) -> Path:
    """A grid of images: one row per source (e.g. RTL, golden, float SNN, ANN), one column per test vector."""
    plt = pyplot()
    n = len(captions)
    side = isqrt(rows[0][1].shape[1])
    square = side * side == rows[0][1].shape[1]
    fig, axes = plt.subplots(len(rows), n, figsize=(max(1.1 * n + 0.9, 4.5), 1.2 * len(rows) + 1.2), squeeze=False,
                             layout="constrained")
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            img = images[c].reshape(side, side) if square else images[c][None, :]
            ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest", aspect="auto" if not square else "equal")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=7)
            if r == 0:
                ax.set_title("\n".join(wrap(line, 16) for line in captions[c].split("\n")), fontsize=6)
    fig.suptitle(wrap(title, int(fig.get_size_inches()[0] * 13)), fontsize=8)
    return save_figure(fig, path, dpi=130)


def cycles_sweep_png(path, rows: list[dict], title: str) -> Path:
    """Cycles per image, their lower bound and the layers' serial sum against the lane count ``P`` (log-log)."""
    plt = pyplot()
    lanes = [r["lanes"] for r in rows]
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    ax.loglog(lanes, [r["cycles"] for r in rows], "o-", label="RTL cycles / image (simulated)")
    ax.loglog(lanes, [r["lower_bound"] for r in rows], "s--", label="lower bound (no run is faster)")
    ax.loglog(lanes, [r["serial_sum"] for r in rows], "^:", label="serial sum (the layers one after another)")
    ax.set_xticks(lanes, [str(p) for p in lanes])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xlabel("lanes P")
    ax.set_ylabel("cycles per image")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", lw=0.3)
    fig.suptitle(wrap(title, 75), fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path, dpi=130)
