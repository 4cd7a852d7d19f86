"""Activity counters: what a design's hardware does per image, counted from its own signals in the simulation
wrapper (as the coverage counters are), and what the golden model says it must be.

A layer of every design issues one slot a cycle (`docs/hardware-architecture.md`); what a slot does depends
on its kind and is fixed by the design's structure (`SLOT_WORK`): an event slot of an exact-TTFS (ramp) layer
reads one weight word and read-modify-writes one slope word, ``P`` additions; an ANN twin's reads a weight word
and an accumulator word, ``P`` multiplications and additions, and writes the accumulator back. The wrapper counts
each layer's slots of each kind and its output FIFO's writes and reads (`activity_points`, counters prefixed
`PREFIX`), the testbench reads them before and after every image, and `slot_check` holds the event slots against
the golden model's input events and the FIFO's reads to its writes. A build made to count registers watches every
flip-flop of the design (`hw.storage`) too: the wrapper sums the register bits that change each cycle
(`register_point`). The energy of an image (`image_energy_pj`) prices the slots' work, each flip-flop's clock every
cycle, each changed bit, and the leakage of every flip-flop and memory bit over the image's cycles
(`model.snn.event_energy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hw.storage import Storage
from model.snn.config import SnnConfig
from verify.coverage import CoverPoint, signal, signals_in

PREFIX = "activity"  # of the wrapper's activity counters (`verify.coverage.counter_name`)
REGISTER_CHANGES = "register bits changed"  # the counter of `register_point`

# The issue signal of each slot kind, per layer kind: ramp (exact TTFS), ann (either twin), lif (the LIF layer of
# the rate-coded, direct-coded and trained TTFS generators).
SLOTS = {
    "ramp": {"event slots": "ev_issue", "integrate slots": "s1_sw", "fire slots": "s1_fire"},
    "ann": {"event slots": "ev_issue", "read-out slots": "s1_sw"},
    "lif": {"event slots": "ev_issue", "sweep slots": "s1_sw"},
}
# Direct coding's input stage (`hw.direct_input`), whose multiply-accumulates make layer 1's current: the
# expression each slot kind is counted by, over the stage's signals.
DIRECT_SLOTS = {"input MAC slots": "{s1_valid}", "current write slots": "{s3_valid} & {s3_last}"}
# Every layer's output FIFO (`hw.lif.fired_output`, the twin's own): a word written per group with something
# to send (and the last of a step or image, with its marker), read once by the serialiser. Counted by the
# FIFO's own signals: its storage's write enable (its ``w_en`` may be folded into the layer's logic), and a
# read taken.
FIFO_ACCESSES = {"FIFO writes": ("w_port__en",), "FIFO reads": ("r_en", "r_rdy")}


@dataclass(frozen=True)
class Access:
    """One kind of work a slot does: ``count`` times an ``op`` (``read``/``write`` of memory ``memory``, or
    ``add``/``multiply``/``compare``) on operands of ``bits`` (a multiply: ``bits`` x ``bits2``)."""

    op: str
    count: str  # "1" (once per slot), "P" (once per lane) or "P bits(T)" (per lane, once per quotient bit)
    bits: str  # a width name of `widths`
    memory: str | None = None
    bits2: str | None = None


W, B, S, C, X, F = "weight word", "bias word", "state word", "count word", "input word", "FIFO word"
FIFO_WORK = {"FIFO writes": (Access("write", "1", F, "FIFO"),), "FIFO reads": (Access("read", "1", F, "FIFO"),)}
SLOT_WORK = {
    **{(kind, what): work for kind in SLOTS for what, work in FIFO_WORK.items()},
    ("ramp", "event slots"): (Access("read", "1", W, "weights"), Access("read", "1", S, "slopes"),
                        Access("write", "1", S, "slopes"), Access("add", "P", "m")),
    ("ramp", "integrate slots"): (Access("read", "1", B, "biases"), Access("read", "1", S, "slopes"),
                            Access("read", "1", S, "membranes"), Access("write", "1", S, "membranes"),
                            Access("add", "P", "m")),
    ("ramp", "fire slots"): (Access("read", "1", S, "membranes"), Access("read", "1", C, "counters"),
                       Access("write", "1", C, "counters"), Access("compare", "P", "m")),
    ("ann", "event slots"): (Access("read", "1", W, "weights"), Access("read", "1", S, "accumulators"),
                       Access("write", "1", S, "accumulators"), Access("multiply", "P", "value", bits2="q"),
                       Access("add", "P", "m")),
    ("ann", "read-out slots"): (Access("read", "1", B, "biases"), Access("read", "1", S, "accumulators"),
                          Access("add", "P", "m"), Access("compare", "P bits(T)", "m"),
                          Access("write", "1", C, "counters")),
    # a saturating addition: the add and the comparison that clamps it
    ("lif", "event slots"): (Access("read", "1", W, "weights"), Access("read", "1", S, "membranes"),
                       Access("write", "1", S, "membranes"), Access("add", "P", "m"), Access("compare", "P", "m")),
    # the bias (or direct coding's current) added, the threshold compared, the reset or leak applied, the counter
    # incremented
    ("lif", "sweep slots"): (Access("read", "1", B, "biases"), Access("read", "1", S, "membranes"),
                       Access("write", "1", S, "membranes"), Access("read", "1", C, "counters"),
                       Access("write", "1", C, "counters"), Access("add", "P", "m"), Access("compare", "P", "m"),
                       Access("add", "P", "m"), Access("add", "P", "count")),
    ("lif", "input MAC slots"): (Access("read", "1", W, "weights"), Access("read", "1", X, "inputs"),
                           Access("multiply", "P", "noise", bits2="q"), Access("add", "P", "m")),
    ("lif", "current write slots"): (Access("write", "1", S, "currents"),),
}


def layer_kind(config: SnnConfig, design: str) -> str:
    """`SLOTS`' key of ``design``'s layers: ``ann`` for a twin, ``ramp`` for an exact-TTFS generator, ``lif`` for
    the others."""
    if design != "snn":
        return "ann"
    return "ramp" if config.neuron == "ramp" else "lif"


def slot_kinds(config: SnnConfig, design: str, l: int) -> dict[str, str]:
    """What the wrapper counts of layer ``l`` of ``design`` and the Verilog expression each is counted by: the
    slots of each kind it issues (`SLOTS`; for direct coding's layer 1, the input stage's, `DIRECT_SLOTS`, in place
    of input events) and its output FIFO's accesses (`FIFO_ACCESSES`)."""
    kind = layer_kind(config, design)
    kinds = {k: signal(l, s) for k, s in SLOTS[kind].items()}
    if kind == "lif" and config.driven(l):
        del kinds["event slots"]
        names = {n: f"dut.\\source.{n} " for n in ("s1_valid", "s3_valid", "s3_last")}
        kinds |= {k: e.format(**names) for k, e in DIRECT_SLOTS.items()}
    return kinds | {k: " & ".join(signal(l, f"fifo.{s}") for s in sigs) for k, sigs in FIFO_ACCESSES.items()}


