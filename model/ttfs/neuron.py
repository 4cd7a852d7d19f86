"""The non-leaky integrate-and-fire layer that fires at most once (S4NN; Spiking-GAN Eq. 1-2).

With instantaneous synapses and no leak, neuron ``j``'s membrane at step ``t`` is the sum
of the weights of the inputs that have fired by then, that step included::

    V_j(t) = sum_i w_ji * [t_i <= t]          t = 0 .. T-1
    t_j    = min { t : V_j(t) >= theta }      (T if there is none: the forced late spike)

After its spike the neuron is silent for the rest of the image (a refractory period of
``T``), so ``t_j`` is all it outputs. An input at ``t_i = T`` never arrives. A spike crosses
every layer within its step, as in the hardware (integrate a step's inputs, then fire).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from model.ttfs.coding import check_timesteps

CHUNK_ELEMENTS = 1 << 25  # batch rows per chunk are chosen so one (rows, N_in, N_out) tensor stays this small


@dataclass(frozen=True)
class IfParams:
    """``theta``: firing threshold (> 0); ``timesteps``: ``T``, the simulated steps per image."""

    theta: float
    timesteps: int

    def __post_init__(self) -> None:
        if not self.theta > 0:
            raise ValueError(f"theta must be > 0, not {self.theta!r}")
        check_timesteps(self.timesteps)


def _fire_times(times_in: torch.Tensor, weight: torch.Tensor, params: IfParams) -> torch.Tensor:
    """:func:`if_layer` on one chunk: sort the inputs by time, take the running membrane at the
    end of each occupied step and find its first crossing."""
    T = params.timesteps
    ts, order = times_in.sort(dim=1)
    arriving = int((ts < T).sum(dim=1).max()) if len(ts) else 0
    if arriving == 0:
        return torch.full((len(ts), weight.shape[0]), T, dtype=torch.int64)
    ts, order = ts[:, :arriving], order[:, :arriving]  # the rest never arrive
    arrives = ts < T
    w = weight.t()[order] * arrives.unsqueeze(-1).to(weight.dtype)  # (B, N_in, N_out), time order
    v = w.cumsum(dim=1)
    step_end = torch.ones_like(arrives)
    step_end[:, :-1] = ts[:, 1:] != ts[:, :-1]
    crossed = (v >= params.theta) & (step_end & arrives).unsqueeze(-1)
    first = crossed.to(torch.uint8).argmax(dim=1)  # first crossing (argmax returns the first maximum)
    t_out = ts.gather(1, first)
    return torch.where(crossed.any(dim=1), t_out, torch.full_like(t_out, T))


def if_layer(times_in: torch.Tensor, weight: torch.Tensor, params: IfParams) -> torch.Tensor:
    """Fire times ``(B, N_out)`` (int64 in 0..T) of IF neurons with weights ``(N_out, N_in)``
    driven by input times ``(B, N_in)``; exact, vectorised over the batch."""
    if times_in.dim() != 2 or weight.dim() != 2 or times_in.shape[1] != weight.shape[1]:
        raise ValueError(f"times {tuple(times_in.shape)} do not fit weights {tuple(weight.shape)} (N_out, N_in)")
    rows = max(1, CHUNK_ELEMENTS // max(1, weight.numel()))
    with torch.no_grad():
        return torch.cat([_fire_times(c, weight, params) for c in times_in.split(rows)]) if len(times_in) else times_in.new_empty(0, weight.shape[0])


def forward(times_in: torch.Tensor, weights: list[torch.Tensor], params: IfParams) -> list[torch.Tensor]:
    """Every layer's fire times, input first: ``[t_0, t_1, ..., t_L]``."""
    times = [times_in.to(torch.int64)]
    for w in weights:
        times.append(if_layer(times[-1], w, params))
    return times


def fired(times: torch.Tensor, timesteps: int) -> torch.Tensor:
    """Which neurons spiked inside the window (``t < T``)."""
    return times < timesteps
