"""The fixed-point golden model: ``docs/hardware-semantics.md`` made executable.

Everything here is integer arithmetic, bit for bit what the RTL computes. The
model is vectorised over images and neurons and stays exact:

* A layer at step ``t`` depends only on its own membranes and on the previous
  layer's spikes at ``t``, so each layer is run for all ``T`` steps before the
  next one, and the integration currents of all steps come from one matmul.
* Saturating after every addition makes the order of events matter. A
  neuron's partial sums during a step lie between ``V + (sum of its active
  negative weights)`` and ``V + (sum of its active positive weights)``; when
  both ends fit ``m`` bits no addition can saturate and the matmul sum is the
  exact result. Only where pairs fail this bound is the step replayed event
  by event, in ascending input order, vectorised across images and neurons.
* Matmuls run in float32 or float64 only where every partial sum is an
  integer below 2^24 or 2^53, where floating-point sums are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from model.common.errors import UserError
from model.snn import ramp
from model.snn.config import TTFS_NEURONS, IntNetwork, SnnConfig
from model.snn.xorshift import xorshift32_stream

_BATCH_ELEMENTS = 1 << 23  # images per chunk x T x widest layer: bounds the int64 work arrays


def random_numbers(config: SnnConfig, timesteps: int | None = None) -> np.ndarray:
    """The encoder's ``r[t][i]`` (the top ``R`` bits of each state), shape ``(T, N_0)``.

    The generator restarts from the seed for every image, so these numbers are
    the same for every image.
    """
    t = config.timesteps if timesteps is None else int(timesteps)
    n0 = config.sizes[0]
    states = xorshift32_stream(config.rng_seed, t * n0)
    return (states >> np.uint32(32 - config.input_bits)).astype(np.int64).reshape(t, n0)


def encode_noise(u, config: SnnConfig) -> np.ndarray:
    """Noise ``u`` in [0, 1] (shape ``(..., N_0)``) to the encoder's integers: ``X = min(floor(u 2^R + 1/2), 2^R)``
    (bernoulli), the spike time ``X = floor(u T + 1/2)`` (ttfs: ``u = t / T``), or for the ramp neuron
    ``X = T - floor(u T + 1/2)`` (its value ``T - X`` is ``u`` in ``T`` levels)."""
    u = np.asarray(u, dtype=np.float64)
    if u.shape[-1:] != (config.sizes[0],):
        raise UserError(f"noise must have {config.sizes[0]} values in its last axis, got shape {u.shape}")
    if not np.all(np.isfinite(u)) or u.min(initial=0.0) < 0.0 or u.max(initial=0.0) > 1.0:
        raise UserError(
            "noise for the rate encoder must lie in [0, 1] (map the generator's noise to [0, 1] first), "
            f"found {u.min():.4g} .. {u.max():.4g}"
        )
    full = noise_levels(config)
    x = np.minimum(np.floor(u * full + 0.5), full).astype(np.int64)
    return full - x if config.neuron == "ramp" else x


def noise_levels(config: SnnConfig) -> int:
    """The largest encoder input ``X``: ``T`` for spike times (ttfs), else ``2^R``."""
    return config.timesteps if config.coding == "ttfs" else 1 << config.input_bits


def draw_noise(seed: int, config: SnnConfig) -> np.ndarray:
    """The on-chip noise source (``hw/noise_source.py``): `encode_noise` of ``u_i = r_i / 2^32`` for the
    xorshift32 states ``r_1 .. r_{N_0}`` after ``seed``, i.e. ``x_i = (r_i full + 2^31) >> 32``; shape ``(N_0,)``."""
    r = xorshift32_stream(seed, config.sizes[0]).astype(np.float64)
    return encode_noise(r / 2.0**32, config)


def stratified_thresholds(config: SnnConfig, timesteps: int | None = None) -> np.ndarray:
    """The stratified coding's threshold of each step, ``(T, 1)``: ``r_t = bitrev_R(t mod 2^R)``, the van der
    Corput sequence in ``0 .. 2^R - 1``; its first ``2^k`` values are the multiples of ``2^(R-k)``."""
    r = config.input_bits
    steps = np.arange(config.timesteps if timesteps is None else int(timesteps)) % (1 << r)
    bits = (steps[:, None] >> np.arange(r)) & 1
    return (bits * (1 << np.arange(r)[::-1])).sum(axis=1, dtype=np.int64)[:, None]


def encode_spikes(x, config: SnnConfig, timesteps: int | None = None) -> np.ndarray:
    """The on-chip encoder: ``spike_0[t][i] = X_i > r[t][i]`` (bernoulli), ``X_i > r_t`` (stratified,
    `stratified_thresholds`), ``X_i == t`` (ttfs) or 0 (direct: `direct_current` drives layer 1);
    ``X`` shape ``(..., N_0)`` -> ``(..., T, N_0)`` uint8."""
    x = np.asarray(x)
    n0, full = config.sizes[0], 1 << config.input_bits
    if x.shape[-1:] != (n0,) or not np.issubdtype(x.dtype, np.integer):
        raise UserError(f"encoder input X must be integers with {n0} values in the last axis, got {x.dtype} {x.shape}")
    if x.size and (x.min() < 0 or x.max() > full):
        raise UserError(f"encoder input X must lie in 0..2^R = 0..{full}, found {x.min()} .. {x.max()}")
    t = config.timesteps if timesteps is None else int(timesteps)
    if config.direct:
        return np.zeros((*x.shape[:-1], t, n0), dtype=np.uint8)
    if config.coding == "ttfs":
        steps = np.arange(t)[:, None]
        return (x.astype(np.int64)[..., None, :] == steps).astype(np.uint8)
    r = stratified_thresholds(config, timesteps) if config.coding == "stratified" else random_numbers(config, timesteps)
    return (x.astype(np.int64)[..., None, :] > r).astype(np.uint8)


def direct_current(net: IntNetwork, x) -> np.ndarray | None:
    """Layer 1's current of a direct-coded network, ``C_j = B_1[j] + sum_i W_1[j][i] X_i`` (exact: `IntNetwork`
    bounds it to the membrane range), ``X`` ``(..., N_0)`` -> ``(..., N_1)`` int64; None for a spike coding."""
    if not net.config.direct:
        return None
    x = np.asarray(x, dtype=np.int64)
    return np.asarray(net.biases[0], dtype=np.int64) + x @ np.asarray(net.weights[0], dtype=np.int64).T


def first_spike_times(spikes) -> np.ndarray:
    """Each neuron's first spike step of trains ``(..., T, N)``, ``T`` where it never fired."""
    s = np.asarray(spikes)
    t = s.shape[-2]
    return np.where(s.any(axis=-2), s.argmax(axis=-2), t)


