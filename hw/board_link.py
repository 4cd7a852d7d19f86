"""The board side of the UART protocol (`hw.protocol`): frames in, the generator run, the image framed back."""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from hw.protocol import BOARD_SYNC, CYCLE_BYTES, HOST_SYNC, Command, LinkShape, Status
from hw.rom import ram_write_signature
from hw.state_machine import state_machine
from hw.widths import abits

STATES = ("hunt", "command", "length 0", "length 1", "check header", "payload", "check", "execute", "drawing",
          "start", "running", "flush", "send sync", "send status", "send length 0", "send length 1", "send info",
          "send cycles", "read value", "send value", "send crc")
READ_WAIT = 3  # cycles from a read address to its value: the read-out's latency and a margin


def crc8_next(m: Module, crc, byte) -> Signal:
    """CRC-8 (polynomial 0x07, MSB first) of ``crc`` extended by ``byte``: `hw.protocol.crc8` in ``m``'s
    combinational logic, one signal per bit step (an expression would repeat itself at every step)."""
    c = Signal(8, name="crc_step0")
    m.d.comb += c.eq(crc ^ byte)
    for k in range(8):
        step = Signal(8, name=f"crc_step{k + 1}")
        m.d.comb += step.eq((c << 1)[:8] ^ Mux(c[7], 0x07, 0))
        c = step
    return c


def read_signature(n: int, groups: int, lanes: int, value_bits: int) -> wiring.Signature:
    """The read-out of output neuron ``index`` (= ``group * P + lane``), from the reader's side.

    Members
    -------
    index, group, lane : ``Out``
        Held for `READ_WAIT` cycles before ``data`` is taken.
    data : ``In(value_bits)``
    take : ``Out(1)``
        Pulses in the cycle ``data`` is taken.
    """
    return wiring.Signature({"index": Out(abits(n)), "group": Out(abits(groups)), "lane": Out(abits(lanes)),
                             "data": In(value_bits), "take": Out(1)})


