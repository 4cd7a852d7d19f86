"""Spiking layers with a surrogate gradient, built on the project's one neuron step.

A spiking module runs `model.snn.float_snn.neuron_step` (integrate, fire, reset,
leak) for ``T`` steps. Its input is a current: the same tensor every step
(a constant input, as the image enters an SNN discriminator) or one per step
(the spikes of the module before it through a layer). Its output is the mean
spike rate over the steps, so the layer after it has the same shape and
parameters as in the ANN::

    V_t = beta * (V_{t-1} + I_t - s_{t-1} theta)     (reset by subtraction, then the leak)
    s_t = H(V_{t-1} + I_t - theta)
    r   = (1/T) sum_t s_t

with ``beta = 1 - 2^-k``. The backward pass replaces ``dH/dx`` by the
arctangent surrogate (snnTorch's default, Fang et al. 2021)::

    dH/dx ~ (alpha / 2) / (1 + (pi alpha x / 2)^2),     alpha = 2

and the reset uses the spikes without their gradient (snnTorch's detached reset).

:func:`lif_steps` is that definition run through autograd, step by step. Training uses
:func:`lif_rate` and :func:`lif_trains`, which run the same steps without a graph and
back-propagate through time in closed form: with ``A_t = V_{t-1} + I_t`` and
``f_t = dV_t/dA_t`` (``beta`` with reset by subtraction, ``beta (1 - s_t)`` with reset to
zero, the reset being detached)::

    dL/dA_t = dL/ds_t * H'(A_t - theta) + f_t * dL/dA_{t+1}          (dL/dI_t = dL/dA_t)

and, for a constant current and the mean rate, ``dr/dI = (1/T) sum_t H'(A_t - theta) c_t`` with
``c_0 = 1``, ``c_{t+1} = 1 + f_t c_t``, accumulated during the forward pass (no per-step
tensors kept). Tests hold both to the autograd of :func:`lif_steps`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from model.common.errors import UserError
from model.snn.float_snn import NeuronRule, neuron_step

ALPHA = 2.0


def arctan_grad(x: torch.Tensor) -> torch.Tensor:
    """The surrogate ``dH/dx`` at ``x = V - theta``."""
    return (ALPHA / 2) / (1 + (math.pi * ALPHA / 2 * x) ** 2)


class _ArctanSpike(torch.autograd.Function):
    """``H(x)`` forward, the arctangent surrogate backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * arctan_grad(x)


def arctan_spike(x: torch.Tensor) -> torch.Tensor:
    """A spike where ``x = V - theta >= 0``, with the arctangent surrogate gradient."""
    return _ArctanSpike.apply(x)


@dataclass(frozen=True)
class LifParams:
    """``theta``: threshold (> 0); ``timesteps``: ``T`` (>= 1); ``leak_shift``: ``k`` of ``beta = 1 - 2^-k``
    (None: no leak); ``reset``: 'subtract' or 'zero'."""

    theta: float = 1.0
    timesteps: int = 25
    leak_shift: int | None = 4
    reset: str = "subtract"

    def __post_init__(self) -> None:
        if not self.theta > 0:
            raise UserError(f"theta must be > 0, not {self.theta!r}")
        if isinstance(self.timesteps, bool) or not isinstance(self.timesteps, int) or self.timesteps < 1:
            raise UserError(f"timesteps must be an integer >= 1, not {self.timesteps!r}")
        self.rule

    @property
    def rule(self) -> NeuronRule:
        return NeuronRule(self.reset, self.leak_shift)


def lif_steps(currents, params: LifParams):
    """Spikes of every step ``[s_0, ..., s_{T-1}]`` of neurons driven by ``currents``: one tensor (the same
    current every step) or a list of ``T`` tensors."""
    steps = currents if isinstance(currents, (list, tuple)) else [currents] * params.timesteps
    if len(steps) != params.timesteps:
        raise UserError(f"{len(steps)} step currents for T = {params.timesteps}")
    v = torch.zeros_like(steps[0])
    spikes = []
    for current in steps:
        s, v = neuron_step(current, v, 0.0, params.theta, params.rule, arctan_spike)
        spikes.append(s)
    return spikes