def point_name(layer: int, what: str) -> str:
    return f"L{layer} {what}"


def activity_points(config: SnnConfig, design: str) -> list[CoverPoint]:
    """The wrapper's counters of ``design`` (`hw.build.DESIGNS`): per layer, the slots of each kind."""
    points = []
    for l in range(1, config.layers + 1):
        for what, expression in slot_kinds(config, design, l).items():
            refs = signals_in(expression)
            points.append(CoverPoint(point_name(l, what), expression, refs))
    return points


def _reference(name: str) -> str:
    """The wrapper's reference to the DUT's signal ``name`` (as `hw.storage` names it)."""
    return f"dut.{name} " if name.startswith("\\") else f"dut.{name}"


def register_point(storage: Storage) -> CoverPoint:
    """The wrapper's sum, over the cycles out of reset, of the register bits that changed at the clock edge before:
    every flip-flop of ``storage`` concatenated and compared with its value a cycle earlier.

    Both simulators must count alike, so nothing unknown may reach the registers: every register, memory array
    and ROM or RAM output starts at zero (Verilator's default; in Icarus they would start unknown until written,
    and so would everything computed from them). A build with this point no longer shows Icarus's unknowns, so
    `verify.system.sim_build` gives it a folder of its own. A read beyond a memory's last word is unknown in Icarus
    and 0 in Verilator (the count read-out's address spans the largest layer), so a register with an unknown bit
    counts as 0."""
    if not storage.registers:
        raise RuntimeError("bug: hw.storage found no registers in the design's Verilog; has Yosys's output changed?")
    refs = tuple(_reference(name) for name, _ in storage.registers)
    n = storage.register_bits
    zeroed = [f"{ref} = {width}'d0;" for ref, (_, width) in zip(refs, storage.registers)]
    zeroed += [f"{_reference(name)}.data = {width}'d0;" for name, _, width in storage.instances]
    zeroed += [f"for ({PREFIX}_word = 0; {PREFIX}_word < {depth}; {PREFIX}_word = {PREFIX}_word + 1) "
               f"{_reference(name)}[{PREFIX}_word] = {width}'d0;" for name, depth, width in storage.arrays]
    # the changed bits get a wire of their own: Icarus 11 miscounts $countones of an expression
    r = f"{PREFIX}_registers"
    known = [f"wire [{w - 1}:0] {r}{k} = (({ref} ^ {ref}) === {w}'d0) ? {ref} : {w}'d0;"
             for k, (ref, (_, w)) in enumerate(zip(refs, storage.registers))]
    declarations = (*known, f"wire [{n - 1}:0] {r} = {{{', '.join(f'{r}{k}' for k in range(len(refs)))}}};",
                    f"reg [{n - 1}:0] {r}_before = {n}'d0;",
                    f"always @(posedge clk) {r}_before <= {r};",
                    f"wire [{n - 1}:0] {r}_changed = {r} ^ {r}_before;",
                    f"integer {PREFIX}_word;", "initial begin", *(f"    {line}" for line in zeroed), "end")
    return CoverPoint(REGISTER_CHANGES, "1'b1", refs, f"$countones({r}_changed)", declarations)