class LinkController(wiring.Component):
    """Parses host frames from ``rx``, runs the generator, and sends the response on ``tx`` (``docs/board.md``).

    Run-time noise goes to the scratch vector ``V`` (the generator has ``V + 1``): a LOAD frame's ``X`` are
    written as they arrive, a SEED frame's seed is drawn by the on-chip source after its CRC checks, and only a
    frame whose CRC and values check starts an image. On an error the controller drops bytes until the line has
    been quiet for ``timeout`` cycles, then answers with the error's status, so that the rest of a bad frame is
    never read as a new one. A frame that stops for ``timeout`` cycles is TRUNCATED.

    Members
    -------
    rx : ``In(stream.Signature(8))``
    rx_error : ``In(1)``
        The UART dropped a byte with no stop bit.
    tx : ``Out(stream.Signature(8))``
    start, draw, vector, seed, noise : ``Out``
        The generator's ports of the same names.
    busy, done, cycles : ``In``
        The generator's.
    read : ``Out(read_signature(...))``
    active, failed : ``Out(1)``
        A frame is being handled; the last frame was refused (for LEDs).
    """

    def __init__(self, shape: LinkShape, noise_bits: int, groups: int, lanes: int, timeout: int):
        if timeout < 1:
            raise ValueError(f"the link time-out must be >= 1 cycle, got {timeout}")
        if shape.n_inputs < 1 or shape.n_outputs < 1 or shape.vectors < 1:
            raise ValueError(f"bad link shape {shape}")
        self.shape, self.noise_bits, self.groups, self.lanes, self.timeout = shape, noise_bits, groups, lanes, timeout
        slots = shape.vectors + 1
        super().__init__({
            "rx": In(stream.Signature(8)),
            "rx_error": In(1),
            "tx": Out(stream.Signature(8)),
            "start": Out(1),
            "draw": Out(1),
            "vector": Out(abits(slots)),
            "seed": Out(32),
            "noise": Out(ram_write_signature(slots * shape.n_inputs, noise_bits)),
            "busy": In(1),
            "done": In(1),
            "cycles": In(40),
            "read": Out(read_signature(shape.n_outputs, groups, lanes, 8 * shape.value_bytes)),
            "active": Out(1),
            "failed": Out(1),
        })

    def payload_length(self, command):
        """The payload length ``command`` must carry (an expression), and whether the command is known."""
        s = self.shape
        lengths = {Command.INFO: 0, Command.STORED: 2, Command.LOAD: 2 * s.n_inputs, Command.SEED: 4}
        length, known = Const(0, 16), Const(0)
        for code, n in lengths.items():
            length = Mux(command == code, n, length)
            known = known | (command == code)
        return length, known

    def elaborate(self, platform):
        m = Module()
        s = self.shape
        scratch = s.vectors
        rx, tx = self.rx, self.tx
        command = Signal(8)
        length = Signal(16)
        count = Signal(16)  # bytes of the payload (or of the response part) so far
        word = Signal(32)  # the payload's bytes, the latest at the top
        crc = Signal(8)
        status = Signal(range(len(Status) + 1))
        quiet = Signal(range(self.timeout + 1))  # cycles since the last byte within a frame
        out_of_range = Signal()
        expected, known = self.payload_length(command)
        in_state, goto = state_machine(m, STATES)
        got = rx.valid & rx.ready
        byte = rx.payload
        m.d.comb += self.vector.eq(scratch)

        def fail(code):
            m.d.sync += [status.eq(code), quiet.eq(0)]
            goto("flush")

        crc_in = Signal(8)  # the byte the CRC takes this cycle
        crc_next = crc8_next(m, crc, crc_in)

        def receive(next_state):
            """Take one frame byte (CRC and quiet counter updated); TRUNCATED or FRAMING on a bad line."""
            m.d.comb += [rx.ready.eq(1), crc_in.eq(byte)]
            m.d.sync += quiet.eq(quiet + 1)
            with m.If(got):
                m.d.sync += [crc.eq(crc_next), quiet.eq(0)]
                goto(next_state)
            with m.Elif(self.rx_error):
                fail(Status.FRAMING)
            with m.Elif(quiet == self.timeout):
                fail(Status.TRUNCATED)

        def send(value, next_state):
            """Send one response byte, adding it to the CRC."""
            m.d.comb += [tx.valid.eq(1), tx.payload.eq(value), crc_in.eq(value)]
            with m.If(tx.ready):
                m.d.sync += crc.eq(crc_next)
                goto(next_state)

        response_length = Signal(16)
        info = Const(int.from_bytes(s.info_payload(), "little"), 8 * len(s.info_payload()))
        cycles = Signal(8 * CYCLE_BYTES)
        value = Signal(8 * s.value_bytes)
        wait = Signal(range(READ_WAIT + 1))
        last_value = self.read.index == s.n_outputs - 1
        m.d.comb += self.active.eq(1)
        with in_state("hunt"):
            m.d.comb += [rx.ready.eq(1), self.active.eq(0)]
            with m.If(got & (byte == HOST_SYNC)):
                m.d.sync += [crc.eq(0), quiet.eq(0)]
                goto("command")
        with in_state("command"):
            receive("length 0")
            m.d.sync += command.eq(byte)
        with in_state("length 0"):
            receive("length 1")
            m.d.sync += length[:8].eq(byte)
        with in_state("length 1"):
            receive("check header")
            m.d.sync += length[8:].eq(byte)
        with in_state("check header"):
            m.d.sync += [count.eq(0), out_of_range.eq(0),
                         self.noise.addr.eq(scratch * s.n_inputs)]
            with m.If(~known):
                fail(Status.UNKNOWN_COMMAND)
            with m.Elif(length != expected):
                fail(Status.BAD_LENGTH)
            with m.Elif(length == 0):
                goto("check")
            with m.Else():
                goto("payload")
        with in_state("payload"):
            receive("payload")
            with m.If(got):
                m.d.sync += [word.eq(Cat(word[8:], byte)), count.eq(count + 1)]
                with m.If(count == length - 1):
                    goto("check")
                x = Cat(word[24:], byte)
                with m.If((command == Command.LOAD) & count[0]):
                    m.d.comb += [self.noise.en.eq(1), self.noise.data.eq(x)]
                    m.d.sync += self.noise.addr.eq(self.noise.addr + 1)
                    with m.If(x > s.noise_levels):
                        m.d.sync += out_of_range.eq(1)
        with in_state("check"):
            receive("execute")
            m.d.sync += self.seed.eq(word)
            with m.If(got & (byte != crc)):
                fail(Status.BAD_CRC)
        with in_state("execute"):
            m.d.sync += [status.eq(Status.OK), crc.eq(0)]
            with m.If(command == Command.INFO):
                m.d.sync += response_length.eq(len(s.info_payload()))
                goto("send sync")
            with m.Elif(command == Command.STORED):
                m.d.comb += self.vector.eq(word[16:])
                with m.If(word[16:] >= s.vectors):
                    fail(Status.OUT_OF_RANGE)
                with m.Else():
                    goto("start")
            with m.Elif(command == Command.SEED):
                with m.If(self.seed == 0):
                    fail(Status.OUT_OF_RANGE)
                with m.Else():
                    m.d.comb += self.draw.eq(1)
                    goto("drawing")
            with m.Else():  # LOAD
                with m.If(out_of_range):
                    fail(Status.OUT_OF_RANGE)
                with m.Else():
                    goto("start")
        with in_state("drawing"):
            with m.If(~self.busy & ~self.draw):
                goto("start")
        with in_state("start"):
            with m.If(command == Command.STORED):
                m.d.comb += self.vector.eq(word[16:])
            m.d.comb += self.start.eq(~self.busy)
            with m.If(~self.busy):
                goto("running")
        with in_state("running"):
            with m.If(self.done & ~self.busy):
                m.d.sync += [cycles.eq(self.cycles), response_length.eq(s.image_length()), crc.eq(0),
                             self.read.index.eq(0), self.read.group.eq(0), self.read.lane.eq(0)]
                goto("send sync")
        with in_state("flush"):
            m.d.comb += rx.ready.eq(1)
            m.d.sync += [quiet.eq(quiet + 1), crc.eq(0), response_length.eq(0)]
            with m.If(got | self.rx_error):
                m.d.sync += quiet.eq(0)
            with m.Elif(quiet == self.timeout):
                goto("send sync")
        with in_state("send sync"):
            m.d.comb += [tx.valid.eq(1), tx.payload.eq(BOARD_SYNC)]
            with m.If(tx.ready):
                goto("send status")
        with in_state("send status"):
            send(status, "send length 0")
        with in_state("send length 0"):
            send(response_length[:8], "send length 1")
        with in_state("send length 1"):
            m.d.sync += count.eq(0)
            with m.If(response_length == 0):
                send(response_length[8:], "send crc")
            with m.Elif(command == Command.INFO):
                send(response_length[8:], "send info")
            with m.Else():
                send(response_length[8:], "send cycles")
        with in_state("send info"):
            send(info.word_select(count, 8), "send info")
            with m.If(tx.ready):
                m.d.sync += count.eq(count + 1)
                with m.If(count == len(s.info_payload()) - 1):
                    goto("send crc")
        with in_state("send cycles"):
            send(cycles.word_select(count, 8), "send cycles")
            with m.If(tx.ready):
                m.d.sync += count.eq(count + 1)
                with m.If(count == CYCLE_BYTES - 1):
                    m.d.sync += wait.eq(0)
                    goto("read value")
        with in_state("read value"):
            m.d.sync += wait.eq(wait + 1)
            with m.If(wait == READ_WAIT):
                m.d.comb += self.read.take.eq(1)
                m.d.sync += [value.eq(self.read.data), count.eq(0)]
                goto("send value")
        with in_state("send value"):
            send(value.word_select(count, 8), "send value")
            with m.If(tx.ready):
                m.d.sync += count.eq(count + 1)
                with m.If(count == s.value_bytes - 1):
                    m.d.sync += [wait.eq(0), self.read.index.eq(self.read.index + 1),
                                 self.read.lane.eq(self.read.lane + 1)]
                    with m.If(self.read.lane == self.lanes - 1):
                        m.d.sync += [self.read.lane.eq(0), self.read.group.eq(self.read.group + 1)]
                    goto("read value")
                    with m.If(last_value):
                        goto("send crc")
        with in_state("send crc"):
            m.d.comb += [tx.valid.eq(1), tx.payload.eq(crc)]
            with m.If(tx.ready):
                m.d.sync += self.failed.eq(status != Status.OK)
                goto("hunt")
        return m
