"""FPGA top: the generator behind a narrow, registered pin interface (for place and route and boards)."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.ann_twin import AnnTwin
from hw.generator import Generator, one_choice_waivers
from hw.widths import abits
from model.snn.config import IntNetwork

READ_LATENCY = 4  # read_* in -> read_count out, cycles


class FpgaTop(wiring.Component):
    """`Generator` with a pin count any FPGA package has, every pin registered.

    The generator's wide read-out (``P`` counters per word), cycle counter and
    spike-event ports would need hundreds of pads; here the counts are read one
    neuron at a time and the spike-event ports are left out (Yosys removes
    their logic). All inputs and outputs pass through a register, so the pads
    are off the internal timing paths and nextpnr's Fmax is the core's.

    * ``start`` / ``encode`` / ``vector``: as the generator's, one cycle later
      (``stored_trains=False`` or a direct-coded network: no stored trains and no ``encode`` pin).
    * ``busy`` / ``done``: the generator's, one cycle later.
    * ``read_layer`` (0-based: layer ``l + 1``), ``read_group`` (``g``) and
      ``read_lane`` (``p``) select neuron ``g * P + p``; ``read_count`` is its
      spike count, latency 4 (input register, counter memory, word register,
      lane register), one read per cycle.

    ``twin``: an exact-TTFS network's ANN twin (`hw.ann_twin.AnnTwin`, ``"ann-dense"`` or ``"ann-skip"``) in
    place of the generator, behind the same pins (no ``encode``).
    """

    def __init__(self, net: IntNetwork, vectors: int, stored_trains: bool = True, twin: str | None = None):
        c = net.config
        self.generator = Generator(net, vectors, stored_trains) if twin is None else AnnTwin(net, vectors, twin == "ann-dense")
        self.lint_waivers = one_choice_waivers(c, vectors, {"count_addr": "read_group", "count_layer": "read_layer"})
        self.stored_trains = stored_trains and not c.direct and twin is None  # one input source
        super().__init__(
            {
                "start": In(1),
                **({"encode": In(1)} if self.stored_trains else {}),
                "vector": In(abits(vectors)),
                "busy": Out(1),
                "done": Out(1),
                "read_layer": In(abits(c.layers)),
                "read_group": In(abits(c.max_groups)),
                "read_lane": In(abits(c.lanes)),
                "read_count": Out(self.generator.count_bits),
            }
        )

    def elaborate(self, platform):
        m = Module()
        m.submodules.generator = gen = self.generator
        lane_in = Signal.like(self.read_lane)
        lane_mem = Signal.like(self.read_lane)
        lane = Signal.like(self.read_lane)
        word = Signal.like(gen.count_data)
        m.d.sync += [
            gen.start.eq(self.start),
            gen.encode.eq(self.encode if self.stored_trains else 1),
            gen.vector.eq(self.vector),
            self.busy.eq(gen.busy),
            self.done.eq(gen.done),
            gen.count_layer.eq(self.read_layer),
            gen.count_addr.eq(self.read_group),
            lane_in.eq(self.read_lane),
            lane_mem.eq(lane_in),
            lane.eq(lane_mem),
            word.eq(gen.count_data),
            self.read_count.eq(word.word_select(lane, gen.count_bits)),
        ]
        return m
