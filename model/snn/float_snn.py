"""Batched SNN simulator in PyTorch: the float counterpart of the integer semantics.

One time step of one layer does exactly what ``docs/hardware-semantics.md``
prescribes, in the same order: integrate the incoming spikes, add the bias,
fire if ``V >= threshold``, reset (to zero or by subtracting the threshold),
leak. The float version has no saturation and leaks by ``V -= V * 2^-k``; the
integer version (``SnnParams.integer``) leaks by ``V -= floor(V / 2^k)`` and,
as long as the membrane provably cannot reach the saturation bound (checked
every step), equals the golden model bit for bit while running as one matrix
product per layer and step. So the float and fixed networks differ only by
quantisation, and the float network differs from the ANN only by rate coding.

Everything is batched over images: inputs are spike trains of shape
``(B, T, N_0)``, the same trains the golden model's encoder produces.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from model.common.errors import UserError
from model.snn.config import RATE_RESETS, IntNetwork


class SaturationPossible(UserError):
    """The integer membrane might saturate in a step: the matrix simulator would not be exact."""


@dataclass(frozen=True)
class NeuronRule:
    """How a layer's neurons reset and leak: ``reset`` ('zero' or 'subtract'), ``leak_shift`` ``k``
    (``V -= V * 2^-k`` after the reset; None: no leak) and ``integer`` (floor in the leak)."""

    reset: str = "subtract"
    leak_shift: int | None = None
    integer: bool = False

    def __post_init__(self) -> None:
        if self.reset not in RATE_RESETS:
            raise UserError(f"reset must be one of {RATE_RESETS}, got {self.reset!r}")
        if self.leak_shift is not None and (isinstance(self.leak_shift, bool) or not isinstance(self.leak_shift, int)
                                            or self.leak_shift < 0):
            raise UserError(f"leak_shift must be an integer >= 0 or None, got {self.leak_shift!r}")

    @property
    def beta(self) -> float:
        """The membrane's decay per step, ``1 - 2^-k`` (1 without a leak)."""
        return 1.0 if self.leak_shift is None else 1.0 - 2.0 ** -self.leak_shift


def heaviside(x: torch.Tensor) -> torch.Tensor:
    """``[x >= 0]`` as the membrane's dtype: a spike when the membrane reaches the threshold."""
    return (x >= 0).to(x.dtype)


@dataclass(frozen=True)
class SnnParams:
    """Weights ``(N_l, N_{l-1})``, biases ``(N_l,)`` and one threshold per layer.

    ``integer`` selects the golden model's arithmetic (integer-valued tensors,
    floor in the leak, saturation bound ``membrane_bits`` checked every step).
    """

    weights: list[torch.Tensor]
    biases: list[torch.Tensor]
    thresholds: list[float]
    reset: str = "subtract"
    leak_shift: int | None = None
    integer: bool = False
    membrane_bits: int | None = None

    def __post_init__(self) -> None:
        self.rule  # checks reset and leak_shift
        if not len(self.weights) == len(self.biases) == len(self.thresholds):
            raise UserError("weights, biases and thresholds must have one entry per layer")
        if self.integer and self.membrane_bits is None:
            raise UserError("an integer SnnParams needs membrane_bits for its saturation check")

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.weights[0].shape[1],) + tuple(w.shape[0] for w in self.weights)

    @property
    def rule(self) -> NeuronRule:
        return NeuronRule(self.reset, self.leak_shift, self.integer)


@dataclass
class SnnResult:
    """Spike counts per layer ``(B, N_l)`` (layer 0 = the input), the image, timing."""

    counts: list[torch.Tensor]
    timesteps: int
    out_spikes: torch.Tensor | None = None  # (B, T, N_L) when recorded
    macs: int = 0  # multiply-accumulates per image: a direct-coded layer 1's N_0 x N_1
    seconds: float = 0.0  # wall clock of the simulation
    cpu_seconds: float = 0.0  # CPU time of this process (all threads)
    engine: str = "matrix"  # "golden" when the integer network had to run on the golden model

    @property
    def image(self) -> torch.Tensor:
        """Output spike count / T, shape ``(B, N_L)``."""
        return self.counts[-1] / self.timesteps

    def mean_rates(self) -> list[float]:
        """Average spikes per neuron per image, for each layer (input first)."""
        return [float(c.mean()) for c in self.counts]

    def synaptic_ops(self) -> torch.Tensor:
        """Accumulates per image: every spike of layer l-1 reaches all N_l neurons of layer l."""
        return sum(self.synaptic_ops_into())

    def synaptic_ops_into(self) -> list[torch.Tensor]:
        """Accumulates per image into each layer 1..L (the spikes of the layer before it times its size)."""
        return [c.sum(dim=1) * n.shape[1] for c, n in zip(self.counts[:-1], self.counts[1:])]


def from_int_network(net: IntNetwork, dtype: torch.dtype | None = None) -> SnnParams:
    """The integer network as exact-arithmetic `SnnParams` (float32 is exact below 2^24)."""
    c = net.config
    if dtype is None:
        dtype = torch.float32 if c.membrane_bits <= 24 else torch.float64
    return SnnParams(
        weights=[torch.as_tensor(np.asarray(w), dtype=dtype) for w in net.weights],
        biases=[torch.as_tensor(np.asarray(b), dtype=dtype) for b in net.biases],
        thresholds=[float(th) for th in net.thresholds],
        reset=c.reset,
        leak_shift=c.leak_shift,
        integer=True,
        membrane_bits=c.membrane_bits,
    )


