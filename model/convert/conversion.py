"""ANN -> SNN conversion (paper Sec. II-C, Eq. 6-7) and quantisation to an `IntNetwork`.

The generator is three affine layers, ``image = clamp(L3(relu(L2(relu(L1(u))))), 0, 1)``,
with noise ``u`` in [0, 1]^100 that the encoder turns into spike rates ``u``
(Eq. 4). An IF neuron with threshold 1 that fires at most once per step has a
rate in [0, 1]: a ReLU clipped at 1. So

* the input scale is ``lambda_0 = 1`` (the encoder's rate *is* ``u``),
* each hidden layer gets ``lambda_l`` = the max (Eq. 6) or a percentile of its
  ReLU activations over a calibration set, and ``w' = w lambda_{l-1} / lambda_l``,
  ``b' = b / lambda_l`` (Eq. 7), so its rates are ``relu(a_l) / lambda_l``,
* the output layer keeps ``lambda_L = 1``: the clamp to [0, 1] *is* the rate
  range, and the pixel is the output rate, count / T.

Quantisation picks per layer an integer threshold ``theta_l`` and scales the
normalised weights so the largest fills the signed q-bit range
(``W = round(w' theta_l)``, ``B = round(b' theta_l)``).

Direct coding (no input spikes, layer 1 driven by ``W_1 X`` with ``X = u 2^R``)
scales layer 1's threshold and bias by ``2^R`` so that its current is an
integer: ``theta_1 2^R`` and ``round((b'_1 theta_1 + offset) 2^R)``.

Rate coding by an IF neuron with reset by subtraction floors: after T steps
``count = floor((sum of input + bias charge) / theta)``. Adding ``theta / (2T)``
to every bias (``round_offset``) adds half a threshold over the run and turns
the floor into rounding (no half-step bias) without any change to the
hardware semantics. In our measurements it does as well as starting the
membrane at ``theta / 2``, so the semantics keep a zero initial membrane.

The normalisation assumes IF neurons (``leak_shift=None``, the default); with
a leak (LIF, Eq. 5) the same weights give rates below ``relu(a) / lambda``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from model.common.errors import UserError
from model.snn.config import IntNetwork, SnnConfig
from model.snn.float_snn import SnnParams

Affine = tuple[torch.Tensor, torch.Tensor]  # W (out, in), b (out,)
OUTPUTS = ("image", "scores")
UNIT = "unit"  # the normalisation of layers that come normalised


@dataclass(frozen=True)
class ConvertOptions:
    """How to normalise and quantise: ``normalisation`` is ``"max"`` (Eq. 6), ``"p<percentile>"``, or
    ``"unit"`` (every ``lambda_l = 1``: the layers come normalised, as a generator trained with QCFS
    activations does, `model.gan.nets.qcfs`).

    ``output``: ``"image"`` (a generator: the last layer's clamp to [0, 1] is the rate range, ``lambda_L = 1``)
    or ``"scores"`` (a classifier's logits: the last layer is normalised like a hidden one, and its rates
    ``relu(a_L) / lambda_L`` keep the order of the positive scores).
    """

    normalisation: str = "p99.9"
    round_offset: bool = True
    output: str = "image"

    def __post_init__(self) -> None:
        if self.normalisation != UNIT:
            percentile(self.normalisation)  # validates
        if self.output not in OUTPUTS:
            raise UserError(f"output must be one of {OUTPUTS}, got {self.output!r}")

    def to_dict(self) -> dict:
        return {"normalisation": self.normalisation, "round_offset": self.round_offset, "output": self.output}


def percentile(normalisation: str) -> float:
    """The percentile a normalisation name stands for: ``"max"`` is 100, ``"p99.9"`` 99.9."""
    if normalisation == "max":
        return 100.0
    m = re.fullmatch(r"p(\d+(?:\.\d+)?)", normalisation)
    if not m or not 0 < float(m.group(1)) <= 100:
        raise UserError(f"normalisation must be 'max', 'p<percentile in (0, 100]>' like 'p99.9' or '{UNIT}' (layers "
                        f"already normalised), got {normalisation!r}")
    return float(m.group(1))


def check_layers(layers: list[Affine]) -> list[Affine]:
    """Float64 copies of the affine layers, with chained shapes checked."""
    out = []
    for l, (w, b) in enumerate(layers, start=1):
        w = torch.as_tensor(w, dtype=torch.float64).detach().clone()
        b = torch.as_tensor(b, dtype=torch.float64).detach().clone()
        if w.dim() != 2 or b.shape != (w.shape[0],):
            raise UserError(f"layer {l}: expected W (out, in) and b (out,), got {tuple(w.shape)} and {tuple(b.shape)}")
        if out and out[-1][0].shape[0] != w.shape[1]:
            raise UserError(f"layer {l}: input width {w.shape[1]} does not match the previous layer's {out[-1][0].shape[0]}")
        out.append((w, b))
    return out


def ann_activations(layers: list[Affine], u: torch.Tensor, output: str = "image") -> list[torch.Tensor]:
    """Outputs of every layer: ``relu`` for the hidden ones, ``clamp(., 0, 1)`` for the last (``relu`` for scores)."""
    x = torch.as_tensor(u, dtype=layers[0][0].dtype)
    acts = []
    for l, (w, b) in enumerate(layers):
        a = x @ w.T + b
        x = a.clamp(0.0, 1.0) if l == len(layers) - 1 and output == "image" else torch.relu(a)
        acts.append(x)
    return acts


def ann_forward(layers: list[Affine], u: torch.Tensor) -> torch.Tensor:
    """The ANN generator's image for noise ``u``, shape ``(B, N_L)``."""
    return ann_activations(layers, u)[-1]


def activation_scales(layers: list[Affine], u_calib: torch.Tensor, normalisation: str,
                      output: str = "image") -> list[float]:
    """``lambda_0 .. lambda_L`` (Eq. 6): 1 for the input and an image output, a max/percentile for hidden
    layers (and for an output of scores); all 1 for ``"unit"``."""
    if normalisation == UNIT:
        return [1.0] * (len(layers) + 1)
    q = percentile(normalisation)
    acts = ann_activations(layers, u_calib, output)
    lambdas = [1.0]
    for a in acts if output == "scores" else acts[:-1]:
        lam = float(np.percentile(a.numpy().ravel(), q)) if q < 100 else float(a.max())
        if lam <= 0:
            lam = float(a.max())
        if lam <= 0:
            raise UserError("a layer is silent on the whole calibration set; the network looks untrained")
        lambdas.append(lam)
    return lambdas if output == "scores" else lambdas + [1.0]


def normalise(layers: list[Affine], lambdas: list[float]) -> list[Affine]:
    """Eq. 7: ``w' = w lambda_{l-1} / lambda_l`` and ``b' = b / lambda_l``."""
    return [(w * (lambdas[l] / lambdas[l + 1]), b / lambdas[l + 1]) for l, (w, b) in enumerate(layers)]


def float_snn(norm_layers: list[Affine], config: SnnConfig, options: ConvertOptions) -> SnnParams:
    """The normalised network as a float SNN with threshold 1 (plus the rounding offset)."""
    offset = 1.0 / (2 * config.timesteps) if options.round_offset else 0.0
    return SnnParams(
        weights=[w.to(torch.float32) for w, _ in norm_layers],
        biases=[(b + offset).to(torch.float32) for _, b in norm_layers],
        thresholds=[1.0] * len(norm_layers),
        reset=config.reset,
        leak_shift=config.leak_shift,
    )


def quantise(norm_layers: list[Affine], config: SnnConfig, options: ConvertOptions) -> IntNetwork:
    """Integer weights, biases and thresholds ``theta_l`` (the float threshold 1) for ``config``.

    ``theta_l`` is the largest integer with ``round(max|w'_l| theta_l) <= 2^(q-1) - 1``:
    the largest weight lands at the top of the q-bit range, and every float
    quantity ``x`` of layer l becomes ``round(x theta_l)`` (layer 1 of a
    direct-coded network: threshold and bias times ``2^R``, the scale of ``X``).
    """
    if len(norm_layers) != config.layers or [norm_layers[0][0].shape[1]] + [w.shape[0] for w, _ in norm_layers] != list(
        config.sizes
    ):
        raise UserError(f"network shape does not match the configuration's sizes {config.sizes}")
    wmax = 2 ** (config.weight_bits - 1) - 1
    mlo, mhi = config.membrane_range
    weights, biases, thresholds = [], [], []
    for l, (w, b) in enumerate(norm_layers, start=1):
        peak = float(w.abs().max())
        theta = int(np.floor((wmax + 0.5) / peak)) if peak > 0 else wmax
        if round(peak * theta) > wmax:  # peak * theta == wmax + 0.5 rounds (half to even) to wmax + 1
            theta -= 1
        if theta < 1:
            raise UserError(
                f"layer {l}: a weight of {peak:.3g} thresholds does not fit {config.weight_bits}-bit weights; "
                "use a larger percentile or more weight bits"
            )
        scale = 1 << config.input_bits if config.driven(l) else 1
        theta = min(theta, mhi // scale)
        offset = theta / (2 * config.timesteps) if options.round_offset else 0.0
        wi = torch.round(w * theta).to(torch.int64).clamp(-wmax, wmax)
        bi = torch.round((b * theta + offset) * scale).to(torch.int64)
        if int(bi.min()) < mlo or int(bi.max()) > mhi:
            raise UserError(f"layer {l}: a bias does not fit {config.membrane_bits} membrane bits; raise membrane_bits")
        weights.append(wi.numpy())
        biases.append(bi.numpy())
        thresholds.append(theta * scale)
    return IntNetwork(config=config, weights=weights, biases=biases, thresholds=thresholds)


@dataclass
class Conversion:
    """Everything one conversion produces: scales, the float SNN and the integer network."""

    options: ConvertOptions
    config: SnnConfig
    lambdas: list[float]
    float_params: SnnParams
    int_net: IntNetwork

    def metadata(self) -> dict:
        """What the manifest records about how the integers were made."""
        return {
            "conversion": self.options.to_dict(),
            "activation_scales": self.lambdas,
            "threshold_scales": [int(t) for t in self.int_net.thresholds],
        }


def convert(layers: list[Affine], u_calib: torch.Tensor, config: SnnConfig, options: ConvertOptions) -> Conversion:
    """Normalise (Eq. 6-7), build the float SNN and quantise it, for one configuration."""
    layers = check_layers(layers)
    lambdas = activation_scales(layers, u_calib, options.normalisation, options.output)
    norm = normalise(layers, lambdas)
    int_net = quantise(norm, config, options)
    return Conversion(options, config, lambdas, float_snn(norm, config, options), int_net)
