"""Formal proofs of the blocks (`verify.formal`): every proof holds to its quick bound with its covers reached,
blocks broken on purpose are caught, and a missing tool is named."""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
from types import SimpleNamespace

import pytest
from amaranth import Module, Mux, Signal

from hw.ann_layer import AnnLayer
from hw import lif
from hw.events import EventBuffer, EventSerialiser
from hw.lif import LifLayer, fired_output
from hw.ramp_layer import RampLayer
from model.common.errors import UserError
from verify.formal import proofs
from verify.formal.cli import formal
from verify.formal.proofs import PROOFS, EventBufferProof, LayerProof, LifLayerProof, SerialiserProof
from verify.formal.sby import check_tools, run_proof

SMALL_BOUND = 8  # long enough for a broken block to fail


@pytest.mark.slow
def test_every_proof_holds_to_its_quick_bound(tmp_path):
    report = formal(tmp_path, quick=True)
    assert [(r["name"], r["depth"]) for r in report["proofs"]] == [(p.name, p.quick) for p in PROOFS]
    assert report["passed"] and all(r["bmc"] and r["cover"] for r in report["proofs"])
    assert json.loads((tmp_path / "formal.json").read_text())["passed"]
    assert "| event buffer, 100 inputs | 8 | yes | yes |" in (tmp_path / "formal.md").read_text()


def test_one_bound_at_a_time(tmp_path):
    with pytest.raises(UserError, match="give one of them"):
        formal(tmp_path, bound=4, quick=True)


class OverwritingBuffer(EventBuffer):
    """A register slice that takes every event, stalled output or not: a stalled event is overwritten."""

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.i.ready.eq(1)
        m.d.sync += [self.o.valid.eq(self.i.valid), self.o.payload.eq(self.i.payload)]
        return m


@pytest.mark.slow
def test_a_buffer_that_overwrites_a_stalled_event_fails(tmp_path):
    result = run_proof("overwriting buffer", EventBufferProof(4, buffer=OverwritingBuffer), SMALL_BOUND, tmp_path)
    assert not result["bmc"] and not result["passed"]


class DescendingSerialiser(EventSerialiser):
    """Takes every word and sends neurons 3, 2, 1, 0, 3, ... with no marker: descending within a step."""

    def elaborate(self, platform):
        m = Module()
        down = Signal(2, init=3)
        m.d.comb += [self.i.ready.eq(1), self.o.valid.eq(1), self.o.payload.index.eq(down)]
        with m.If(self.o.ready):
            m.d.sync += down.eq(down - 1)
        return m


@pytest.mark.slow
def test_a_serialiser_that_sends_descending_events_fails(tmp_path):
    result = run_proof("descending", SerialiserProof(16, 4, serialiser=DescendingSerialiser), SMALL_BOUND, tmp_path)
    assert not result["bmc"]


class TwiceFiringLayer(RampLayer):
    """Pushes neuron 0's group into its output FIFO whenever there is room: it fires again and again in one
    image."""

    def elaborate(self, platform):
        m = Module()
        fifo = fired_output(m, self.params, self.spikes)
        m.d.comb += [self.events.ready.eq(1), fifo.w_data.eq(1), fifo.w_en.eq(fifo.w_rdy)]
        return m


@pytest.mark.slow
def test_a_ramp_layer_that_fires_a_neuron_twice_fails(tmp_path):
    result = run_proof("twice", LayerProof(layer=TwiceFiringLayer), SMALL_BOUND, tmp_path)
    assert not result["bmc"]
    where = int(result["failure"].split("proofs.py:")[1].split()[0])
    assert "a neuron sent twice" in inspect.getsource(proofs).splitlines()[where - 1]


def _failed_line(result) -> str:
    """The source line of `verify.formal.proofs` whose assertion failed."""
    where = int(result["failure"].split("proofs.py:")[1].split()[0])
    return inspect.getsource(proofs).splitlines()[where - 1]


