"""Semantic coverage bins of a network: what the golden model passed through, named per layer and lane.

Per lane ``p`` (neuron ``j`` with ``j mod P = p``; each lane has its own
comparator and saturation logic):

* a LIF layer (`LIF_BINS`): a biased membrane exactly at the threshold (it
  fires), one below it (it does not), an addition of a weight saturating at
  either end of the range, and the bias saturating at either end before the
  last step (the saturated membrane shows only in a later step; upwards only
  with reset by subtraction, elsewhere the neuron fires and the saturated
  value is never used);
* a ramp layer (`RAMP_BINS`, docs/exact-ttfs-semantics.md): the membrane at the
  end of its integrating window exactly at the falling threshold of a firing
  step, one below it, above ``theta`` (it fires at step 0), below zero.

`universe` names every bin a network's design has, `bound_applicable` those a
sound bound on the membranes does not rule out (the rest are proven
unreachable; `model.snn.exhaustive.semantic_applicable` decides them exactly
where a network has few inputs), `semantic_bins` those a golden run hit, and `distances` how far
each input vector is from each bin, for a search to follow (`model.snn.closure`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.snn import ramp
from model.snn.config import IntNetwork, SnnConfig

LIF_BINS = ("at threshold", "one below threshold", "weight saturates high", "weight saturates low",
            "bias saturates high", "bias saturates low")
RAMP_BINS = ("at a step's threshold", "one below a step's threshold", "above theta", "negative")


def bin_name(layer: int, lane: int, what: str) -> str:
    return f"L{layer} lane {lane} {what}"


def kinds_of(config: SnnConfig) -> tuple[str, ...]:
    """The bins each lane of ``config``'s layers has."""
    if config.neuron == "ramp":
        return RAMP_BINS
    return LIF_BINS if config.reset == "subtract" else tuple(k for k in LIF_BINS if k != "bias saturates high")


def bins_of(config: SnnConfig) -> list[tuple[int, int, str]]:
    """Every semantic bin of ``config``'s design as ``(layer, lane, kind)``, layer by layer, lane by lane."""
    return [(l, p, what) for l in range(1, config.layers + 1)
            for p in range(min(config.lanes, config.sizes[l])) for what in kinds_of(config)]


def universe(config: SnnConfig) -> list[str]:
    """Every semantic bin of ``config``'s design by name (`bin_name`), in the order of `bins_of`."""
    return [bin_name(*b) for b in bins_of(config)]


@dataclass(frozen=True)
class Reach:
    """Per neuron of one layer, whether saturation can happen at all (`reach`): a sound bound, so a bin it
    rules out is logic this network never uses, not a gap in the vectors."""

    weight_high: np.ndarray
    weight_low: np.ndarray
    bias_high: np.ndarray
    bias_low: np.ndarray
    at_threshold: np.ndarray  # the biased membrane can equal theta
    one_below: np.ndarray  # ... theta - 1
    fires: np.ndarray  # the neuron can fire at all


