"""Temporal backpropagation with one spike per neuron (S4NN; Spiking-GAN Sec. 2.5, Eq. 8-17).

The IF neuron is treated as a ReLU whose output is ``-t_j`` (Eq. 10-11): only inputs
that fired by neuron ``j``'s spike contribute to it, so with its causal set
``m_ji = [t_i <= t_j] * [t_i < T]`` (S4NN writes ``t_i < t_j`` for continuous time, where
the two agree; in steps, an input of the same step is a cause)::

    dt_j / dV_j    = -1                     (a larger membrane fires earlier)
    dV_j / dw_ji   = m_ji                   (Eq. 12-13)
    dV_j / dt_i    = -w_ji * m_ji

and the error of a layer, ``delta_j = dL/dV_j = -dL/dt_j``, flows to the layer below as
``dL/dt_i = sum_j delta_j * (-w_ji) * m_ji`` (Eq. 15). A hidden neuron that never fired
(forced to ``T``) is ReLU's inactive side: its derivative is 0 and it passes nothing. An
output neuron forced to ``T`` still receives its error, so a silent label neuron learns to
fire. Each layer's ``delta`` may be divided by its per-sample L1 or L2 norm before it is
used (Sec. 2.5's last sentence). Weight gradients are summed over the batch (the gradient
of the batch's total loss), so a learning rate means what S4NN's per-sample rate means.

A hidden layer may also be pushed towards silence (:func:`silencing`): the neurons that
fired after the ``budget`` earliest of their sample (:func:`over_budget`) are asked to fire
later, by a share ``s`` of the error that reaches the layer, until they stop firing; the
spikes of an image, and the synaptic operations they cost, fall towards the budget.
"""

from __future__ import annotations

import torch

from model.ttfs.neuron import IfParams, fired

NORMS = ("l1", "l2", "none")
INPUT_GRADS = ("causal", "relu", "silent")


def normalise(delta: torch.Tensor, norm: str) -> torch.Tensor:
    """``delta / ||delta||`` per row (``'l1'`` or ``'l2'``), or ``delta`` (``'none'``); zero rows stay zero."""
    if norm == "none":
        return delta
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {', '.join(NORMS)}, not {norm!r}")
    size = delta.abs().sum(1, keepdim=True) if norm == "l1" else delta.norm(dim=1, keepdim=True)
    return delta / size.clamp_min(1e-12)


def silencing(grad: torch.Tensor, pushed: torch.Tensor, share: float) -> torch.Tensor:
    """``dL/dt`` of a layer plus a push of the ``pushed`` neurons towards a later spike::

        g_j  <-  g_j - s * ||g||_2 * pushed_j / sqrt(n_pushed)      per sample

    The push is a vector of norm ``s * ||g||`` spread evenly over the ``n_pushed`` neurons:
    its share of the update stays ``s`` whatever the scale of the error, as the normalised
    errors' does. A sample whose error is zero is not pushed."""
    if share < 0:
        raise ValueError(f"silencing share must be >= 0, not {share!r}")
    push = pushed.to(grad.dtype)
    push = push / push.sum(1, keepdim=True).clamp_min(1).sqrt()
    return grad - share * grad.norm(dim=1, keepdim=True) * push


def over_budget(times: torch.Tensor, timesteps: int, budget: int) -> torch.Tensor:
    """The neurons that fired (``t < T``) after the ``budget`` earliest of their sample (ties
    in time go to the lower index); ``budget = 0`` marks every neuron that fired."""
    if budget < 0:
        raise ValueError(f"spike budget must be >= 0, not {budget!r}")
    rank = torch.empty_like(times)
    rank.scatter_(1, times.argsort(dim=1, stable=True), torch.arange(times.shape[1]).expand_as(times).contiguous())
    return fired(times, timesteps) & (rank >= budget)


def layer_backward(
    grad_out: torch.Tensor, times_in: torch.Tensor, times_out: torch.Tensor, weight: torch.Tensor,
    passes: torch.Tensor, silent_in: torch.Tensor, norm: str, input_grad: str = "causal",
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(dL/dW, dL/dt_in)`` of one layer from ``dL/dt_out``.

    ``passes`` marks the neurons whose spike time depends on their membrane, ``silent_in``
    the inputs that never fired (``t_i = T``). ``dL/dW`` is
    summed over the batch ``(N_out, N_in)``; ``dL/dt_in`` is per sample ``(B, N_in)``.
    ``input_grad='causal'`` is Eq. 15's ``-w_ji m_ji``; ``'relu'`` drops the mask, as the
    ReLU network's ``dy_j/dx_i = w_ji`` does, so an input that came too late (or never)
    still learns it should fire earlier; ``'silent'`` drops it only for the inputs marked in
    ``silent_in`` and keeps Eq. 15 for the rest.
    """
    if input_grad not in INPUT_GRADS:
        raise ValueError(f"input_grad must be one of {', '.join(INPUT_GRADS)}, not {input_grad!r}")
    delta = normalise(-grad_out * passes.to(grad_out.dtype), norm)
    m = ((times_in.unsqueeze(1) <= times_out.unsqueeze(2)) & ~silent_in.unsqueeze(1)).to(weight.dtype)  # (B, N_out, N_in)
    dm = delta.unsqueeze(2) * m
    if input_grad == "causal":
        grad_in = -(dm * weight).sum(1)
    elif input_grad == "relu":
        grad_in = -(delta @ weight)
    else:
        grad_in = torch.where(silent_in, -(delta @ weight), -(dm * weight).sum(1))
    return dm.sum(0), grad_in


def backward(
    times: list[torch.Tensor], weights: list[torch.Tensor], grad_out: torch.Tensor, params: IfParams,
    norm: str = "l2", last_is_output: bool = True, input_grad: str = "causal", silence: float = 0.0,
    budget: int = 0,
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Weight gradients of every layer and ``dL/dt`` of the network's input, from ``dL/dt``
    of its last layer. ``times`` is :func:`model.ttfs.neuron.forward`'s list; ``input_grad``
    applies to the network's input only (hidden layers always use Eq. 15); ``silence`` is the
    :func:`silencing` share of every hidden layer (not the last), applied to its neurons
    :func:`over_budget`."""
    grads = [None] * len(weights)
    g = grad_out
    for l in reversed(range(len(weights))):
        out = times[l + 1]
        passes = torch.ones_like(out, dtype=torch.bool) if (last_is_output and l == len(weights) - 1) else fired(out, params.timesteps)
        if silence and l < len(weights) - 1:
            g = silencing(g, over_budget(out, params.timesteps, budget), silence)
        mode = input_grad if l == 0 else "causal"
        grads[l], g = layer_backward(g, times[l], out, weights[l], passes, times[l] >= params.timesteps, norm, mode)
    return grads, g