def expected_event_slots(config: SnnConfig, design: str, spikes) -> list[int | None]:
    """Per layer, the event slots the golden model's spike trains ``spikes`` imply: ``G_l`` per input event, the
    input spikes (the non-zero activations), or for the dense twin every input; None for a layer driven by a
    current (direct coding's layer 1, whose input stage makes ``N_0 G_1`` multiply-accumulate slots instead)."""
    return [None if design == "snn" and config.driven(l) else
            config.groups(l) * (config.sizes[l - 1] if design == "ann-dense" else int(np.asarray(spikes[l - 1]).sum()))
            for l in range(1, config.layers + 1)]


def slot_check(config: SnnConfig, design: str, spikes, counts: dict[str, int]) -> str | None:
    """Where the counted event slots of an image (or a direct input's multiply-accumulates) differ from what the
    golden model implies (`expected_event_slots`), or a layer's output FIFO did not give back every word written
    to it, in words; None if nowhere."""
    for l, want in enumerate(expected_event_slots(config, design, spikes), start=1):
        what, want = ("event slots", want) if want is not None else ("input MAC slots", config.sizes[0] * config.groups(1))
        got = counts.get(point_name(l, what))
        if got != want:
            return f"layer {l}: {got} {what} counted, the golden model implies {want}"
        written, read = (counts.get(point_name(l, k)) for k in FIFO_ACCESSES)
        if written != read:
            return f"layer {l}: {written} words written to its output FIFO, {read} read from it"
    return None


