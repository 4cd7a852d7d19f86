"""Functional coverage of the generator: named bins of the semantics (from the golden model) and of the RTL.

Two kinds of bins, both per layer:

* semantic bins (`model.snn.bins`), read from the golden model's trace of the
  vectors that were run (it is bit-exact with the RTL, so what it passed
  through the RTL passed through): per lane, the membrane at and one below the
  threshold, and saturation; a sound bound proves the ones a design cannot reach;
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

from model.snn.bins import semantic_bins, universe
from model.snn.exhaustive import semantic_applicable
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


# the RTL bins that exist only in layers of at most this many words (a group must follow itself closely)
MAX_GROUPS = {"forward membrane": 1, "forward counter at push": 1, "forward counter": 2, "read in its write-back cycle": 2,
              "forward slope": 1}


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


def rtl_bins(counts: dict[str, int]) -> set[str]:
    """The RTL bins hit, from the wrapper's counters (``{point name: cycles}``)."""
    return {name for name, n in counts.items() if n > 0}


def design_coverage(net, traces, counters: dict) -> dict:
    """The bins of ``net``'s design hit by a golden run (its ``GoldenResult.traces``) and by the RTL run of the
    same vectors that counted ``counters``: hit / applicable, split by kind, the bins missed (``semantic_missed``:
    the semantic ones, neither hit nor proven unreachable), the semantic bins proven unreachable
    (`model.snn.exhaustive.semantic_applicable`), and every bin hit (``bins``)."""
    kinds = {"semantic": semantic_applicable(net), "rtl": rtl_applicable(net.config)}
    wanted = set(kinds["semantic"] + kinds["rtl"])
    bins = semantic_bins(net, traces) | rtl_bins(counters)
    hit = bins & wanted
    return {"hit": len(hit), "applicable": len(wanted), "missed": sorted(wanted - hit), "bins": sorted(bins),
            "semantic_missed": sorted(set(kinds["semantic"]) - hit),
            "proven_unreachable": len(universe(net.config)) - len(kinds["semantic"]),
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
            f"({s[0]}/{s[1]} of the semantics, {cov['proven_unreachable']} more proven unreachable; {r[0]}/{r[1]} "
            f"of the RTL){'; the semantics closed' if not cov['semantic_missed'] else ''}{tail}")
