"""A UART model for cocotb: 8N1 frames on a pin, one simulator wake-up per bit, at a bit time in ns."""

from __future__ import annotations

import cocotb
from cocotb.queue import Queue
from cocotb.triggers import FallingEdge, Timer


class UartSource:
    """Drives 8N1 bytes on ``pin`` (idle high, LSB first). ``stop_bit=0`` sends a byte with a broken stop bit."""

    def __init__(self, pin, bit_ns: int):
        self.pin, self.bit_ns = pin, bit_ns
        pin.value = 1

    async def write(self, data: bytes, bad_stop_at: int | None = None) -> None:
        """Send ``data``; the byte at index ``bad_stop_at`` (if any) has a low stop bit."""
        for k, byte in enumerate(data):
            bits = [0] + [(byte >> i) & 1 for i in range(8)] + [0 if k == bad_stop_at else 1]
            for bit in bits:
                self.pin.value = bit
                await Timer(self.bit_ns, "ns")
            if k == bad_stop_at:  # back to idle so the next start bit is an edge
                self.pin.value = 1
                await Timer(self.bit_ns, "ns")
        self.pin.value = 1


class UartSink:
    """Receives 8N1 bytes on ``pin`` into a queue, sampling each bit at its middle."""

    def __init__(self, pin, bit_ns: int):
        self.pin, self.bit_ns = pin, bit_ns
        self.queue: Queue[int] = Queue()
        self.framing_errors = 0
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await FallingEdge(self.pin)
            await Timer(self.bit_ns // 2, "ns")
            if int(self.pin.value) != 0:
                continue  # a glitch, not a start bit
            byte = 0
            for i in range(8):
                await Timer(self.bit_ns, "ns")
                byte |= int(self.pin.value) << i
            await Timer(self.bit_ns, "ns")
            if int(self.pin.value) != 1:
                self.framing_errors += 1
                continue
            self.queue.put_nowait(byte)