def decode_image(config: SnnConfig, out_spikes) -> np.ndarray:
    """The image of the output trains ``(..., T, N_L)``: the rate ``C_L / T``, or for a TTFS
    network ``(T - t) / T`` of the first spike time ``t`` (``T`` if none: black)."""
    s = np.asarray(out_spikes)
    t = s.shape[-2]
    if config.neuron in TTFS_NEURONS:
        return (t - first_spike_times(s)) / t
    return s.sum(axis=-2, dtype=np.int64) / t


def output_image(config: SnnConfig, counts, out_spikes=None) -> np.ndarray:
    """:func:`decode_image` of the output trains when they were recorded, else ``C_L / T`` of the
    output counts (which a TTFS image cannot be read from)."""
    if out_spikes is not None:
        return decode_image(config, out_spikes)
    if config.neuron in TTFS_NEURONS:
        raise ValueError("a TTFS image is read from its output spike times: record the output layer's trains")
    return np.asarray(counts) / config.timesteps


@dataclass
class GoldenResult:
    """What one run produces, per layer ``l = 0..L`` (0 is the input).

    Arrays carry a leading image axis exactly when the input did.
    ``spikes[l]``: ``(..., T, N_l)`` uint8; ``counts[l]``: ``(..., N_l)`` int64;
    ``image``: :func:`decode_image` of the output trains, float64; ``membranes[l]`` (``l >= 1``, index 0 is
    None), only when asked for: ``(..., T, N_l)`` int64, the membrane at the end
    of each step (after bias, fire, reset and leak); ``traces[l]`` then holds
    each layer's whole `LayerTrace` (the same arrays).
    """

    spikes: list
    counts: list
    image: np.ndarray
    membranes: list | None = None
    traces: list | None = None

    @property
    def timesteps(self) -> int:
        return self.spikes[0].shape[-2]

    def image_result(self, i: int) -> "GoldenResult":
        """Image ``i`` of a batched run, as a run of that image alone would give it."""
        def take(xs):
            return None if xs is None else [None if x is None else x[i] for x in xs]

        traces = None if self.traces is None else [None if t is None else t.map(lambda x: x[i]) for t in self.traces]
        return GoldenResult(take(self.spikes), take(self.counts), self.image[i], take(self.membranes), traces)


def _matmul_dtype(w_abs_rowsum_max: int):
    """A float type in which every partial sum of spike x weight products is exact."""
    if w_abs_rowsum_max < 2**24:
        return np.float32
    if w_abs_rowsum_max < 2**53:
        return np.float64
    raise UserError("layer too wide for the golden model: a neuron's summed |weights| reach 2^53")


