"""Block-test cases (Spike ROM, direct input, XBAR, LIF layer, ANN layer, event buffer): seeded random contents, one
build folder each.

A case builds its block's Verilog and memory files under
``<root>/<case.name>/rtl`` and returns the plan its cocotb testbench
(``verify.tb.spike_rom``, ``verify.tb.direct_input``, ``verify.tb.xbar``, ``verify.tb.lif``,
``verify.tb.ann_layer``, ``verify.tb.event_buffer``) reads; the
testbench holds the reference model (the golden model) and the checker.
The pause and back-pressure patterns its streams are driven with
(`verify.tb.patterns`: ``offer``, ``accept``, the XBAR's ``enable``) are
fields of the case, so they name its folder like every other parameter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from hw.ann_layer import AnnLayer, value_bits
from hw.build import layer_mem_files, write_rtl
from hw.direct_input import DirectInput
from hw.events import EventBuffer
from hw.lif import LayerParams, LifLayer
from hw.spike_rom import SpikeRom, SpikeRomParams
from hw.xbar import Xbar
from model.snn.config import NOISE_FILE, RAMP, RNG_SEED, SPIKE_FILE, TTFS, IntNetwork, SnnConfig
from model.snn.golden import encode_spikes
from model.snn.layout import pack_spikes, pack_weights
from verify.coverage import buffer_points, counter_names, rtl_points
from verify.sim import run_testbench
from verify.tb.patterns import Pattern
from verify.wrapper import SimBuild, add_wrapper


PATTERNS = ("offer", "accept", "enable")  # the fields of a case that name a `verify.tb.patterns.Pattern`


def _name(prefix: str, case) -> str:
    """A folder name holding every field, e.g. ``lif-ni12-no10-l4-...-arandom_0.7`` (field initials, then the
    value, spaces as ``_``)."""
    parts = ["".join(w[0] for w in k.split("_")) + ("none" if v is None else str(v).replace(" ", "_"))
             for k, v in asdict(case).items()]
    return prefix + "-" + "-".join(parts)


class _Case:
    """Checks the pattern fields of a block case when it is made (`PATTERNS`)."""

    def __post_init__(self):
        for field in PATTERNS:
            if hasattr(self, field):
                Pattern(getattr(self, field))


@dataclass(frozen=True)
class SpikeRomCase(_Case):
    """The Spike ROM with ``vectors`` random noise vectors; each is run in both modes, the output taken by ``accept``."""

    n_inputs: int
    timesteps: int
    input_bits: int
    vectors: int
    seed: int
    coding: str = "bernoulli"
    accept: str = "random 0.6"

    @property
    def name(self) -> str:
        return _name("spike_rom", self)

    def config(self) -> SnnConfig:
        coding = TTFS if self.coding == "ttfs" else {"coding": self.coding}
        return SnnConfig(sizes=(self.n_inputs, 1), timesteps=self.timesteps, input_bits=self.input_bits,
                         rng_seed=RNG_SEED + self.seed, **coding)

    def build(self, root) -> tuple[SimBuild, dict]:
        c = self.config()
        rng = np.random.default_rng(self.seed)
        full = c.timesteps if self.coding == "ttfs" else 1 << c.input_bits
        x = rng.integers(0, full + 1, (self.vectors, self.n_inputs))
        x[0, 0] = full  # bernoulli: fires at every step; ttfs: never
        x[-1, -1] = 0  # bernoulli: never fires; ttfs: fires at step 0
        x[-1, 0] = min(c.timesteps - 1, full)  # ttfs: the last step
        spikes = encode_spikes(x, c)
        files = {
            SPIKE_FILE: ([w for v in spikes for w in pack_spikes(v)], self.n_inputs),
            NOISE_FILE: ([int(v) for v in x.reshape(-1)], c.noise_bits),
        }
        rtl = write_rtl(SpikeRom(SpikeRomParams.of(c, self.vectors)), "spike_rom", Path(root) / self.name / "rtl", files)
        runs = [{"vector": v, "encode": e} for v in range(self.vectors) for e in (0, 1)]
        plan = {"config": c.to_dict(), "noise_x": x.tolist(), "runs": runs, "seed": self.seed, "accept": self.accept}
        return add_wrapper(rtl), plan


@dataclass(frozen=True)
class DirectInputCase(_Case):
    """Direct coding's input stage with full-range weights and biases and ``vectors`` random ``X`` (the extremes
    0 and ``2^R`` among them); the membrane is just wide enough for the largest current the weights allow. The
    markers are taken by ``accept``."""

    n_inputs: int
    n_out: int
    lanes: int
    weight_bits: int
    input_bits: int
    timesteps: int
    vectors: int
    seed: int
    accept: str = "random 0.6"

    @property
    def name(self) -> str:
        return _name("direct_input", self)

    def config(self) -> SnnConfig:
        q, r = self.weight_bits, self.input_bits
        reach = self.n_inputs * (1 << (q - 1)) * (1 << r) + (1 << (q + r))  # weights and bias at full range
        return SnnConfig(sizes=(self.n_inputs, self.n_out), timesteps=self.timesteps, weight_bits=q,
                         membrane_bits=reach.bit_length() + 1, input_bits=r, lanes=self.lanes, coding="direct")

    def network(self) -> IntNetwork:
        c = self.config()
        rng = np.random.default_rng(self.seed)
        w = rng.integers(*c.weight_range, endpoint=True, size=(self.n_out, self.n_inputs))
        b = rng.integers(-(1 << (c.weight_bits + c.input_bits)), 1 << (c.weight_bits + c.input_bits), self.n_out)
        return IntNetwork(c, [w], [b], [1])

    def build(self, root) -> tuple[SimBuild, dict]:
        c, net = self.config(), self.network()
        x = np.random.default_rng(self.seed + 1).integers(0, (1 << c.input_bits) + 1, (self.vectors, self.n_inputs))
        x[0, :], x[-1, 0] = 1 << c.input_bits, 0  # every input at full scale; one at zero
        files = layer_mem_files(c, 1, net.weights[0], net.biases[0])
        files[NOISE_FILE] = ([int(v) for v in x.reshape(-1)], c.noise_bits)
        rtl = write_rtl(DirectInput(c, self.vectors), "direct_input", Path(root) / self.name / "rtl", files)
        plan = {"config": c.to_dict(), "weights": net.weights[0].tolist(), "biases": net.biases[0].tolist(),
                "noise_x": x.tolist(), "seed": self.seed, "runs": list(range(self.vectors))[::-1], "accept": self.accept}
        return add_wrapper(rtl), plan


@dataclass(frozen=True)
class XbarCase(_Case):
    """The XBAR with random ``q``-bit weights and random events, offered by ``offer``; ``enable`` by its pattern."""

    n_in: int
    n_out: int
    lanes: int
    weight_bits: int
    seed: int
    events: int = 40
    offer: str = "random 0.8"
    enable: str = "random 0.75"

    @property
    def name(self) -> str:
        return _name("xbar", self)

    def build(self, root) -> tuple[SimBuild, dict]:
        rng = np.random.default_rng(self.seed)
        lo, hi = -(1 << (self.weight_bits - 1)), (1 << (self.weight_bits - 1)) - 1
        w = rng.integers(lo, hi + 1, (self.n_out, self.n_in))
        files = {"weights.mem": (pack_weights(w, self.lanes, self.weight_bits), self.lanes * self.weight_bits)}
        xbar = Xbar(self.n_in, self.n_out, self.lanes, self.weight_bits, "weights.mem")
        rtl = write_rtl(xbar, "xbar", Path(root) / self.name / "rtl", files)
        items = [[int(rng.integers(self.n_in)), 0] if rng.random() < 0.8 else [0, 1] for _ in range(self.events)]
        plan = {"case": asdict(self), "weights": w.tolist(), "items": items}
        return add_wrapper(rtl), plan


@dataclass(frozen=True)
class LifCase(_Case):
    """One LIF layer on random input trains; random weights over the whole ``q``-bit range. The input events are
    offered by ``offer``, the output taken by ``accept`` (rarely: the fire FIFO fills up)."""

    n_in: int
    n_out: int
    lanes: int
    weight_bits: int
    membrane_bits: int
    reset: str
    leak_shift: int | None
    timesteps: int
    seed: int
    images: int = 2
    input_rate: float = 0.5
    bias_range: int = 4
    bias_offset: int = 0  # added to every bias (large: every neuron fires at every step)
    offer: str = "random 0.8"
    accept: str = "random 0.7"

    @property
    def name(self) -> str:
        return _name("lif", self)

    def config(self) -> SnnConfig:
        ttfs = TTFS if self.reset == "floor" else {"reset": self.reset, "leak_shift": self.leak_shift}
        return SnnConfig(
            sizes=(self.n_in, self.n_out),
            timesteps=self.timesteps,
            weight_bits=self.weight_bits,
            membrane_bits=self.membrane_bits,
            lanes=self.lanes,
            **ttfs,
        )

    def data(self) -> dict:
        """Weights, biases, threshold and input trains, all from the seed."""
        c = self.config()
        rng = np.random.default_rng(self.seed)
        wlo, whi = c.weight_range
        w = rng.integers(wlo, whi + 1, (self.n_out, self.n_in))
        b = rng.integers(-self.bias_range, self.bias_range + 1, self.n_out) + self.bias_offset
        theta = int(rng.integers(max(1, whi // 2), 2 * whi + 1))
        theta = min(theta, c.membrane_range[1])
        spikes = (rng.random((self.images, self.timesteps, self.n_in)) < self.input_rate).astype(np.uint8)
        spikes[0, 0] = 1  # every input at once: the longest step
        return {"weights": w, "biases": b, "threshold": theta, "spikes": spikes}

    def build(self, root) -> tuple[SimBuild, dict]:
        c = self.config()
        d = self.data()
        files = layer_mem_files(c, 1, d["weights"], d["biases"])
        params = LayerParams(c, 1, d["threshold"])
        rtl = write_rtl(LifLayer(params), "lif_layer", Path(root) / self.name / "rtl", files)
        cover = rtl_points(c, standalone=True)
        plan = {
            "config": c.to_dict(),
            "weights": d["weights"].tolist(),
            "biases": d["biases"].tolist(),
            "threshold": d["threshold"],
            "spikes": d["spikes"].tolist(),
            "seed": self.seed,
            "offer": self.offer,
            "accept": self.accept,
            "cover": counter_names(cover),
        }
        return add_wrapper(rtl, cover=cover), plan


@dataclass(frozen=True)
class AnnLayerCase(_Case):
    """One layer of the ANN twin (`hw.ann_layer.AnnLayer`, ``dense`` or zero-skipping) on random activations
    ``0 .. T`` (a ``zero_rate`` share of them 0; every one at ``T`` in the first image) and full-range weights. Its
    divisor ``R`` puts ``T R`` at the ``top`` quantile of the sums ``W a + B``, so the outputs span 0 to ``T``.
    The input events are offered by ``offer``, the output taken by ``accept``."""

    n_in: int
    n_out: int
    lanes: int
    weight_bits: int
    timesteps: int
    dense: bool
    seed: int
    images: int = 3
    zero_rate: float = 0.3
    top: float = 0.8
    offer: str = "random 0.8"
    accept: str = "random 0.7"

    @property
    def name(self) -> str:
        return _name("ann_layer", self)

    def config(self) -> SnnConfig:
        q, t = self.weight_bits, self.timesteps
        reach = 2 * self.n_in * (1 << (q - 1)) * t  # |W a| and |B| at most this
        return SnnConfig(sizes=(self.n_in, self.n_out), timesteps=t, weight_bits=q,
                         membrane_bits=reach.bit_length() + 1, lanes=self.lanes, **RAMP)

    def data(self) -> dict:
        """Weights, biases, the threshold ``T R`` and the input activations, all from the seed."""
        c = self.config()
        rng = np.random.default_rng(self.seed)
        t, (wlo, whi) = self.timesteps, c.weight_range
        w = rng.integers(wlo, whi + 1, (self.n_out, self.n_in))
        a = rng.integers(1, t + 1, (self.images, self.n_in)) * (rng.random((self.images, self.n_in)) >= self.zero_rate)
        a[0] = t
        b = rng.integers(-whi * t, whi * t + 1, self.n_out)
        sums = a @ w.T + b
        slope = max(1, int(np.quantile(sums, self.top)) // t)
        return {"weights": w, "biases": b, "threshold": slope * t, "activations": a}

    def build(self, root) -> tuple[SimBuild, dict]:
        c, d = self.config(), self.data()
        files = layer_mem_files(c, 1, d["weights"], d["biases"])
        layer = AnnLayer(LayerParams(c, 1, d["threshold"]), self.dense)
        rtl = write_rtl(layer, "ann_layer", Path(root) / self.name / "rtl", files)
        plan = {"config": c.to_dict(), "dense": self.dense, "weights": d["weights"].tolist(),
                "biases": d["biases"].tolist(), "threshold": d["threshold"], "activations": d["activations"].tolist(),
                "value_bits": value_bits(c.timesteps), "seed": self.seed, "offer": self.offer, "accept": self.accept}
        return add_wrapper(rtl), plan


@dataclass(frozen=True)
class EventBufferCase(_Case):
    """The event buffer between two blocks, on random events and markers offered by ``offer`` and taken by
    ``accept``; the wrapper counts the cycles its skid register is in use."""

    n: int
    seed: int
    events: int = 60
    offer: str = "random 0.7"
    accept: str = "random 0.5"

    @property
    def name(self) -> str:
        return _name("event_buffer", self)

    def build(self, root) -> tuple[SimBuild, dict]:
        rng = np.random.default_rng(self.seed)
        items = [[int(rng.integers(self.n)), 0] if rng.random() < 0.8 else [0, 1] for _ in range(self.events)]
        rtl = write_rtl(EventBuffer(self.n), "event_buffer", Path(root) / self.name / "rtl")
        cover = buffer_points()
        plan = {"n": self.n, "items": items, "seed": self.seed, "offer": self.offer, "accept": self.accept,
                "cover": counter_names(cover)}
        return add_wrapper(rtl, cover=cover), plan


TB_MODULES = {
    SpikeRomCase: "verify.tb.spike_rom",
    DirectInputCase: "verify.tb.direct_input",
    XbarCase: "verify.tb.xbar",
    LifCase: "verify.tb.lif",
    AnnLayerCase: "verify.tb.ann_layer",
    EventBufferCase: "verify.tb.event_buffer",
}


def run_case(case, sim: str, root) -> dict:
    """Build ``case`` and run its testbench under ``sim``; returns the testbench's result."""
    build, plan = case.build(root)
    return run_testbench(sim, build, TB_MODULES[type(case)], plan, Path(root) / case.name / sim, optimize=False)
