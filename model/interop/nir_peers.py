"""snnTorch and sinabs beside the golden model: train a network in snnTorch, run NIR graphs in both peers,
and say why their spikes differ from ours.

The peers step a neuron in three ways our hardware does not (``docs/nir.md``):
snnTorch fires when ``v > theta`` (ours: ``V >= theta``) and, with reset by
subtraction, tests the next step's membrane less one more threshold while it
ended above the threshold; sinabs emits ``floor(v / theta)`` spikes in a step and
clips the membrane at ``-theta``. `emulate` runs an integer network under any of
these rules, so each difference can be shown to come from its rule alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from model.snn.config import IntNetwork


def _leaky(n: int, beta: float, threshold: float = 1.0, reset: str = "subtract", output: bool = False):
    import snntorch as snn

    # per-neuron tensors, so that snnTorch's NIR export gives every parameter the layer's shape
    return snn.Leaky(beta=torch.full((n,), beta), threshold=torch.full((n,), threshold), reset_mechanism=reset,
                     init_hidden=True, output=output)


def snntorch_mlp(sizes, beta: float, seed: int = 0) -> nn.Sequential:
    """Linear + Leaky layers of ``sizes`` (threshold 1, reset by subtraction), as snnTorch's tutorials build them."""
    torch.manual_seed(seed)
    mods = []
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        mods += [nn.Linear(a, b), _leaky(b, beta, output=l == len(sizes) - 2)]
    net = nn.Sequential(*mods)
    for m in net[1::2]:
        m.beta.requires_grad_(False)
        m.threshold.requires_grad_(False)
    return net


def run_snntorch(net: nn.Module, spikes) -> np.ndarray:
    """Output spike counts ``(B, N_L)`` of an snnTorch network (a Sequential or a NIR import) for trains ``(B, T, N_0)``."""
    from snntorch import utils

    x = torch.as_tensor(np.asarray(spikes), dtype=torch.float32)
    utils.reset(net)
    total = torch.zeros(())
    with torch.no_grad():
        for t in range(x.shape[1]):
            out = net(x[:, t])
            total = total + (out[0] if isinstance(out, tuple) else out)
    return total.numpy().astype(np.int64)


def train_classifier(x, y, hidden: int, timesteps: int, beta: float, epochs: int, seed: int = 0,
                     lr: float = 2e-3, batch: int = 128) -> nn.Sequential:
    """A ``N_0-hidden-classes`` snnTorch classifier trained on rate-coded inputs (Bernoulli, ``p = x``) with
    snnTorch's cross-entropy on output spike counts."""
    from snntorch import functional, utils

    x, y = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64)
    net = snntorch_mlp((x.shape[1], hidden, int(y.max()) + 1), beta, seed)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr)
    loss_fn = functional.ce_count_loss()
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), batch):
            xb, yb = x[perm[i:i + batch]], y[perm[i:i + batch]]
            utils.reset(net)
            spk = torch.stack([net((torch.rand(xb.shape, generator=g) < xb).float())[0] for _ in range(timesteps)])
            loss = loss_fn(spk, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()


def export_snntorch(net: nn.Module, n_inputs: int):
    """snnTorch's own NIR export of ``net``."""
    from snntorch.export_nir import export_to_nir

    return export_to_nir(net, torch.zeros(n_inputs))


def import_snntorch(graph) -> nn.Module:
    """snnTorch's own NIR import of ``graph``."""
    from snntorch.import_nir import import_from_nir

    return import_from_nir(graph)


def snntorch_layers(net: IntNetwork) -> nn.Sequential:
    """The integer network as snnTorch Linear + Leaky layers (``beta = 1 - 2^-k``, or 1 for IF), built
    directly: snnTorch 1.0's NIR importer cannot run an IF graph (it makes each IF a ``Leaky(beta=0.9)``
    without hidden state, whose tuple output the next Linear refuses)."""
    c = net.config
    beta = 1.0 if c.leak_shift is None else 1.0 - 2.0 ** -c.leak_shift
    mods = []
    for w, b, theta in zip(net.weights, net.biases, net.thresholds):
        lin = nn.Linear(w.shape[1], w.shape[0])
        lin.weight.data = torch.as_tensor(w, dtype=torch.float32)
        lin.bias.data = torch.as_tensor(b, dtype=torch.float32)
        mods += [lin, _leaky(w.shape[0], beta, float(theta), c.reset)]
    return nn.Sequential(*mods).eval()


def run_sinabs(graph, spikes) -> np.ndarray:
    """Output spike counts ``(B, N_L)`` of sinabs's NIR import of ``graph`` for trains ``(B, T, N_0)``."""
    import sinabs

    s = np.asarray(spikes)
    b, t = s.shape[:2]
    net = sinabs.from_nir(graph, batch_size=b)
    with torch.no_grad():
        out = net(torch.as_tensor(s.reshape(b * t, -1), dtype=torch.float32))
    out = out[0] if isinstance(out, tuple) else out
    return out.reshape(b, t, -1).sum(1).numpy().astype(np.int64)


@dataclass(frozen=True)
class Rules:
    """How a simulator steps a neuron: ``strict`` fires at ``v > theta``; ``multi`` emits ``floor(v / theta)``
    spikes; ``floor_at``: the membrane is clipped at ``-floor_at * theta``; ``reset_unleaked``: the reset
    by subtraction is applied after the next step's leak (snnTorch's default ``reset_delay``), not before."""

    strict: bool = False
    multi: bool = False
    floor_at: float | None = None
    reset_unleaked: bool = False


OURS = Rules()
SNNTORCH = Rules(strict=True, reset_unleaked=True)
SINABS = Rules(multi=True, floor_at=1.0)


def emulate(net: IntNetwork, spikes, rules: Rules) -> list[np.ndarray]:
    """Every layer's spike counts ``(B, N_l)`` of the integer network, in float64, stepped by ``rules``
    (``OURS``: the golden model's order of events without saturation, and an exact leak ``1 - 2^-k``)."""
    c = net.config
    beta = 1.0 if c.leak_shift is None else 1.0 - 2.0 ** -c.leak_shift
    x = np.asarray(spikes, dtype=np.float64)
    counts = []
    for w, b, theta in zip(net.weights, net.biases, net.thresholds):
        current = x @ np.asarray(w, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        q = np.zeros(current.shape[::2])  # the membrane a step tests, before its reset
        n = np.zeros_like(q)
        out = np.zeros_like(current)
        for t in range(current.shape[1]):
            if rules.reset_unleaked and c.reset == "subtract":
                q = beta * q - theta * n + current[:, t]
            else:
                v = np.where(n > 0, 0.0, q) if c.reset == "zero" else q - theta * n
                if rules.floor_at is not None:
                    v = np.maximum(v, -rules.floor_at * theta)
                q = beta * v + current[:, t]
            fired = q > theta if rules.strict else q >= theta
            n = np.where(fired, np.floor(q / theta), 0.0) if rules.multi else fired.astype(np.float64)
            out[:, t] = n
        counts.append(out.sum(1).astype(np.int64))
        x = out
    return counts
