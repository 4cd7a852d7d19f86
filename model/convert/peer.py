"""Side-by-side benchmark against an existing converter: sinabs (SynSense).

sinabs is installed by ``make setup`` (``pip install --no-deps sinabs==3.1.3``, see pyproject.toml);
without it, `available` is False and the report says the benchmark was skipped.

sinabs is used the way its documentation shows: the ANN as an ``nn.Sequential``
of Linear/ReLU layers, ``sinabs.utils.normalize_weights`` (data-based
percentile normalisation after Rueckauer et al. 2017) on the hidden layers,
then ``sinabs.from_model`` with its defaults (``IAFSqueeze`` neurons,
threshold 1, ``MultiSpike``, reset by subtraction, ``min_v_mem = -1``) and
``add_spiking_output=True`` for the output layer. It is fed exactly our input
spike trains, ``(B T, N_0)`` as ``IAFSqueeze`` expects.

sinabs is made for classification, where the output scale does not matter.
To make its output a pixel value, as ours is:

1. only the hidden layers are normalised, so the output layer's threshold of
   1 matches the pixel range [0, 1]; sinabs scales the hidden layers one
   after the other, so the activity reaching the output layer is divided by
   a factor ``k``: we measure ``k`` on the calibration set (the percentile of
   the last hidden layer's ANN activity over that of the normalised network)
   and multiply it into the output layer's weights;
2. the output is the spike count of the spiking output layer / T, clamped to
   [0, 1] (``MultiSpike`` may emit several spikes per step), i.e. the ANN's
   ``clamp(., 0, 1)``.

``normalize_weights`` divides a layer's weights *and bias* by the percentile
measured on the already-normalised network, which rescales the weights as
Eq. 7 does but not the bias (it should also be divided by the product of
the earlier layers' factors). For bias-free classifiers that is exact; for
this generator, whose layers have biases, the normalised ANN no longer
computes the ANN's function (`analog_error` measures by how much). So the
benchmark also runs ``mode="ours"``: sinabs' simulator (same ``from_model``
defaults) on the weights of our Eq. 6-7 normalisation, which isolates the
neuron model (``MultiSpike``, ``min_v_mem``, no rounding offset).
"""

from __future__ import annotations

import copy
import importlib.util
import time

import numpy as np
import torch
from torch import nn

from model.common.errors import UserError
from model.convert.conversion import UNIT, Affine, activation_scales, ann_forward, check_layers, normalise, percentile

available = importlib.util.find_spec("sinabs") is not None
SKIP_MESSAGE = "sinabs is not installed: peer benchmark skipped (pip install torch==2.13.0 sinabs==3.1.3)"


def sequential(layers: list[Affine]) -> nn.Sequential:
    """The ANN generator without its output clamp, as float32 ``Linear, ReLU, ..., Linear``."""
    mods: list[nn.Module] = []
    for l, (w, b) in enumerate(check_layers(layers)):
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        mods.append(lin)
        if l < len(layers) - 1:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def sinabs_network(layers: list[Affine], u_calib: torch.Tensor, normalisation: str, timesteps: int, mode: str = "sinabs"):
    """sinabs' conversion of the generator (``mode="sinabs"``) or of our normalised weights (``"ours"``)."""
    import sinabs
    import sinabs.utils

    layers = check_layers(layers)
    calib = torch.as_tensor(u_calib, dtype=torch.float32)
    if mode == "ours":
        norm = sequential(normalise(layers, activation_scales(layers, u_calib, normalisation))).eval()
    elif mode == "sinabs":
        ann = sequential(layers).eval()
        norm = copy.deepcopy(ann)
        names = [str(i) for i in range(len(norm))]
        if normalisation != UNIT:
            q = percentile(normalisation)
            sinabs.utils.normalize_weights(norm, calib, output_layers=names[1:-1:2], param_layers=names[0:-1:2], percentile=q)
            with torch.no_grad():
                k = np.percentile(ann[:-1](calib).numpy(), q) / np.percentile(norm[:-1](calib).numpy(), q)
                norm[-1].weight.mul_(float(k))
    else:
        raise UserError(f"peer mode must be 'sinabs' or 'ours', got {mode!r}")
    return sinabs.from_model(norm, add_spiking_output=True, num_timesteps=timesteps)


def simulate_sinabs(network, spike_0: torch.Tensor, batch_size: int = 64) -> tuple[torch.Tensor, float, float]:
    """Images ``clamp(count / T, 0, 1)`` for input trains ``(B, T, N_0)``; wall and CPU seconds of the simulation."""
    batch, steps, n0 = spike_0.shape
    images = []
    start, cpu = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for first in range(0, batch, batch_size):
            s = spike_0[first : first + batch_size].to(torch.float32)
            network.reset_states()
            out = network(s.reshape(-1, n0)).reshape(s.shape[0], steps, -1)
            images.append((out.sum(dim=1) / steps).clamp(0.0, 1.0))
    return torch.cat(images), time.perf_counter() - start, time.process_time() - cpu


def analog_error(layers: list[Affine], network, u: torch.Tensor) -> float:
    """Image MSE between the ANN and the network's normalised analog model (with the clamp) on ``u``."""
    ref = ann_forward(check_layers(layers), u)
    with torch.no_grad():
        out = network.analog_model(torch.as_tensor(u, dtype=torch.float32)).clamp(0.0, 1.0).double()
    return float(((out - ref) ** 2).mean())