COMPONENTS = ("weight memory", "state memory", "event FIFOs", "arithmetic", "registers", "leakage")
_MEMORY_COMPONENT = {"weights": "weight memory", "biases": "weight memory", "inputs": "weight memory",
                     "FIFO": "event FIFOs"}


def _words(config: SnnConfig, design: str, l: int) -> dict[str, tuple[int, int]]:
    """(depth, width) of each memory word kind of layer ``l`` of ``design`` (an input word: one vector's worth of
    inputs; a FIFO word: a group's bits, its values in the twin, as `hw.lif.fired_output` and `hw.ann_layer`)."""
    from hw.ann_layer import read_out_fifo_depth, value_bits
    from hw.events import group_layout
    from hw.lif import fire_fifo_depth

    c, g = config, config.groups(l)
    ann = design != "snn"
    fifo = (read_out_fifo_depth(g) if ann else fire_fifo_depth(g),
            group_layout(c.sizes[l], c.lanes, value_bits(c.timesteps) if ann else 0).size)
    return {W: (c.sizes[l - 1] * g, c.lanes * c.weight_bits), B: (g, c.bias_word_bits),
            S: (g, c.lanes * c.membrane_bits), C: (g, c.lanes * c.count_bits), X: (c.sizes[0], c.noise_bits), F: fifo}


def _times(access: Access, config: SnnConfig) -> int:
    return {"1": 1, "P": config.lanes, "P bits(T)": config.lanes * config.timesteps.bit_length()}[access.count]


def access_pj(access: Access, config: SnnConfig, design: str, l: int) -> float:
    """The energy of ``access`` in one slot of layer ``l`` of ``design`` (`model.snn.event_energy`), all its
    repeats."""
    from model.snn.event_energy import add_pj, multiply_pj, sram_pj

    bits = {"m": config.membrane_bits, "q": config.weight_bits, "value": config.timesteps.bit_length(),
            "noise": config.noise_bits, "count": config.count_bits}
    if access.op in ("read", "write"):
        one = sram_pj(*_words(config, design, l)[access.bits])
    elif access.op == "multiply":
        one = multiply_pj(bits[access.bits], bits[access.bits2])
    else:
        one = add_pj(bits[access.bits])
    return one * _times(access, config)


def image_energy_pj(config: SnnConfig, design: str, counts: dict[str, float], cycles: float,
                    totals: dict[str, int]) -> dict[str, float]:
    """Energy of one image (pJ) by component (`COMPONENTS`): its slot ``counts`` (`activity_points`) priced by what
    each slot does; its registers, every flip-flop's clock in each of the ``cycles`` and every changed bit
    (`REGISTER_CHANGES`, counted by a build with ``registers``, `verify.system.sim_build`); the leakage of the
    design's flip-flops and memory bits (``totals``, `hw.storage.Storage.totals`) over those cycles."""
    from model.snn.event_energy import leakage_pj, register_pj

    if REGISTER_CHANGES not in counts:
        raise RuntimeError("bug: these counts have no changed register bits: build with sim_build(..., registers=True)")
    kind = layer_kind(config, design)
    out = dict.fromkeys(COMPONENTS, 0.0)
    for l in range(1, config.layers + 1):
        for slot in slot_kinds(config, design, l):
            n = counts[point_name(l, slot)]
            for access in SLOT_WORK[(kind, slot)]:
                part = (_MEMORY_COMPONENT.get(access.memory, "state memory") if access.memory else "arithmetic")
                out[part] += n * access_pj(access, config, design, l)
    out["registers"] = register_pj(totals["register_bits"], cycles, counts[REGISTER_CHANGES])
    out["leakage"] = leakage_pj(totals["register_bits"], totals["memory_bits"], cycles)
    return out
