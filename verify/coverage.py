"""Functional coverage of the generator: named bins of the semantics (from the golden model) and of the RTL.

Two kinds of bins, both per layer:

* semantic bins, read from the golden model's `model.snn.golden.LayerTrace` of the
  vectors that were run (it is bit-exact with the RTL, so what it passed
  through the RTL passed through): per lane ``p`` (neuron ``j`` with
  ``j mod P = p``) a biased membrane exactly at the threshold (it fires), one
  below it (it does not), an addition of a weight saturating at either end of
  the range, and the bias saturating at either end before the last step (each
  lane has its own saturation logic, and the saturated membrane shows only in
  a later step);
* RTL bins, counted in the simulation wrapper from the design's own named
  signals (`rtl_points`): each forwarding path of the LIF pipeline, a read in
  its group's write-back cycle, a read of a group cleared by ``start``, a sweep
  held back by the fire FIFO, the FIFO full, a word of two or more spikes in
  the serialiser, the event buffer's skid register in use, and (TTFS) a step
  without input events passed on without a sweep.

Not every bin can be hit by every design: the register stage forwards the
membrane only when a layer is one word (``G = 1``: the same group issued in
two consecutive cycles), the counters only when ``G <= 2``; a lane of one
neuron's layer has no word of two spikes. `applicable` says which bins a
design has, so coverage is reported as hit / applicable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from model.snn.config import SnnConfig


@dataclass(frozen=True)
class CoverPoint:
    """An RTL bin: counted in cycles where the Verilog ``expression`` (over the DUT's signals) is true, by one or by
    the Verilog ``amount`` (then in 64 bits), which may read wires and registers the wrapper makes from
    ``declarations`` (Verilog lines)."""

    name: str
    expression: str
    signals: tuple[str, ...]
    amount: str | None = None
    declarations: tuple[str, ...] = ()


# a step without input events passed on without a sweep: only in designs that skip them
SKIPPED_STEP = "step without input events not swept"
# the skid register of the event buffer feeding a layer in use: only back-pressure fills it
SKID = "input skid register in use"

# name: (expression over placeholders for the layer's signals, '.' written '_'; the signals)
RTL_POINTS = {
    "forward membrane": ("{v_fwd} & ({s1_ev} | {s1_sw})", ("v_fwd", "s1_ev", "s1_sw")),
    "forward counter": ("{c_fwd} & {s1_sw}", ("c_fwd", "s1_sw")),
    "forward counter at push": ("{f_fwd} & {s2_sw}", ("f_fwd", "s2_sw")),
    "read in its write-back cycle": ("{v_wr__en} & ({ev_issue} | {sw_start} | {sweeping}) & ({v_wr__addr} == {v_rd__addr})",
                                     ("v_wr__en", "ev_issue", "sw_start", "sweeping", "v_wr__addr", "v_rd__addr")),
    "read of a cleared group": ("({s1_ev} | {s1_sw}) & ({s1_g} >= {v_front})", ("s1_ev", "s1_sw", "s1_g", "v_front")),
    "sweep held by the FIFO": ("{marker} & ~{sweeping} & ~{can_sweep}", ("marker", "sweeping", "can_sweep")),
    "fire FIFO full": ("{fifo_level} == {depth}", ("fifo.level",)),
    "word of 2+ spikes": ("{serialiser_rest} != 0", ("serialiser.rest",)),
    SKID: ("{skid_valid}", ("skid_valid",)),
    SKIPPED_STEP: ("{sw_skip}", ("sw_skip",)),
}
# the same for a ramp layer (`hw.ramp_layer.RampLayer`): events write its slopes, sweeps its membranes,
# firing sweeps its counters
RAMP_POINTS = {
    "forward slope": ("{s_fwd} & {s1_ev}", ("s_fwd", "s1_ev")),
    "forward membrane": ("{v_fwd} & ({s1_sw} | {s1_fire})", ("v_fwd", "s1_sw", "s1_fire")),
    "forward counter": ("{c_fwd} & {s1_fire}", ("c_fwd", "s1_fire")),
    "forward counter at push": ("{f_fwd} & {s2_fire}", ("f_fwd", "s2_fire")),
    "read in its write-back cycle": ("{s_wr__en} & {ev_issue} & ({s_wr__addr} == {s_rd__addr})",
                                     ("s_wr__en", "ev_issue", "s_wr__addr", "s_rd__addr")),
    "read of a cleared group": ("{s1_ev} & ({s1_g} >= {s_front})", ("s1_ev", "s1_g", "s_front")),
    "firing step held by the FIFO": ("{firing} & ~{sweeping} & ~{can_sweep}", ("firing", "sweeping", "can_sweep")),
    **{k: RTL_POINTS[k] for k in ("fire FIFO full", "word of 2+ spikes", SKID)},
}


def points_of(config: SnnConfig) -> dict:
    """The RTL bins of ``config``'s layers: `RAMP_POINTS` for ramp layers, else `RTL_POINTS`."""
    return RAMP_POINTS if config.neuron == "ramp" else RTL_POINTS



def signal(layer: int | None, name: str) -> str:
    """The Verilog reference from the wrapper to signal ``name`` of LIF layer ``layer`` of a generator (an
    escaped identifier), or of a LIF layer that is the design itself (``layer`` None)."""
    if layer is None:
        return f"dut.\\{name} " if "." in name else f"dut.{name}"
    return f"dut.\\layer{layer}.{name} "


def rtl_points(config: SnnConfig, standalone: bool = False) -> list[CoverPoint]:
    """Every RTL bin of ``config``'s generator, layer by layer (``skid_valid``: the buffer feeding the layer);
    ``standalone``: of a one-layer ``config`` whose LIF layer is the design (no buffer, no skid bin)."""
    from hw.lif import fire_fifo_depth

    points, kinds = [], points_of(config)
    for l in range(1, config.layers + 1):
        where = None if standalone else l
        names = {s.replace(".", "_"): signal(where, s) for _, sigs in kinds.values() for s in sigs}
        names["skid_valid"] = f"dut.\\buffer{l - 1}.skid_valid "  # the event buffer feeding the layer
        names["depth"] = str(fire_fifo_depth(config.groups(l)))
        if config.driven(l):  # no input spikes: the event path is constant and folded away
            names |= {"ev_issue": "1'b0", "s1_ev": "1'b0", "marker": signal(where, "xbar.issue_valid"),
                      "v_rd__addr": f"({signal(where, 'sweeping')} ? {signal(where, 'sw_g')} : 0)"}
        for key, (expr, sigs) in kinds.items():
            if (standalone and key == SKID) or not _has_point(config, key):
                continue
            if config.groups(l) == 1:  # one word: no address signals, every read is of group 0
                expr, sigs = _SAME_ADDRESS.sub("1'b1", expr), tuple(s for s in sigs if "addr" not in s)
            used = tuple(ref for s in sigs for ref in signals_in(names[s.replace(".", "_")]))
            points.append(CoverPoint(f"L{l} {key}", expr.format(**names), used))
    return points


def buffer_points() -> list[CoverPoint]:
    """The RTL bin of an event buffer that is the design itself (`hw.events.EventBuffer`): `SKID`."""
    expression, _ = RTL_POINTS[SKID]
    skid_valid = signal(None, "skid_valid")
    return [CoverPoint(SKID, expression.format(skid_valid=skid_valid), (skid_valid,))]


_SAME_ADDRESS = re.compile(r"\(\{(\w)_wr__addr\} == \{\1_rd__addr\}\)")
_REFERENCE = re.compile(r"dut\.\\\S+ |dut\.\w+")  # the DUT signals an expression of `signal` references reads


def signals_in(expression: str) -> tuple[str, ...]:
    """The DUT signals (`signal` references) a Verilog expression reads."""
    return tuple(_REFERENCE.findall(expression))


def _has_point(config: SnnConfig, key: str) -> bool:
    """Whether ``config``'s LIF layers have the RTL bin ``key`` at all (`SKIPPED_STEP`: only where they skip)."""
    return key != SKIPPED_STEP or config.sweeps_event_steps_only


def counter_name(point: CoverPoint, prefix: str = "cover") -> str:
    """The wrapper's counter of ``point``: a Verilog identifier (``prefix``: ``activity`` for `verify.activity`'s)."""
    return f"{prefix}_" + "".join(ch if ch.isalnum() else "_" for ch in point.name)


@dataclass(frozen=True)
class Reach:
    """Per neuron of one layer, whether saturation can happen at all (`reach`): a sound bound, so a bin it
    rules out is logic this network never uses, not a gap in the vectors."""

    weight_high: np.ndarray
    weight_low: np.ndarray
    bias_high: np.ndarray
    bias_low: np.ndarray


def reach(net, layer: int) -> Reach:
    """Bounds on the membranes of ``layer`` over the ``T`` steps, every input spiking whenever it helps.

    With ``S+`` / ``S-`` a neuron's summed positive / negative weights, ``B``
    its bias and ``theta`` its threshold, the membrane before a step lies in
    ``[L, U]`` with ``U' = max(theta - 1, U + S+ + B - theta)`` (it stays
    below ``theta`` or fired and was reduced by it; reset to zero keeps
    ``theta - 1``) and ``L' = min(0, L + S- + B)`` (reset to the floor:
    ``L = lo`` once it may fire); a leak only shrinks the magnitude. Direct
    coding's layer 1 adds no weights, and its bias, the current, lies within
    ``B + 2^R S-`` .. ``B + 2^R S+``. An
    addition can saturate high only where ``U + S+ > hi``, and so on; the
    bias bins look at the steps before the last, as `semantic_bins` does.
    """
    c = net.config
    w, b, th = np.asarray(net.weights[layer - 1]), np.asarray(net.biases[layer - 1]), int(net.thresholds[layer - 1])
    lo, hi = c.membrane_range
    s_pos, s_neg = np.maximum(w, 0).sum(axis=1), np.minimum(w, 0).sum(axis=1)
    b_high, b_low = b, b
    if c.driven(layer):  # no weight additions; the bias is the current B + W X, X in 0 .. 2^R
        b_high, b_low = b + (s_pos << c.input_bits), b + (s_neg << c.input_bits)
        s_pos, s_neg = np.zeros_like(s_pos), np.zeros_like(s_neg)
    upper, lower = np.zeros(len(b), dtype=object), np.zeros(len(b), dtype=object)
    out = [np.zeros(len(b), dtype=bool) for _ in range(4)]
    for t in range(c.timesteps):
        top, bottom = upper + s_pos, lower + s_neg
        out[0] |= top > hi
        out[1] |= bottom < lo
        if t < c.timesteps - 1:
            out[2] |= (top + b_high > hi) & (b_high > 0)
            out[3] |= (bottom + b_low < lo) & (b_low < 0)
        top, bottom = np.minimum(top, hi) + b_high, np.maximum(bottom, lo) + b_low
        fires = top >= th
        upper = np.maximum(th - 1, np.where(fires & (c.reset == "subtract"), np.minimum(top, hi) - th, th - 1))
        lower = np.minimum(0, np.maximum(bottom, lo))
        if c.reset == "floor":
            lower = np.where(fires, lo, lower)
    return Reach(*out)


# the RTL bins that exist only in layers of at most this many words (a group must follow itself closely)
MAX_GROUPS = {"forward membrane": 1, "forward counter at push": 1, "forward counter": 2, "read in its write-back cycle": 2,
              "forward slope": 1}


# a ramp neuron's membrane at the end of its integrating window (docs/exact-ttfs-semantics.md): exactly at
# the falling threshold of a firing step, one below it, above theta (it fires at step 0), below zero
RAMP_BINS = ("at a step's threshold", "one below a step's threshold", "above theta", "negative")


def ramp_bins_of(v, theta: int, timesteps: int) -> dict[str, np.ndarray]:
    """Which membranes ``v`` (any shape) fall in each of `RAMP_BINS`."""
    r = theta // timesteps
    return {RAMP_BINS[0]: (v % r == 0) & (v >= r) & (v <= theta),
            RAMP_BINS[1]: (v % r == r - 1) & (v >= r - 1) & (v < theta),
            RAMP_BINS[2]: v > theta, RAMP_BINS[3]: v < 0}


def ramp_applicable(net) -> list[str]:
    """The ramp bins within reach: the membrane lies in ``B + T S-`` .. ``B + T S+``."""
    c, out = net.config, []
    for l in range(1, c.layers + 1):
        w, b, th = np.asarray(net.weights[l - 1]), np.asarray(net.biases[l - 1]), int(net.thresholds[l - 1])
        top = b + c.timesteps * np.maximum(w, 0).sum(axis=1)
        bottom = b + c.timesteps * np.minimum(w, 0).sum(axis=1)
        r, lanes = th // c.timesteps, np.arange(c.sizes[l]) % c.lanes
        reachable = {RAMP_BINS[0]: top >= r, RAMP_BINS[1]: (top >= r - 1) & (bottom < th),
                     RAMP_BINS[2]: top > th, RAMP_BINS[3]: bottom < 0}
        out += [f"L{l} lane {p} {what}" for p in range(min(c.lanes, c.sizes[l]))
                for what in RAMP_BINS if reachable[what][lanes == p].any()]
    return out


def semantic_applicable(net) -> list[str]:
    """The semantic bins ``net`` (an `IntNetwork`) can reach (`reach`): the bias saturates upwards only with
    reset by subtraction (elsewhere the neuron fires and the saturated value is never used); `ramp_applicable`
    for a ramp network."""
    if net.config.neuron == "ramp":
        return ramp_applicable(net)
    config, out = net.config, []
    for l in range(1, config.layers + 1):
        n, r = config.sizes[l], reach(net, l)
        lanes = np.arange(n) % config.lanes
        for p in range(min(config.lanes, n)):
            out += [f"L{l} lane {p} at threshold", f"L{l} lane {p} one below threshold"]
            out += [f"L{l} lane {p} bias saturates low"] if r.bias_low[lanes == p].any() else []
            if r.bias_high[lanes == p].any() and config.reset == "subtract":
                out.append(f"L{l} lane {p} bias saturates high")
            out += [f"L{l} lane {p} weight saturates high"] if r.weight_high[lanes == p].any() else []
            out += [f"L{l} lane {p} weight saturates low"] if r.weight_low[lanes == p].any() else []
    return out


def output_fifo_can_fill(config: SnnConfig) -> bool:
    """Whether the output layer's fire FIFO can ever be full. Its consumer is always ready, so its serialiser
    takes a word at least every ``P + 1`` cycles; a sweep starts with at most ``G`` words in the FIFO and
    pushes at most ``G + IN_FLIGHT`` more, one per cycle, into a FIFO of ``2 G + IN_FLIGHT``: it fills only
    if not one word leaves meanwhile, which needs ``G + IN_FLIGHT < P + 1``."""
    from hw.lif import IN_FLIGHT

    return config.groups(config.layers) + IN_FLIGHT < config.lanes + 1


def rtl_applicable(config: SnnConfig) -> list[str]:
    """The RTL bins ``config``'s generator has (`MAX_GROUPS`; a layer of one neuron per word has no 2-spike word;
    `output_fifo_can_fill`)."""
    out = []
    for l in range(1, config.layers + 1):
        g, n = config.groups(l), config.sizes[l]
        out += [f"L{l} {key}" for key in points_of(config) if g <= MAX_GROUPS.get(key, g)
                and not (key == "word of 2+ spikes" and min(config.lanes, n) < 2)
                and not (key == "fire FIFO full" and l == config.layers and not output_fifo_can_fill(config))
                and _has_point(config, key)]
    return out


def applicable(net) -> list[str]:
    """Every bin the design of ``net`` has and can reach: `semantic_applicable`, then `rtl_applicable`."""
    return semantic_applicable(net) + rtl_applicable(net.config)


def semantic_bins(net, traces) -> set[str]:
    """The semantic bins hit by the golden run of ``net`` (an `IntNetwork`) whose ``GoldenResult.traces`` are
    ``traces`` (one image or a batch)."""
    config, hit = net.config, set()
    for l in range(1, config.layers + 1):
        tr, th = traces[l], int(net.thresholds[l - 1])
        lanes = np.arange(config.sizes[l]) % config.lanes
        if config.neuron == "ramp":  # the membrane at the end of the integrating window
            for what, at in ramp_bins_of(tr.membranes[..., -1, :], th, config.timesteps).items():
                hit |= {f"L{l} lane {p} {what}" for p in np.unique(lanes[at.reshape(-1, len(lanes)).any(axis=0)])}
            continue
        for what, value in (("at threshold", th), ("one below threshold", th - 1)):
            at = (tr.biased == value).any(axis=tuple(range(tr.biased.ndim - 1)))
            hit |= {f"L{l} lane {p} {what}" for p in np.unique(lanes[at])}
        for what, flags in (("weight saturates high", tr.integrated_high), ("weight saturates low", tr.integrated_low),
                            # the bias: the saturated membrane shows only in a later step
                            ("bias saturates high", tr.biased_high[..., :-1, :]),
                            ("bias saturates low", tr.biased_low[..., :-1, :])):
            at = flags.any(axis=tuple(range(flags.ndim - 1)))
            hit |= {f"L{l} lane {p} {what}" for p in np.unique(lanes[at])}
    return hit


def rtl_bins(counts: dict[str, int]) -> set[str]:
    """The RTL bins hit, from the wrapper's counters (``{point name: cycles}``)."""
    return {name for name, n in counts.items() if n > 0}


def per_image(traces, i: int) -> list:
    """Image ``i``'s traces of a batched golden run."""
    return [None if tr is None else tr.map(lambda x: x[i]) for tr in traces]


def candidate_noise(n_inputs: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` noise vectors of many densities: silent, saturated, sparse, dense and uniform inputs."""
    u = rng.random((count, n_inputs))
    scale = rng.uniform(0.0, 1.0, (count, 1))
    kind = np.arange(count) % 4
    out = np.where(kind[:, None] == 1, u * scale, np.where(kind[:, None] == 2, 1 - u * scale, u))
    out[0], out[1 % count] = 0.0, 1.0
    return out


def directed_noise(net, count: int, seed: int, candidates: int = 256) -> np.ndarray:
    """``count`` noise vectors chosen greedily among ``candidates`` for the most semantic bins of ``net``:
    each adds the most bins not yet hit (the golden model runs all candidates at once)."""
    from model.snn.golden import encode_noise, run_noise

    c = net.config
    rng = np.random.default_rng(seed)
    pool = candidate_noise(c.sizes[0], max(candidates, count), rng)
    gold = run_noise(net, encode_noise(pool, c), record_membranes=True)
    bins = [semantic_bins(net, per_image(gold.traces, i)) for i in range(len(pool))]
    chosen, hit = [], set()
    for _ in range(count):
        gains = [len(b - hit) if i not in chosen else -1 for i, b in enumerate(bins)]
        best = int(np.argmax(gains))
        chosen.append(best)
        hit |= bins[best]
    return pool[chosen]


def design_coverage(net, traces, counters: dict) -> dict:
    """The bins of ``net``'s design hit by a golden run (its ``GoldenResult.traces``) and by the RTL run of the
    same vectors that counted ``counters``: hit / applicable, split by kind, the bins missed, and every bin hit
    (``bins``, applicable or not)."""
    kinds = {"semantic": semantic_applicable(net), "rtl": rtl_applicable(net.config)}
    wanted = set(kinds["semantic"] + kinds["rtl"])
    bins = semantic_bins(net, traces) | rtl_bins(counters)
    hit = bins & wanted
    return {"hit": len(hit), "applicable": len(wanted), "missed": sorted(wanted - hit), "bins": sorted(bins),
            "by_kind": {k: [len(hit & set(v)), len(v)] for k, v in kinds.items()}}


def counter_names(points, prefix: str = "cover") -> dict[str, str]:
    """``{wrapper counter: bin name}`` of ``points``: what a testbench reads back (`verify.tb.plan.read_coverage`,
    `read_activity`)."""
    return {counter_name(p, prefix): p.name for p in points}


def coverage_line(cov: dict) -> str:
    """One Markdown sentence of a `design_coverage` result."""
    s, r = cov["by_kind"]["semantic"], cov["by_kind"]["rtl"]
    missed = cov["missed"]
    tail = f"; missed: {', '.join(missed[:12])}{' ...' if len(missed) > 12 else ''}" if missed else ""
    return (f"coverage (`verify.coverage`): {cov['hit']} of the {cov['applicable']} bins this design can reach "
            f"({s[0]}/{s[1]} of the semantics, {r[0]}/{r[1]} of the RTL){tail}")
