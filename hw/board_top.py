"""The board top: the generator (or its ANN twin) behind a UART, its output values read back over the link."""

from __future__ import annotations

import numpy as np
from amaranth import Module, Mux
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.ann_twin import AnnTwin
from hw.board_link import LinkController
from hw.generator import Generator
from hw.protocol import LinkShape
from hw.uart import UartRx, UartTx
from model.snn.config import TTFS_NEURONS, IntNetwork
from model.snn.golden import first_spike_times, noise_levels, run_noise

COUNTS_WAIVER = (
    "// UNUSEDSIGNAL c_out__data: the board reads a TTFS design's spike times; its counters' read-out is left over.\n"
    'lint_off -rule UNUSEDSIGNAL -file "*{verilog}" -match "*not used: \'core.layer*.c_out__data\'*"\n'
)


def link_shape(net: IntNetwork, vectors: int, design: str = "snn", tag: int = 0) -> LinkShape:
    """The protocol's view of ``net`` with ``vectors`` stored test vectors."""
    c = net.config
    return LinkShape(c.sizes[0], c.sizes[-1], c.timesteps, vectors, noise_levels(c), design, tag)


class BoardTop(wiring.Component):
    """The generator of ``net`` (``design``: ``snn`` or an exact-TTFS network's twin) on a UART link
    (`hw.board_link.LinkController`, ``docs/board.md``).

    The generator holds the ``vectors`` stored test vectors and one scratch slot for run-time noise, and runs
    every image through its encoder (no stored trains). An image's output values are the last layer's spike
    counts, or for a TTFS or exact-TTFS design each output neuron's spike time (``T``: none), kept in a memory
    written from the output spike-event port and set back to ``T`` as the link reads each value.

    Members
    -------
    rx : ``In(1)``
    tx : ``Out(1)``
    active : ``Out(1)``
        A frame is being handled (an LED).
    failed : ``Out(1)``
        The last frame was refused (an LED).
    """

    def __init__(self, net: IntNetwork, vectors: int, divisor: int, timeout: int, design: str = "snn",
                 tag: int = 0):
        c = net.config
        self.config, self.design = c, design
        self.shape = link_shape(net, vectors, design, tag)
        self.core = (Generator(net, vectors + 1, stored_trains=False) if design == "snn"
                     else AnnTwin(net, vectors + 1, design == "ann-dense"))
        self.divisor, self.timeout = divisor, timeout
        self.lint_waivers = self.core.lint_waivers + (COUNTS_WAIVER if self.reads_times else "")
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "active": Out(1), "failed": Out(1)})

    @property
    def reads_times(self) -> bool:
        """Whether an output value is a spike time (TTFS designs) rather than a count."""
        return self.config.neuron in TTFS_NEURONS

    def elaborate(self, platform):
        m = Module()
        c, core = self.config, self.core
        m.submodules.core = core
        m.submodules.uart_rx = rx = UartRx(self.divisor)
        m.submodules.uart_tx = tx = UartTx(self.divisor)
        m.submodules.link = link = LinkController(self.shape, c.noise_bits, c.groups(c.layers), c.lanes, self.timeout)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx), self.active.eq(link.active), self.failed.eq(link.failed)]
        wiring.connect(m, rx.o, link.rx)
        wiring.connect(m, link.tx, tx.i)
        m.d.comb += link.rx_error.eq(rx.framing_error)
        m.d.comb += [core.start.eq(link.start), core.draw.eq(link.draw), core.vector.eq(link.vector),
                     core.seed.eq(link.seed), core.encode.eq(1),
                     core.noise.addr.eq(link.noise.addr), core.noise.data.eq(link.noise.data),
                     core.noise.en.eq(link.noise.en),
                     link.busy.eq(core.busy), link.done.eq(core.done), link.cycles.eq(core.cycles)]
        read = link.read
        if self.reads_times:
            self._spike_times(m, read)
        else:
            m.d.comb += [core.count_layer.eq(c.layers - 1), core.count_addr.eq(read.group),
                         read.data.eq(core.count_data.word_select(read.lane, c.count_bits))]
        return m

    def _spike_times(self, m: Module, read) -> None:
        """Each output neuron's spike time, from the output spike-event port; ``T`` again once read."""
        c = self.config
        T = c.timesteps
        m.submodules.times = times = Memory(shape=T.bit_length(), depth=c.sizes[-1], init=[T] * c.sizes[-1])
        write, port = times.write_port(), times.read_port()
        spike = getattr(self.core, f"spikes{c.layers}")
        m.d.comb += [write.en.eq(spike.valid | read.take), write.addr.eq(Mux(spike.valid, spike.index, read.index)),
                     write.data.eq(Mux(spike.valid, spike.step, T)),
                     port.addr.eq(read.index), read.data.eq(port.data)]


def expected_values(net: IntNetwork, x) -> np.ndarray:
    """What the board sends back for encoder inputs ``x`` ``(N_0,)``: the last layer's spike counts, or for a
    TTFS or exact-TTFS design its spike times (``T``: none), from the golden model."""
    gold = run_noise(net, np.asarray(x, dtype=np.int64))
    return first_spike_times(gold.spikes[-1]) if net.config.neuron in TTFS_NEURONS else gold.counts[-1]


def golden_check(net: IntNetwork, x, values) -> tuple[list[int], list[int]]:
    """`expected_values` for ``x``, and the output neurons where the board's ``values`` differ from them."""
    expected = [int(v) for v in expected_values(net, x)]
    return expected, [j for j, (a, b) in enumerate(zip(values, expected)) if a != b]


def values_image(config, values) -> np.ndarray:
    """The image of an output's values: ``C_L / T`` of counts, ``(T - t) / T`` of spike times; square when the
    output is (28 x 28 for the generators), else one row."""
    v = np.asarray(values, dtype=np.float64)
    t = config.timesteps
    pixels = (t - v) / t if config.neuron in TTFS_NEURONS else v / t
    side = int(np.sqrt(len(pixels)))
    return pixels.reshape(side, side) if side * side == len(pixels) else pixels.reshape(1, -1)
