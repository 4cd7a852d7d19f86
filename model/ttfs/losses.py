"""Output targets and the least-squares temporal loss (S4NN; Spiking-GAN Eq. 4-7).

Targets are computed from the output times and carry no gradient. The loss of one sample
with output times ``t`` and targets ``tau`` is ``1/2 * sum_j ((t_j - tau_j) / T)^2``, so
``dL/dt_j = (t_j - tau_j) / T^2`` (the scale vanishes when the errors are normalised).
"""

from __future__ import annotations

import torch

TARGETS = ("aggressive", "relative")
GAMMA = 3


def relative_targets(times: torch.Tensor, labels: torch.Tensor, timesteps: int, gamma: int = GAMMA) -> torch.Tensor:
    """S4NN's relative margin: the label's target is ``t_min`` (the earliest output time);
    any other neuron firing before ``t_min + gamma`` is pushed to ``min(t_min + gamma, T)``; the rest
    keep their own time (no error). If nothing fired, the label's target is ``T - gamma``."""
    t = times.to(torch.float32)
    t_min = t.min(dim=1, keepdim=True).values
    tau = torch.where(t < t_min + gamma, (t_min + gamma).clamp(max=timesteps), t)
    label_target = torch.where(t_min[:, 0] >= timesteps, torch.full_like(t_min[:, 0], timesteps - gamma), t_min[:, 0])
    return tau.scatter(1, labels.view(-1, 1), label_target.view(-1, 1))


def aggressive_targets(times: torch.Tensor, labels: torch.Tensor, timesteps: int) -> torch.Tensor:
    """'Aggressive TTFS' (Eq. 6-7): the label's target is the winner's time ``t_win`` (the
    earliest output), every other neuron's is ``T``; when no output fired, ``t_win = 0``."""
    t = times.to(torch.float32)
    t_win = t.min(dim=1).values
    t_win = torch.where(t_win >= timesteps, torch.zeros_like(t_win), t_win)
    tau = torch.full_like(t, float(timesteps))
    return tau.scatter(1, labels.view(-1, 1), t_win.view(-1, 1))


def targets(kind: str, times: torch.Tensor, labels: torch.Tensor, timesteps: int) -> torch.Tensor:
    """The targets of ``kind`` ('aggressive' or 'relative')."""
    if kind == "aggressive":
        return aggressive_targets(times, labels, timesteps)
    if kind == "relative":
        return relative_targets(times, labels, timesteps)
    raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {kind!r}")


def temporal_loss(times: torch.Tensor, tau: torch.Tensor, timesteps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean loss, dL/dt)``: the least-squares loss of Eq. 4-5 over the batch and its
    per-sample gradient with respect to the output times."""
    err = (times.to(torch.float32) - tau) / timesteps
    return 0.5 * (err ** 2).sum(1).mean(), err / timesteps