def neuron_step(current: torch.Tensor, v: torch.Tensor, bias, theta: float, rule: NeuronRule, spike=heaviside):
    """One step of a layer's neurons, given this step's integrated input: ``-> (spikes, membrane)``.

    Integrate (``current`` = the sum of the weights of this step's input
    spikes), add the bias, fire (``spike(V - theta)``), reset, leak: the order
    of the semantics doc. ``spike`` may be a surrogate-gradient function whose
    forward pass is :func:`heaviside` (``model.hybrid.spiking``); the reset then
    uses the spikes without their gradient.
    """
    v = v + current + bias
    fired = spike(v - theta)
    hard = fired.detach()
    if rule.reset == "zero":
        v = v * (1 - hard)
    else:
        v = v - hard * theta
    if rule.leak_shift is not None:
        decay = v * 2.0 ** -rule.leak_shift
        v = v - (torch.floor(decay) if rule.integer else decay)
    return fired, v


def run_layer(spikes_in: torch.Tensor, w: torch.Tensor, bias: torch.Tensor, theta: float, params: SnnParams,
              drive: torch.Tensor | None = None):
    """One layer over all steps: ``(B, T, N_in)`` spikes -> ``(B, T, N)`` spikes.

    A layer at step t depends only on its own state and on the previous
    layer's spikes at t, so the input currents of all steps come from one
    matrix product and only the cheap neuron update loops over time. A
    ``drive`` ``(B, N_in)`` (direct coding) replaces the spikes: the current
    ``drive @ w.T`` enters every step.
    """
    batch, steps, _ = spikes_in.shape
    if drive is not None:
        step_current = drive.to(w.dtype) @ w.T
        current = step_current[:, None, :].expand(batch, steps, -1)
    else:
        step_current = None
        current = _currents(spikes_in.reshape(batch * steps, -1), w, params.integer).reshape(batch, steps, -1)
    headroom = _saturation_headroom(params, w, bias, step_current)
    v = torch.zeros(batch, w.shape[0], dtype=w.dtype)
    out = torch.empty_like(current)
    rule = params.rule
    for t in range(steps):
        if headroom is not None and float(v.abs().max()) > headroom:
            raise SaturationPossible(
                f"step {t}: the {params.membrane_bits}-bit membrane may saturate and the matrix simulator is "
                "only exact without saturation: use model.snn.golden.run_network for this network"
            )
        out[:, t], v = neuron_step(current[:, t], v, bias, theta, rule)
    return out


def _currents(spikes: torch.Tensor, w: torch.Tensor, integer: bool) -> torch.Tensor:
    """``spikes @ w.T``; integer weights of at most 8 bits use the exact int8 x int8 -> int32 product (3x faster)."""
    if integer and w.numel() and -128 <= float(w.min()) and float(w.max()) <= 127:
        return torch._int_mm(spikes.to(torch.int8), w.T.to(torch.int8)).to(w.dtype)
    return spikes @ w.T


def simulate(
    params: SnnParams, spike_0: torch.Tensor | np.ndarray, record_output: bool = False, batch_size: int = 64,
    drive: torch.Tensor | np.ndarray | None = None,
) -> SnnResult:
    """Run the network on input trains ``(B, T, N_0)`` (0/1), ``batch_size`` images at a time.

    ``drive`` ``(B, N_0)``: direct coding, layer 1 takes the current ``drive @ W_1.T`` every step in place of
    the spikes (the noise ``u`` for the float network, ``X`` for the integer one, whose layer 1 is scaled
    by ``2^R``)."""
    spike_0 = spike_0 if torch.is_tensor(spike_0) else torch.as_tensor(np.asarray(spike_0))
    if spike_0.dim() != 3 or spike_0.shape[2] != params.sizes[0]:
        raise UserError(f"input spikes must have shape (B, T, {params.sizes[0]}), got {tuple(spike_0.shape)}")
    dtype = params.weights[0].dtype
    counts = [[] for _ in range(len(params.weights) + 1)]
    outs = []
    start, cpu = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for first in range(0, spike_0.shape[0], batch_size):
            s = spike_0[first : first + batch_size].to(dtype)
            d = None if drive is None else torch.as_tensor(np.asarray(drive))[first : first + batch_size]
            counts[0].append(s.sum(dim=1))
            for l, (w, b, th) in enumerate(zip(params.weights, params.biases, params.thresholds)):
                s = run_layer(s, w, b, th, params, d if l == 0 else None)
                counts[l + 1].append(s.sum(dim=1))
            if record_output:
                outs.append(s.to(torch.uint8))
    return SnnResult(
        counts=[torch.cat(c) for c in counts],
        timesteps=spike_0.shape[1],
        out_spikes=torch.cat(outs) if record_output else None,
        macs=0 if drive is None else params.sizes[0] * params.sizes[1],
        seconds=time.perf_counter() - start,
        cpu_seconds=time.process_time() - cpu,
    )


def _saturation_headroom(params: SnnParams, w: torch.Tensor, bias: torch.Tensor, step_current=None) -> float | None:
    """Largest |V| before a step of one layer for which no partial sum of that step can leave the m-bit range
    (None for a float network): spikes add up to ``max sum |w|`` and then the bias; a direct drive adds its
    ``step_current`` ``(B, N)`` and the bias at once."""
    if not params.integer:
        return None
    top = 2.0 ** (params.membrane_bits - 1) - 1
    if step_current is not None:
        return top - float((step_current + bias).abs().max())
    return top - float(w.abs().sum(dim=1).max()) - float(bias.abs().max())
