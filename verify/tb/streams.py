"""Stream ports as the testbenches drive and watch them: a source, a sink and a monitor for an Amaranth stream
(the wrapper's ``<name>__valid``, ``<name>__payload`` and ``<name>__ready``), and a driver of a 1-bit stall input.

Each runs in the background, one turn per clock cycle: it drives at the falling edge and samples once the
inputs have settled (`verify.tb.clock`); a payload is transferred at the rising edge after a sample with
``valid`` and ``ready`` both high, and recorded as a `Transfer` with that cycle's number. Nothing is sampled
while ``rst`` is high. When a source offers and a sink accepts follows a `verify.tb.patterns.Pattern`. Only
this module assigns ``valid`` and ``ready`` (a test of the repository checks it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import NamedTuple

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly

from verify.tb.clock import cycle, wait_until
from verify.tb.patterns import ALWAYS, Pattern


class Transfer(NamedTuple):
    """One payload through a stream port, in cycle ``cycle`` (`verify.tb.clock.cycle`)."""

    cycle: int
    payload: int


class StreamMonitor:
    """Watches stream port ``name`` of the DUT without driving it.

    ``transfers``: every transfer since the last `take`, in order; ``stalls``: the cycles with ``valid`` but
    not ``ready`` (back-pressure); ``waits``: the cycles with ``ready`` but not ``valid`` (a paused source).
    """

    def __init__(self, dut, name: str):
        self.clk, self.rst = dut.clk, dut.rst
        self.valid, self.payload, self.ready = (getattr(dut, f"{name}__{f}") for f in ("valid", "payload", "ready"))
        self.transfers: list[Transfer] = []
        self.stalls = self.waits = 0
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await FallingEdge(self.clk)
            self._drive()
            await ReadOnly()
            if not int(self.rst.value):
                self._sample()

    def _drive(self) -> None:
        """Drive the port for this cycle (a monitor drives nothing)."""

    def _sample(self) -> Transfer | None:
        valid, ready = int(self.valid.value), int(self.ready.value)
        self.stalls += valid and not ready
        self.waits += ready and not valid
        if not (valid and ready):
            return None
        self.transfers.append(Transfer(cycle(), int(self.payload.value)))
        return self.transfers[-1]

    def take(self) -> list[Transfer]:
        """The transfers recorded since the last call."""
        out, self.transfers = self.transfers, []
        return out

    async def receive(self, count: int, max_cycles: int,
                      where: Callable[[int], bool] = lambda payload: True) -> list[Transfer]:
        """Wait until ``count`` transfers whose payload satisfies ``where`` are recorded, or ``max_cycles`` cycles,
        then `take` every transfer. Call it at a falling edge; it returns at one."""
        seen, matched = 0, 0

        def done() -> bool:
            nonlocal seen, matched
            matched += sum(1 for t in self.transfers[seen:] if where(t.payload))
            seen = len(self.transfers)
            return matched >= count

        await wait_until(self.clk, done, max_cycles)
        return self.take()


class StreamSource(StreamMonitor):
    """Drives stream port ``name`` (an input of the DUT) with the payloads given to `send`, in order.

    A payload is offered in a cycle ``pattern`` says yes to; once offered it stays (``valid`` high, the
    payload unchanged) until it is taken, as the design's own producers do. ``paused``: the cycles a payload
    was waiting but the pattern said no.
    """

    def __init__(self, dut, name: str, pattern: Pattern = ALWAYS, seed: str | int = 0):
        super().__init__(dut, name)
        self.queue: deque[int] = deque()
        self.offered: int | None = None
        self.paused = 0
        self.use(pattern, seed)
        self.valid.value = 0

    def use(self, pattern: Pattern, seed: str | int = 0) -> None:
        """Offer by ``pattern`` from the next cycle on."""
        self._offers = pattern.cycles(seed)

    def send(self, payloads: Iterable[int]) -> None:
        """Queue ``payloads`` behind those not yet taken."""
        self.queue.extend(int(p) for p in payloads)

    @property
    def idle(self) -> bool:
        """Every payload sent has been taken."""
        return not self.queue and self.offered is None

    def _drive(self) -> None:
        if self.offered is None and self.queue:
            if next(self._offers):
                self.offered = self.queue.popleft()
            else:
                self.paused += 1
        self.valid.value = int(self.offered is not None)
        self.payload.value = 0 if self.offered is None else self.offered

    def _sample(self) -> Transfer | None:
        taken = super()._sample()
        if taken is not None:
            self.offered = None
        return taken


class StreamSink(StreamMonitor):
    """Takes from stream port ``name`` (an output of the DUT): ``ready`` is high in the cycles ``pattern`` says
    yes to. What it took is in ``transfers`` (see `StreamMonitor.receive`)."""

    def __init__(self, dut, name: str, pattern: Pattern = ALWAYS, seed: str | int = 0):
        super().__init__(dut, name)
        self.use(pattern, seed)
        self.ready.value = 0

    def use(self, pattern: Pattern, seed: str | int = 0) -> None:
        """Accept by ``pattern`` from the next cycle on."""
        self._accepts = pattern.cycles(seed)

    def _drive(self) -> None:
        self.ready.value = int(next(self._accepts))


class PatternDriver:
    """Drives a 1-bit input of the DUT (an enable, a stall) by ``pattern``, one value per cycle."""

    def __init__(self, clk, signal, pattern: Pattern, seed: str | int = 0):
        self.clk, self.signal, self._values = clk, signal, pattern.cycles(seed)
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await FallingEdge(self.clk)
            self.signal.value = int(next(self._values))