def _integrate_exact(v, w_t, s, total, unsafe, lo, hi, rails=None) -> np.ndarray:
    """Phase 1 of one step: the membranes after every incoming spike, saturating after each addition.

    ``v`` ``(B, N)`` membranes, ``w_t`` ``(N_in, N)`` transposed weights, ``s``
    ``(B, N_in)`` spikes, ``total`` ``(B, N)`` their matmul sums, ``unsafe`` the
    pairs whose partial sums may leave the ``m``-bit range. The block (images
    with an unsafe pair) x (neurons with an unsafe pair) is replayed event by
    event in ascending input order; the safe pairs inside it come out equal to
    ``v + total``, since none of their partial sums can saturate. ``rails``:
    two ``(B, N)`` bool arrays, set where an addition saturated high / low.
    """
    out = v + total
    if not unsafe.any():
        return out
    images, neurons = np.flatnonzero(unsafe.any(axis=1)), np.flatnonzero(unsafe.any(axis=0))
    block = np.ix_(images, neurons)
    x = v[block]
    high, low = np.zeros(x.shape, dtype=bool), np.zeros(x.shape, dtype=bool)
    fired = np.ascontiguousarray(s[images].T.astype(bool))[:, :, None]  # (N_in, images, 1)
    w_sub = w_t[:, neurons]
    for i in np.flatnonzero(fired.any(axis=(1, 2))):
        np.add(x, w_sub[i], out=x, where=fired[i])
        high |= x > hi
        low |= x < lo
        np.clip(x, lo, hi, out=x)
    out[block] = x
    if rails is not None:
        rails[0][block] |= high
        rails[1][block] |= low
    return out


@dataclass
class LayerTrace:
    """What one layer's run passed through, per ``(image, step, neuron)``, for coverage of the semantics.

    ``membranes``: at the end of the step (after bias, fire, reset, leak);
    ``biased``: ``sat(V + B)``, the value compared with the threshold;
    ``integrated_high`` / ``integrated_low``: an addition of a weight saturated
    at the top / bottom of the range; ``biased_high`` / ``biased_low``: adding
    the bias did.
    """

    membranes: np.ndarray
    biased: np.ndarray
    integrated_high: np.ndarray
    integrated_low: np.ndarray
    biased_high: np.ndarray
    biased_low: np.ndarray

    @classmethod
    def empty(cls, shape) -> "LayerTrace":
        return cls(np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64),
                   *(np.zeros(shape, dtype=bool) for _ in range(4)))

    def map(self, fn, *others: "LayerTrace") -> "LayerTrace":
        """The trace made of ``fn`` of each array (and of the same array of each of ``others``)."""
        return LayerTrace(*(fn(getattr(self, f.name), *(getattr(o, f.name) for o in others)) for f in fields(self)))

    def record(self, t: int, membranes, biased, rails, bias_sum, lo, hi) -> None:
        self.membranes[:, t], self.biased[:, t] = membranes, biased
        self.integrated_high[:, t], self.integrated_low[:, t] = rails
        self.biased_high[:, t], self.biased_low[:, t] = bias_sum > hi, bias_sum < lo


def run_layer(w, bias, threshold: int, config: SnnConfig, spikes_in: np.ndarray, record: bool = False):
    """One layer over all steps: ``spikes_in`` ``(B, T, N_in)`` -> spikes ``(B, T, N)`` and, with ``record``,
    its `LayerTrace` (else None). ``bias`` is ``(N,)``, or ``(B, N)`` for a per-image current.

    Pure function of its arguments; membranes start at zero (a new image).
    """
    w = np.asarray(w, dtype=np.int64)
    bias = np.asarray(bias, dtype=np.int64)
    nb, nt, _ = spikes_in.shape
    n = w.shape[0]
    lo, hi = config.membrane_range
    th = int(threshold)

    w_t = np.ascontiguousarray(w.T)
    w_pos = np.maximum(w, 0)
    dtype = _matmul_dtype(int(np.abs(w).sum(axis=1).max(initial=0)))
    s_flat = spikes_in.reshape(nb * nt, -1).astype(dtype)
    total = (s_flat @ w.T.astype(dtype)).astype(np.int64).reshape(nb, nt, n)
    pos = (s_flat @ w_pos.T.astype(dtype)).astype(np.int64).reshape(nb, nt, n)
    neg = total - pos

    v = np.zeros((nb, n), dtype=np.int64)
    out = np.zeros((nb, nt, n), dtype=np.uint8)
    trace = LayerTrace.empty((nb, nt, n)) if record else None
    for t in range(nt):
        # 1. integrate, exact: bound-safe pairs by the matmul, the others event by event
        unsafe = (v + pos[:, t] > hi) | (v + neg[:, t] < lo)
        rails = (np.zeros((nb, n), dtype=bool), np.zeros((nb, n), dtype=bool)) if record else None
        v = _integrate_exact(v, w_t, spikes_in[:, t], total[:, t], unsafe, lo, hi, rails)
        # 2. sweep: bias (saturating), fire, reset, leak
        bias_sum = v + bias
        v = biased = np.clip(bias_sum, lo, hi)
        fired = v >= th
        if config.reset == "zero":
            v = np.where(fired, 0, v)
        elif config.reset == "floor":
            v = np.where(fired, lo, v)
        else:
            v = v - th * fired
        if config.leak_shift is not None:
            v = v - (v >> config.leak_shift)
        out[:, t] = fired
        if record:
            trace.record(t, v, biased, rails, bias_sum, lo, hi)
    return out, trace