class ZeroResetLif(LifLayer):
    """Resets a fired neuron to 0 instead of the floor: a TTFS neuron can fire again in the same image."""

    def _execute(self, m, s2):
        fire, integrated, swept = super()._execute(m, s2)
        return fire, integrated, [Mux(fire[lane], 0, v) for lane, v in enumerate(swept)]


@pytest.mark.slow
def test_a_lif_layer_that_resets_a_ttfs_neuron_to_zero_fails(tmp_path):
    """Its neuron fires again: the second event breaks both the reference and the at-most-once assertion."""
    result = run_proof("zero reset", LifLayerProof("ttfs", layer=ZeroResetLif), 24, tmp_path)
    assert not result["bmc"]
    assert "a TTFS neuron sent twice" in _failed_line(result) or "the reference" in _failed_line(result)


class StaleReadLif(LifLayer):
    """Takes a group's membranes from memory even where the group is being written back that cycle: no
    forwarding from the write-back into the register stage."""

    def _register(self, m, s1, xbar, bias, mem):
        s2 = SimpleNamespace(ev=Signal(), sw=Signal(), last=Signal(), g=Signal.like(s1.g),
                             v=Signal(self.params.membrane_layout), c=Signal(self.params.counter_layout),
                             w=Signal.like(xbar.weights), b=Signal(self.params.config.bias_word_bits))
        m.d.sync += [s2.ev.eq(s1.ev), s2.sw.eq(s1.sw), s2.last.eq(s1.last), s2.g.eq(s1.g),
                     s2.w.eq(xbar.weights), s2.b.eq(bias.data),
                     s2.v.eq(Mux(s1.g < mem.v_front, mem.v_rd.data, 0)),
                     s2.c.eq(Mux(s1.g < mem.c_front, mem.c_rd.data, 0))]
        return s2


@pytest.mark.slow
@pytest.mark.parametrize("coding", ["ttfs", "bernoulli"])
def test_a_lif_layer_without_forwarding_fails_against_the_reference(tmp_path, coding):
    """One group (``P = 3``): a group is issued again the cycle after it was, before its write-back."""
    result = run_proof("stale read", LifLayerProof(coding, lanes=3, layer=StaleReadLif), 16, tmp_path)
    assert not result["bmc"] and "the reference" in _failed_line(result)


class HigherThresholdLif(LifLayer):
    """Fires one above the threshold it is given."""

    def __init__(self, params):
        super().__init__(dataclasses.replace(params, threshold=params.threshold + 1))


@pytest.mark.slow
def test_a_lif_layer_one_above_its_threshold_fails_against_the_reference(tmp_path):
    result = run_proof("threshold", LifLayerProof("bernoulli", layer=HigherThresholdLif), 16, tmp_path)
    assert not result["bmc"] and "the reference" in _failed_line(result)


@pytest.mark.slow
def test_a_lif_layer_with_too_small_a_fire_fifo_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(lif, "fire_fifo_depth", lambda groups: groups)  # no room for the pushes in flight
    result = run_proof("small fifo", LifLayerProof("bernoulli"), 24, tmp_path)
    assert not result["bmc"] and "written into a full FIFO" in _failed_line(result)


@pytest.mark.slow
@pytest.mark.parametrize("design, dense, breaks", [("ann-dense", False, "marker before every neuron"),
                                                   ("ann-skip", True, "a zero activation sent")])
def test_the_twins_layer_in_the_other_variants_harness_fails(tmp_path, design, dense, breaks):
    """The zero-skipping layer in the dense one's harness, and the other way round, each break that variant's
    own assertion."""
    result = run_proof(design, LayerProof(design, layer=lambda params: AnnLayer(params, dense)), 24, tmp_path)
    where = int(result["failure"].split("proofs.py:")[1].split()[0])
    assert breaks in inspect.getsource(proofs).splitlines()[where - 1]


def test_a_missing_solver_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(UserError, match="yowasp-sby is not installed.*make setup"):
        check_tools()
