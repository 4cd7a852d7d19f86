"""The testbench kit: its patterns, and its stream source, sink and monitors around an Amaranth ``SyncFIFO`` under
Icarus and Verilator (``verify.tb.stream_fifo``), one build folder per parameter set."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from amaranth import Module
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from hw.build import write_rtl
from verify.blocks import EventBufferCase, LifCase
from verify.coverage import CoverPoint, counter_names
from verify.sim import SIMULATORS, run_testbench
from verify.tb.patterns import Pattern
from verify.wrapper import add_wrapper

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "tb_kit"
DEPTH, ITEMS = 4, 50


def test_patterns_say_yes_as_named():
    assert list(itertools.islice(Pattern("bursts 2 3").cycles(), 7)) == [True, True, False, False, False, True, True]
    assert all(itertools.islice(Pattern("always").cycles(), 100))
    draws = list(itertools.islice(Pattern("random 0.7").cycles("1 events"), 10_000))
    assert draws == list(itertools.islice(Pattern("random 0.7").cycles("1 events"), 10_000))  # seeded
    assert draws != list(itertools.islice(Pattern("random 0.7").cycles("2 events"), 10_000))
    assert abs(sum(draws) / len(draws) - 0.7) < 0.02
    assert [Pattern(s).rate for s in ("always", "random 0.25", "bursts 1 3")] == [1.0, 0.25, 0.25]


@pytest.mark.parametrize("spec", ["", "sometimes", "random", "random 0", "random 1.5", "random x", "bursts 0 2",
                                  "bursts 1", "always 1"])
def test_an_unknown_pattern_is_refused_when_a_case_is_made(spec):
    with pytest.raises(ValueError, match="unknown pattern"):
        Pattern(spec)
    with pytest.raises(ValueError, match="unknown pattern"):
        EventBufferCase(n=4, seed=0, accept=spec)
    with pytest.raises(ValueError, match="unknown pattern"):
        LifCase(n_in=2, n_out=2, lanes=1, weight_bits=4, membrane_bits=8, reset="zero", leak_shift=None, timesteps=2,
                seed=0, offer=spec)


class StreamFifo(wiring.Component):
    """An ``amaranth.lib.fifo.SyncFIFO`` with stream ports ``w`` (in) and ``r`` (out), and its ``level``."""

    def __init__(self, width: int, depth: int):
        self.width, self.depth = width, depth
        super().__init__({"w": In(stream.Signature(width)), "r": Out(stream.Signature(width)),
                          "level": Out(range(depth + 1))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.fifo = fifo = SyncFIFO(width=self.width, depth=self.depth)
        wiring.connect(m, wiring.flipped(self.w), fifo.w_stream)
        wiring.connect(m, fifo.r_stream, wiring.flipped(self.r))
        m.d.comb += self.level.eq(fifo.level)
        return m


def run_fifo(offer: str, accept: str, sim: str) -> dict:
    """``ITEMS`` random bytes through a ``DEPTH``-deep FIFO, offered by ``offer`` and taken by ``accept``."""
    folder = ROOT / f"stream_fifo-d{DEPTH}-o{offer}-a{accept}".replace(" ", "_")
    rtl = write_rtl(StreamFifo(8, DEPTH), "stream_fifo", folder / "rtl")
    full = [CoverPoint("FIFO full", f"dut.level == {DEPTH}", ("dut.level",))]
    rng = random.Random(3)
    items = [rng.randrange(256) for _ in range(ITEMS)]
    plan = {"items": items, "offer": offer, "accept": accept, "seed": 3, "cover": counter_names(full)}
    return run_testbench(sim, add_wrapper(rtl, cover=full), "verify.tb.stream_fifo", plan, folder / sim, optimize=False)


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("offer, accept", [("always", "always"), ("random 0.5", "always"), ("always", "random 0.3"),
                                           ("bursts 2 3", "bursts 1 4")])
def test_the_kit_passes_a_fifo_in_order_and_its_patterns_stall(offer, accept, sim):
    """In order and complete under every pattern; a pause pattern holds the source back, a back-pressure
    pattern stalls the output, and one slower than the source fills the FIFO and stalls the input; with
    neither, one payload a cycle, each out the cycle after it went in."""
    r = run_fifo(offer, accept, sim)
    assert not r["error"], r["error"]
    assert (r["paused"] > 0) == (offer != "always")
    assert (r["output_stalls"] > 0) == (accept != "always")
    fills = Pattern(accept).rate < Pattern(offer).rate
    assert (r["coverage"]["FIFO full"] > 0) == fills and (r["input_stalls"] > 0) == fills
    if offer == accept == "always":
        first = r["in_cycles"][0]
        assert r["in_cycles"] == list(range(first, first + ITEMS))
        assert r["out_cycles"] == [c + 1 for c in r["in_cycles"]]
