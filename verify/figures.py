"""Figures of the verify report: software-vs-RTL raster (paper Fig. 7) and image pairs (Fig. 6)."""

from __future__ import annotations

import textwrap
from math import isqrt
from pathlib import Path

import numpy as np

from model.common.plots import pyplot, save_figure


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
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.2 * len(panels) + 0.6), squeeze=False)
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
    fig.suptitle(title, fontsize=9, x=0.01, y=0.995, ha="left")
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.975), fontsize=7, ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return save_figure(fig, path, dpi=130)


def image_pairs_png(path, rows: list[tuple[str, np.ndarray]], captions: list[str], title: str) -> Path:
    """A grid of images: one row per source (e.g. RTL, golden, float SNN, ANN), one column per test vector."""
    plt = pyplot()
    n = len(captions)
    side = isqrt(rows[0][1].shape[1])
    square = side * side == rows[0][1].shape[1]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n + 0.9, 1.2 * len(rows) + 0.5), squeeze=False)
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
                ax.set_title(captions[c], fontsize=6)
    width = fig.get_size_inches()[0]
    fig.suptitle(textwrap.fill(title, max(30, int(width * 13))), fontsize=8, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return save_figure(fig, path, dpi=130)


def cycles_sweep_png(path, rows: list[dict]) -> Path:
    """Cycles per image and the lower bound against the lane count ``P`` (log-log)."""
    plt = pyplot()
    lanes = [r["lanes"] for r in rows]
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    ax.loglog(lanes, [r["cycles"] for r in rows], "o-", label="RTL cycles / image")
    ax.loglog(lanes, [r["lower_bound"] for r in rows], "s--", label="event-driven lower bound (sum of layers)")
    ax.loglog(lanes, [r["slowest_layer"] for r in rows], "^:", label="busiest layer alone")
    ax.set_xlabel("lanes P")
    ax.set_ylabel("cycles per image")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    return save_figure(fig, path, dpi=130)