def reach(net: IntNetwork, layer: int, inputs_fire=None) -> Reach:
    """Bounds on the membranes of LIF layer ``layer`` over the ``T`` steps, every input spiking whenever it helps.

    With ``S+`` / ``S-`` a neuron's summed positive / negative weights, ``B``
    its bias and ``theta`` its threshold, the membrane before a step lies in
    ``[L, U]`` with ``U' = max(theta - 1, U + S+ + B - theta)`` (it stays
    below ``theta`` or fired and was reduced by it; reset to zero keeps
    ``theta - 1``) and ``L' = min(0, L + S- + B)`` (reset to the floor:
    ``L = lo`` once it may fire); a leak only shrinks the magnitude. Direct
    coding's layer 1 adds no weights, and its bias, the current, lies within
    ``B + 2^R S-`` .. ``B + 2^R S+``. An
    addition can saturate high only where ``U + S+ > hi``, and so on; the
    bias bins look at the steps before the last, as `semantic_bins` does; the
    biased membrane lies in ``[L + S- + B, U + S+ + B]``, so it can equal
    ``theta`` only where that holds it. ``inputs_fire``: which inputs can spike at
    all (the layer before's `Reach.fires`); the weights of the others never count.
    A TTFS layer's inputs spike at most once, so its membrane is a sum of a subset
    of its weights (after firing, the floor plus one): its threshold bins need
    ``theta`` (``theta - 1``) to be such a sum too (`_ttfs_sums_hold`).
    """
    c = net.config
    w, b, th = np.asarray(net.weights[layer - 1]), np.asarray(net.biases[layer - 1]), int(net.thresholds[layer - 1])
    if inputs_fire is not None:
        w = np.where(np.asarray(inputs_fire)[None, :], w, 0)
    lo, hi = c.membrane_range
    s_pos, s_neg = np.maximum(w, 0).sum(axis=1), np.minimum(w, 0).sum(axis=1)
    b_high, b_low = b, b
    if c.driven(layer):  # no weight additions; the bias is the current B + W X, X in 0 .. 2^R
        b_high, b_low = b + (s_pos << c.input_bits), b + (s_neg << c.input_bits)
        s_pos, s_neg = np.zeros_like(s_pos), np.zeros_like(s_neg)
    upper, lower = np.zeros(len(b), dtype=object), np.zeros(len(b), dtype=object)
    out = [np.zeros(len(b), dtype=bool) for _ in range(7)]
    for t in range(c.timesteps):
        top, bottom = upper + s_pos, lower + s_neg
        out[0] |= top > hi
        out[1] |= bottom < lo
        if t < c.timesteps - 1:
            out[2] |= (top + b_high > hi) & (b_high > 0)
            out[3] |= (bottom + b_low < lo) & (b_low < 0)
        top, bottom = np.minimum(top, hi) + b_high, np.maximum(bottom, lo) + b_low
        out[4] |= (np.maximum(bottom, lo) <= th) & (th <= np.minimum(top, hi))
        out[5] |= (np.maximum(bottom, lo) <= th - 1) & (th - 1 <= np.minimum(top, hi))
        fires = top >= th
        out[6] |= fires
        upper = np.maximum(th - 1, np.where(fires & (c.reset == "subtract"), np.minimum(top, hi) - th, th - 1))
        lower = np.minimum(0, np.maximum(bottom, lo))
        if c.reset == "floor":
            lower = np.where(fires, lo, lower)
    if c.neuron == "ttfs":
        out[4] &= _ttfs_sums_hold(w, lo, hi, [th])
        out[5] &= _ttfs_sums_hold(w, lo, hi, [th - 1, th - 1 - lo])
    return Reach(*out)


def prefix_subset_sums(w) -> tuple[list[int], int]:
    """The sums of the subsets of each prefix ``w[:0] .. w[:n]`` of the integers ``w``, as ``(bits, offset)``: sum
    ``s`` of prefix ``i`` is one exactly where bit ``s - offset`` of ``bits[i]`` is set."""
    offset = int(sum(int(x) for x in w if x < 0))
    bits = [1 << -offset]
    for x in (int(x) for x in w):
        bits.append(bits[-1] | (bits[-1] << x if x > 0 else bits[-1] >> -x))
    return bits, offset


def subset_sums(w) -> tuple[int, int]:
    """Every sum of a subset of the integers ``w``, as ``(bits, offset)`` (`prefix_subset_sums` of all of ``w``)."""
    bits, offset = prefix_subset_sums(w)
    return bits[-1], offset


def _ttfs_sums_hold(w, lo: int, hi: int, values) -> np.ndarray:
    """Per neuron of a TTFS layer (weights ``w``, inputs that spike at most once, no bias, no leak), whether its
    membrane can hold one of ``values`` less a subset sum: before it fires its membrane is the sum of the inputs
    that have spiked, after it the floor ``lo`` plus a sum of others. Where an addition could saturate, every
    value counts as possible."""
    out = np.ones(len(w), dtype=bool)
    for j, row in enumerate(w):
        if np.maximum(row, 0).sum() > hi or np.minimum(row, 0).sum() < lo:
            continue
        bits, offset = subset_sums(row)
        out[j] = any(v >= offset and (bits >> (v - offset)) & 1 for v in values)
    return out


def ramp_bins_of(v, theta: int, timesteps: int) -> dict[str, np.ndarray]:
    """Which membranes ``v`` (any shape) fall in each of `RAMP_BINS`."""
    r = theta // timesteps
    return {RAMP_BINS[0]: (v % r == 0) & (v >= r) & (v <= theta),
            RAMP_BINS[1]: (v % r == r - 1) & (v >= r - 1) & (v < theta),
            RAMP_BINS[2]: v > theta, RAMP_BINS[3]: v < 0}