def _run_ramp_layer(w, bias, threshold: int, config: SnnConfig, spikes_in: np.ndarray, record: bool = False):
    """`ramp.run_layer` as `run_layer` returns it: the trace's membranes are those at the end of each
    integrating step (``V`` is held while the layer fires); nothing saturates (`IntNetwork.validate`)."""
    out, membranes = ramp.run_layer(w, bias, threshold, spikes_in)
    if not record:
        return out, None
    trace = LayerTrace.empty(membranes.shape)
    trace.membranes[...] = membranes
    trace.biased[...] = membranes
    return out, trace


def run_network(net: IntNetwork, spike_0, record_membranes: bool = False, current=None) -> GoldenResult:
    """Run the network on input spike trains ``(T, N_0)`` or ``(B, T, N_0)`` (0/1).

    ``T`` is taken from the input (normally ``config.timesteps``). A direct-coded
    network has no input spikes (all 0) and takes layer 1's `direct_current`
    ``(N_1,)`` or ``(B, N_1)`` instead, in place of its bias. A ramp network
    (`model.snn.ramp`) runs one window per layer: ``spikes[l]`` are layer ``l``'s
    trains in window ``l``, its membranes those of window ``l - 1``. Large batches are
    run in chunks of images, which changes nothing but memory use.
    """
    c = net.config
    s = np.asarray(spike_0)
    batched = s.ndim == 3
    if s.ndim not in (2, 3) or s.shape[-1] != c.sizes[0] or s.shape[-2] < 1:
        raise UserError(f"input spikes must have shape (T, {c.sizes[0]}) or (B, T, {c.sizes[0]}), got {s.shape}")
    if s.size and not np.isin(s, (0, 1)).all():
        raise UserError("input spikes must be 0 or 1")
    s = s.astype(np.uint8)
    if not batched:
        s = s[None]
    biases = _layer_one_drive(net, s, current)
    chunk = max(1, _BATCH_ELEMENTS // (s.shape[1] * max(c.sizes)))
    spikes, mems = [[s[k : k + chunk]] for k in range(0, len(s), chunk)], []
    for k, part in enumerate(spikes):
        part_mems = [None]
        for l, (w, th) in enumerate(zip(net.weights, net.thresholds)):
            b = biases[l] if biases[l].ndim == 1 else biases[l][k * chunk : (k + 1) * chunk]
            out, m = (_run_ramp_layer if c.neuron == "ramp" else run_layer)(w, b, th, c, part[-1], record_membranes)
            part.append(out)
            part_mems.append(m)
        mems.append(part_mems)
    spikes = [np.concatenate(layer) for layer in zip(*spikes)]
    traces = [None if m[0] is None else m[0].map(lambda *xs: np.concatenate(xs), *m[1:]) for m in zip(*mems)]
    counts = [x.sum(axis=1, dtype=np.int64) for x in spikes]
    image = decode_image(c, spikes[-1])
    if not batched:
        spikes = [x[0] for x in spikes]
        counts = [x[0] for x in counts]
        image = image[0]
        traces = [None if m is None else m.map(lambda x: x[0]) for m in traces]
    if not record_membranes:
        return GoldenResult(spikes, counts, image)
    return GoldenResult(spikes, counts, image, [None if m is None else m.membranes for m in traces], traces)


def _layer_one_drive(net: IntNetwork, s: np.ndarray, current) -> list[np.ndarray]:
    """Each layer's bias as `run_layer` takes it: layer 1's is the direct current ``(B, N_1)`` where coded so."""
    biases = [np.asarray(b, dtype=np.int64) for b in net.biases]
    if not net.config.direct:
        if current is not None:
            raise UserError(f"a current drives layer 1 of a direct-coded network only; this one is {net.config.coding!r}")
        return biases
    if current is None:
        raise UserError("a direct-coded network is driven by layer 1's current: pass direct_current(net, X) "
                        "(or run it with run_noise)")
    if s.any():
        raise UserError("a direct-coded network has no input spikes: its input trains must be all 0")
    cur = np.broadcast_to(np.asarray(current, dtype=np.int64), (len(s), net.config.sizes[1]))
    return [cur] + biases[1:]


def run_noise(net: IntNetwork, x, record_membranes: bool = False) -> GoldenResult:
    """Encoder and network together: integers ``X`` ``(N_0,)`` or ``(B, N_0)`` to a result."""
    return run_network(net, encode_spikes(x, net.config), record_membranes, direct_current(net, x))


@dataclass(frozen=True)
class Divergence:
    """The first place two runs differ: earliest step, then lowest layer, image, neuron."""

    step: int
    layer: int
    neuron: int
    image: int | None
    expected: int
    actual: int

    def __str__(self) -> str:
        where = f"image {self.image}, " if self.image is not None else ""
        return (
            f"{where}step {self.step}, layer {self.layer}, neuron {self.neuron}: "
            f"expected spike {self.expected}, got {self.actual}"
        )


def first_divergence(expected, actual) -> Divergence | None:
    """Compare spike trains layer by layer and return where they first differ, or None.

    Both arguments are `GoldenResult`s or lists of per-layer trains indexed by
    layer (``(T, N_l)`` or ``(B, T, N_l)``); a layer that is None in either is
    skipped, so an RTL run that only captured some layers can be compared.
    Since layer ``l`` at step ``t`` depends on layer ``l - 1`` at step ``t``,
    ordering by (step, layer) points at the first cause, not a consequence.
    """
    exp = expected.spikes if isinstance(expected, GoldenResult) else list(expected)
    act = actual.spikes if isinstance(actual, GoldenResult) else list(actual)
    if len(exp) != len(act):
        raise UserError(f"cannot compare runs with {len(exp)} and {len(act)} layers")
    best = None
    for layer, (e, a) in enumerate(zip(exp, act)):
        if e is None or a is None:
            continue
        e, a = np.asarray(e), np.asarray(a)
        if e.shape != a.shape:
            raise UserError(f"layer {layer}: spike trains of shape {e.shape} and {a.shape} cannot be compared")
        batched = e.ndim == 3
        e3, a3 = (e, a) if batched else (e[None], a[None])
        diff = np.argwhere(e3 != a3)  # rows (image, step, neuron)
        if not len(diff):
            continue
        order = np.lexsort((diff[:, 2], diff[:, 0], diff[:, 1]))  # step, then image, then neuron
        b, t, j = (int(x) for x in diff[order[0]])
        key = (t, layer, b, j)
        if best is None or key < best[0]:
            best = (key, Divergence(t, layer, j, b if batched else None, int(e3[b, t, j]), int(a3[b, t, j])))
    return None if best is None else best[1]


def random_network(config: SnnConfig, seed: int = 0, weight_scale: float = 0.25, bias_scale: int = 0) -> IntNetwork:
    """A random network of the given shape (for tests and speed measurements, not a model).

    Weights are Gaussian with standard deviation ``sigma = weight_scale * (2^(q-1) - 1)``,
    clipped; thresholds are ``sigma * sqrt(N_in) / 2`` (firing rates of about
    0.3 for inputs at rate 0.5); biases are uniform in ``+-bias_scale``. A
    direct-coded network's layer 1 has its threshold and bias at the ``2^R``
    scale of its current, as the converter makes them.
    """
    rng = np.random.default_rng(seed)
    wlo, whi = config.weight_range
    weights, biases, thresholds = [], [], []
    for l in range(1, config.layers + 1):
        n_in, n_out = config.sizes[l - 1], config.sizes[l]
        w = np.clip(np.round(rng.normal(0, weight_scale * whi, (n_out, n_in))), wlo, whi).astype(np.int64)
        weights.append(w)
        scale = 1 << config.input_bits if config.driven(l) else 1
        biases.append(rng.integers(-bias_scale, bias_scale + 1, n_out).astype(np.int64) * scale)
        th = max(1, int(weight_scale * whi * np.sqrt(n_in) / 2)) * scale
        thresholds.append(min(th, config.membrane_range[1]))
    return IntNetwork(config, weights, biases, thresholds)

