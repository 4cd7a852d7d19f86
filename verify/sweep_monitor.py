"""The sweep monitor: every membrane a LIF layer of the generator writes back at the end of a time step.

The simulation wrapper (`verify.wrapper`) writes one line per sweep
write-back of each layer, ``layer cycle group word`` (``cycle`` counted from
the last ``start``, ``word`` the group's ``P`` membranes in hex), to the file
named by the plusarg ``+sweeps=<file>``, and flushes it when ``done`` rises.
From it the generator's testbench checks every neuron's membrane after every
step against the golden model's trace, so a fault that changes a membrane
shows even when no spike has changed yet, and reads the cycle in which each
layer finished each step's sweep: the pipeline's timing, which the outputs
do not show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.snn.config import SnnConfig
from model.snn.layout import unpack_lanes
from verify.coverage import signal
from verify.perf import swept_steps

PLUSARG = "sweeps"


@dataclass(frozen=True)
class SweepProbe:
    """Where layer ``layer``'s sweep write-back is seen: its enable, group address and membrane word (Verilog)."""

    layer: int
    enable: str
    group: str
    word: str

    @property
    def signals(self) -> tuple[str, ...]:
        """The DUT signals the probe names."""
        return tuple(re.findall(r"dut\.\\\S+ ", f"{self.enable} {self.group} {self.word}"))


def sweep_probes(config: SnnConfig) -> tuple[SweepProbe, ...]:
    """One probe per LIF layer of ``config``'s generator: the execute stage's sweep flag and group, and the
    membrane write port's data (Yosys names it per lane when ``P > 1``: lane ``P - 1`` first, as the word)."""
    def word(l: int) -> str:
        if config.lanes == 1:
            return signal(l, "v_wr__data")
        return "{" + ", ".join(signal(l, f"v_wr__data[{p}]") for p in reversed(range(config.lanes))) + "}"

    return tuple(SweepProbe(l, signal(l, "s2_sw"), signal(l, "s2_g"), word(l)) for l in range(1, config.layers + 1))


def wrapper_lines(probes) -> list[str]:
    """The wrapper's Verilog that writes the probes' lines to the ``+sweeps=`` file (nothing without the plusarg)."""
    if not probes:
        return []
    lines = [
        "    integer sweep_fd = 0;",
        "    reg [8*1024-1:0] sweep_file;",
        "    reg [31:0] sweep_cycle = 32'd0;",
        f'    initial if ($value$plusargs("{PLUSARG}=%s", sweep_file)) sweep_fd = $fopen(sweep_file, "w");',
        "    always @(posedge clk) sweep_cycle <= start ? 32'd0 : sweep_cycle + 32'd1;",
        "    always @(posedge done) if (sweep_fd != 0) $fflush(sweep_fd);",
    ]
    for p in probes:
        lines.append(f"    always @(posedge clk) if (sweep_fd != 0 && !rst && {p.enable}) "
                     f'$fwrite(sweep_fd, "{p.layer} %0d %0d %h\\n", sweep_cycle, {p.group}, {p.word});')
    return lines


class SweepLog:
    """Reads the monitor's file image by image (the lines written since the last read)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offset = 0

    def read_image(self, layers: int) -> dict[int, list[tuple[int, int, int]]]:
        """Per layer ``1..layers`` its (cycle, group, word) write-backs since the last call, in order (word None:
        it had unknown bits)."""
        with open(self.path) as f:
            f.seek(self.offset)
            text = f.read()
        complete = text[: text.rfind("\n") + 1]
        self.offset += len(complete)
        rows: dict[int, list[tuple[int, int, int]]] = {l: [] for l in range(1, layers + 1)}
        for line in complete.splitlines():
            layer, cycle, group, word = line.split()
            known = all(c in "0123456789abcdef" for c in word)  # Icarus writes x or z for unknown bits
            rows.setdefault(int(layer), []).append((int(cycle), int(group), int(word, 16) if known else None))
        return rows


def check_sweeps(config: SnnConfig, expected, rows: dict) -> tuple[str | None, dict[int, list[int]]]:
    """The first disagreement of the sweeps ``rows`` (`SweepLog.read_image`) with the golden model's run
    ``expected`` (a `model.snn.golden.GoldenResult` with membranes; None: none), and per layer the cycle in
    which each swept step's sweep wrote its last group. A layer sweeps at the steps of `swept_steps`."""
    P, mb = config.lanes, config.membrane_bits
    ends: dict[int, list[int]] = {}
    for l in range(1, config.layers + 1):
        G, n, got = config.groups(l), config.sizes[l], rows.get(l, [])
        steps = np.flatnonzero(swept_steps(config, expected.spikes[l - 1]))
        S = len(steps)
        ends[l] = [cycle for cycle, group, _ in got[G - 1 :: G]]
        if len(got) != S * G:
            return f"layer {l} swept {len(got)} groups in the image, not S x G = {S} x {G} = {S * G} ({S} swept steps)", ends
        order = [group for _, group, _ in got]
        if order != list(range(G)) * S:
            k = next(k for k, g in enumerate(order) if g != k % G)
            return f"layer {l}'s sweep of step {steps[k // G]} wrote group {order[k]} where group {k % G} was due", ends
        unknown = [k for k, (_, _, word) in enumerate(got) if word is None]
        if unknown:
            k = unknown[0]
            return f"layer {l}'s sweep of step {steps[k // G]} wrote unknown (x/z) bits in group {k % G}", ends
        lanes = unpack_lanes([word for _, _, word in got], P, mb, signed=True)
        membranes = lanes.reshape(S, G * P)[:, :n]
        want = np.asarray(expected.membranes[l])[steps]
        wrong = np.argwhere(membranes != want)
        if len(wrong):
            k, j = (int(x) for x in wrong[0])
            return (f"layer {l}'s membrane of neuron {j} after step {steps[k]} is {membranes[k, j]} in the RTL, "
                    f"{want[k, j]} in the golden model (spikes may agree: {len(wrong)} membranes "
                    f"differ)"), ends
    return None, ends