def ramp_ranges(net: IntNetwork) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per ramp layer, bounds ``(lo, hi)`` on each neuron's membrane at the end of its window: interval
    arithmetic through ``V = B + W q``, ``q_0`` in ``0 .. T`` and ``q_l = clamp(floor(V / R), 0, T)`` (monotone,
    so its bounds are those of ``V``'s). Sound: no input leaves them."""
    t = net.config.timesteps
    q_lo, q_hi, out = np.zeros(net.config.sizes[0], dtype=np.int64), np.full(net.config.sizes[0], t), []
    for w, b, theta in zip(net.weights, net.biases, net.thresholds):
        w, b = np.asarray(w, dtype=np.int64), np.asarray(b, dtype=np.int64)
        pos, neg = np.maximum(w, 0), np.minimum(w, 0)
        lo, hi = b + pos @ q_lo + neg @ q_hi, b + pos @ q_hi + neg @ q_lo
        out.append((lo, hi))
        q_lo, q_hi = ramp.fire(lo, int(theta), t), ramp.fire(hi, int(theta), t)
    return out


def _multiple_within(lo, hi, r: int) -> np.ndarray:
    """Whether a multiple of ``r`` lies in ``lo .. hi`` (element-wise)."""
    return -(-lo // r) * r <= hi


def ramp_applicable(net: IntNetwork) -> list[str]:
    """The ramp bins within reach of `ramp_ranges`."""
    c, out = net.config, []
    for l, (lo, hi) in enumerate(ramp_ranges(net), start=1):
        th = int(net.thresholds[l - 1])
        r, lanes = th // c.timesteps, np.arange(c.sizes[l]) % c.lanes
        at = _multiple_within(np.maximum(lo, r), np.minimum(hi, th), r)
        below = _multiple_within(np.maximum(lo + 1, r), np.minimum(hi + 1, th), r)  # V + 1 a step's threshold
        reachable = {RAMP_BINS[0]: at, RAMP_BINS[1]: below, RAMP_BINS[2]: hi > th, RAMP_BINS[3]: lo < 0}
        out += [bin_name(l, p, what) for p in range(min(c.lanes, c.sizes[l]))
                for what in RAMP_BINS if reachable[what][lanes == p].any()]
    return out


def bound_applicable(net: IntNetwork) -> list[str]:
    """The semantic bins ``net`` can reach as far as `reach` can tell, layer by layer (a layer's inputs that can
    never fire add nothing); `ramp_applicable` for a ramp network."""
    if net.config.neuron == "ramp":
        return ramp_applicable(net)
    config, out, fires = net.config, [], None
    for l in range(1, config.layers + 1):
        n, r = config.sizes[l], reach(net, l, fires)
        fires = r.fires
        lanes = np.arange(n) % config.lanes
        for p in range(min(config.lanes, n)):
            out += [bin_name(l, p, "at threshold")] if r.at_threshold[lanes == p].any() else []
            out += [bin_name(l, p, "one below threshold")] if r.one_below[lanes == p].any() else []
            out += [bin_name(l, p, "bias saturates low")] if r.bias_low[lanes == p].any() else []
            if r.bias_high[lanes == p].any() and config.reset == "subtract":
                out.append(bin_name(l, p, "bias saturates high"))
            out += [bin_name(l, p, "weight saturates high")] if r.weight_high[lanes == p].any() else []
            out += [bin_name(l, p, "weight saturates low")] if r.weight_low[lanes == p].any() else []
    return out


def semantic_bins(net: IntNetwork, traces) -> set[str]:
    """The semantic bins hit by the golden run of ``net`` whose ``GoldenResult.traces`` are ``traces`` (one image
    or a batch)."""
    config, hit = net.config, set()
    for l in range(1, config.layers + 1):
        tr, th = traces[l], int(net.thresholds[l - 1])
        lanes = np.arange(config.sizes[l]) % config.lanes
        if config.neuron == "ramp":  # the membrane at the end of the integrating window
            for what, at in ramp_bins_of(tr.membranes[..., -1, :], th, config.timesteps).items():
                hit |= {bin_name(l, p, what) for p in np.unique(lanes[at.reshape(-1, len(lanes)).any(axis=0)])}
            continue
        for what, flags in lif_flags(tr, th).items():
            at = flags.reshape(-1, flags.shape[-1]).any(axis=0)
            hit |= {bin_name(l, p, what) for p in np.unique(lanes[at])}
    return hit & set(universe(config))


def lif_flags(tr, threshold: int) -> dict[str, np.ndarray]:
    """Per `LIF_BINS` kind, which neurons of a LIF layer's trace ``(..., step, neuron)`` were in it at some step,
    ``(..., neuron)``. The bias bins look at the steps before the last: the saturated membrane shows only in a
    later step."""
    steps = tr.biased.ndim - 2
    return {"at threshold": (tr.biased == threshold).any(axis=steps),
            "one below threshold": (tr.biased == threshold - 1).any(axis=steps),
            "weight saturates high": tr.integrated_high.any(axis=steps),
            "weight saturates low": tr.integrated_low.any(axis=steps),
            "bias saturates high": tr.biased_high[..., :-1, :].any(axis=steps),
            "bias saturates low": tr.biased_low[..., :-1, :].any(axis=steps)}


def per_image(traces, i: int) -> list:
    """Image ``i``'s traces of a batched golden run."""
    return [None if tr is None else tr.map(lambda x: x[i]) for tr in traces]


def _ramp_distance(v, theta: int, timesteps: int) -> dict[str, np.ndarray]:
    """Per `RAMP_BINS` kind, how far membranes ``v`` are from it, in steps of the threshold ``R`` (0: in it)."""
    r = theta // timesteps

    def to_a_threshold(x):  # to the nearest multiple of R in R .. theta
        inside = np.minimum(x % r, r - x % r)
        return np.where(x < r, r - x, np.where(x > theta, x - theta, inside)) / r

    return {RAMP_BINS[0]: to_a_threshold(v), RAMP_BINS[1]: to_a_threshold(v + 1),
            RAMP_BINS[2]: np.maximum(theta + 1 - v, 0) / r, RAMP_BINS[3]: np.maximum(v + 1, 0) / r}


def _lif_distance(net: IntNetwork, l: int, tr) -> dict[str, np.ndarray]:
    """Per `LIF_BINS` kind, how far each image's run of layer ``l`` is from it per neuron, in units of the
    threshold (0: hit). The saturation bins' distance is that of the biased membrane from the rail."""
    th, (lo, hi) = int(net.thresholds[l - 1]), net.config.membrane_range
    scale, b = max(abs(th), 1), tr.biased.astype(np.float64)
    steps = 1  # the step axis of (image, step, neuron)

    def flagged(flags, d):
        return np.where(flags.any(axis=steps), 0.0, np.maximum(d, 1.0 / scale))

    return {"at threshold": np.abs(b - th).min(axis=steps) / scale,
            "one below threshold": np.abs(b - (th - 1)).min(axis=steps) / scale,
            "weight saturates high": flagged(tr.integrated_high, (hi - b.max(axis=steps)) / scale),
            "weight saturates low": flagged(tr.integrated_low, (b.min(axis=steps) - lo) / scale),
            "bias saturates high": flagged(tr.biased_high[:, :-1], (hi - b[:, :-1].max(axis=steps, initial=lo)) / scale),
            "bias saturates low": flagged(tr.biased_low[:, :-1], (b[:, :-1].min(axis=steps, initial=hi) - lo) / scale)}


def distances(net: IntNetwork, x) -> np.ndarray:
    """``(images, bins)``: how far each encoder input ``x`` ``(images, N_0)`` leaves the design from each bin of
    `universe` (the nearest neuron of the bin's lane; 0 exactly where the golden run hits it)."""
    from model.snn.golden import run_noise

    c = net.config
    x = np.atleast_2d(np.asarray(x, dtype=np.int64))
    if c.neuron == "ramp":
        v = ramp.membranes(net, x)
        per_layer = [_ramp_distance(v[l - 1], int(net.thresholds[l - 1]), c.timesteps) for l in range(1, c.layers + 1)]
    else:
        traces = run_noise(net, x, record_membranes=True).traces
        per_layer = [_lif_distance(net, l, traces[l]) for l in range(1, c.layers + 1)]
    columns = []
    for l, d in enumerate(per_layer, start=1):
        lanes = np.arange(c.sizes[l]) % c.lanes
        for p in range(min(c.lanes, c.sizes[l])):
            columns += [d[what][:, lanes == p].min(axis=1) for what in kinds_of(c)]
    return np.stack(columns, axis=1)