def _step(current: torch.Tensor, v: torch.Tensor, params: LifParams):
    """One step without a graph: ``(spikes, membrane, H'(A - theta), f)``."""
    surrogate = arctan_grad(v + current - params.theta)
    spikes, v = neuron_step(current, v, 0.0, params.theta, params.rule)
    f = params.rule.beta * (1 - spikes) if params.reset == "zero" else None
    return spikes, v, surrogate, f


class _LifRate(torch.autograd.Function):
    """Mean spike rate over ``T`` steps of a constant current."""

    @staticmethod
    def forward(ctx, current, params: LifParams):
        v, c = torch.zeros_like(current), torch.ones_like(current)
        total, slope = torch.zeros_like(current), torch.zeros_like(current)
        for _ in range(params.timesteps):
            spikes, v, surrogate, f = _step(current, v, params)
            total += spikes
            slope += surrogate * c
            c = 1 + (params.rule.beta if f is None else f) * c
        ctx.save_for_backward(slope)
        ctx.timesteps = params.timesteps
        return total / params.timesteps

    @staticmethod
    def backward(ctx, grad):
        (slope,) = ctx.saved_tensors
        return grad * slope / ctx.timesteps, None


class _LifTrains(torch.autograd.Function):
    """Spikes ``(T, ...)`` of per-step currents ``(T, ...)``."""

    @staticmethod
    def forward(ctx, currents, params: LifParams):
        v = torch.zeros_like(currents[0])
        spikes, surrogates, factors = [], [], []
        for current in currents:
            s, v, surrogate, f = _step(current, v, params)
            spikes.append(s)
            surrogates.append(surrogate)
            factors.append(f)
        ctx.save_for_backward(torch.stack(surrogates), *([torch.stack(factors)] if factors[0] is not None else []))
        ctx.beta = params.rule.beta
        return torch.stack(spikes)

    @staticmethod
    def backward(ctx, grad):
        surrogates, *factors = ctx.saved_tensors
        out = torch.empty_like(grad)
        later = torch.zeros_like(grad[0])  # dL/dA_{t+1}
        for t in reversed(range(len(grad))):
            out[t] = grad[t] * surrogates[t] + (factors[0][t] if factors else ctx.beta) * later
            later = out[t]
        return out, None


def lif_rate(current: torch.Tensor, params: LifParams) -> torch.Tensor:
    """Mean spike rate of neurons driven by a constant ``current`` for ``T`` steps (same shape)."""
    return _LifRate.apply(current, params)


def lif_trains(currents: torch.Tensor, params: LifParams) -> torch.Tensor:
    """Spikes ``(T, ...)`` of neurons driven by per-step ``currents`` ``(T, ...)``."""
    if len(currents) != params.timesteps:
        raise UserError(f"{len(currents)} step currents for T = {params.timesteps}")
    return _LifTrains.apply(currents, params)


class SpikeCounter:
    """Spikes a module emitted and the accumulates they cause in the layer after it (``fan_out`` each)."""

    def __init__(self, fan_out: int):
        self.fan_out = fan_out
        self.spikes = 0.0
        self.images = 0

    def add(self, spikes: torch.Tensor) -> None:
        """Add a batch's spikes ``(B, ...)``, summed over its steps."""
        self.spikes += float(spikes.detach().sum())
        self.images += len(spikes)

    @property
    def per_image(self) -> float:
        return self.spikes / max(1, self.images)

    @property
    def synaptic_ops_per_image(self) -> float:
        return self.per_image * self.fan_out


class Lif(nn.Module):
    """LIF neurons over ``T`` steps of a constant input current ``(B, ...)``: returns their mean rate, same shape.

    ``fan_out`` is how many synapses each spike reaches in the layer after it (for the accounting only).
    """

    def __init__(self, params: LifParams, fan_out: int = 1):
        super().__init__()
        self.params = params
        self.counter = SpikeCounter(fan_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rate = lif_rate(x, self.params)
        if not self.training:
            self.counter.add(rate * self.params.timesteps)
        return rate
