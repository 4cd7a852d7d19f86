"""The board's UART protocol, both ends' shared half: frame layout, commands, statuses, CRC-8, and a host-side
codec with no I/O (the host command and the cocotb link testbench drive it over a serial port or a UART model).

A host frame is ``A5 cmd len_lo len_hi payload[len] crc``; a board frame is ``5A status len_lo len_hi
payload[len] crc``. ``crc`` is CRC-8 (polynomial 0x07, initial value 0, no reflection) of every byte after the
sync byte. Multi-byte numbers are little-endian. ``docs/board.md`` is the reader's description.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

HOST_SYNC = 0xA5
BOARD_SYNC = 0x5A
VERSION = 1
CYCLE_BYTES = 5  # the generator's 40-bit cycle counter
INFO_BYTES = 15


class Command(enum.IntEnum):
    INFO = 0x49  # no payload: the board describes its network
    STORED = 0x56  # u16 vector: run a stored test vector
    LOAD = 0x58  # N_0 x u16 X: run these encoder inputs
    SEED = 0x53  # u32 seed: run the on-chip noise source's draw


class Status(enum.IntEnum):
    OK = 0
    BAD_CRC = 1
    UNKNOWN_COMMAND = 2
    BAD_LENGTH = 3
    OUT_OF_RANGE = 4
    TRUNCATED = 5
    FRAMING = 6


STATUS_TEXT = {
    Status.BAD_CRC: "the frame's CRC did not match its bytes",
    Status.UNKNOWN_COMMAND: "the command byte is not one the board knows",
    Status.BAD_LENGTH: "the payload length is not the command's",
    Status.OUT_OF_RANGE: "a value is out of range (an X above the encoder's top level, a vector the board does "
                         "not store, or a zero seed)",
    Status.TRUNCATED: "the frame stopped before its end (no byte within the board's time-out)",
    Status.FRAMING: "a byte of the frame had no stop bit (line noise or a wrong baud rate)",
}

DESIGN_CODES = {"snn": 0, "ann-dense": 1, "ann-skip": 2}


def crc8(data: bytes, crc: int = 0) -> int:
    """CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), MSB first, from ``crc``."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def frame(sync: int, code: int, payload: bytes = b"") -> bytes:
    """A whole frame: sync, code, length, payload, CRC."""
    body = bytes([code]) + len(payload).to_bytes(2, "little") + payload
    return bytes([sync]) + body + bytes([crc8(body)])


@dataclass(frozen=True)
class LinkShape:
    """What both ends must agree on: sizes, the design and the export's tag."""

    n_inputs: int
    n_outputs: int
    timesteps: int
    vectors: int  # stored test vectors (the board has one more slot, for run-time noise)
    noise_levels: int  # the largest X
    design: str = "snn"
    tag: int = 0  # the first 4 bytes of the manifest's sha256, big-endian

    @property
    def value_bytes(self) -> int:
        """Bytes of an output value (a count or a spike time, ``0 .. T``)."""
        return (self.timesteps.bit_length() + 7) // 8

    def info_payload(self) -> bytes:
        """The INFO response's payload."""
        return (bytes([VERSION, DESIGN_CODES[self.design]]) + self.n_inputs.to_bytes(2, "little")
                + self.n_outputs.to_bytes(2, "little") + self.timesteps.to_bytes(2, "little")
                + self.vectors.to_bytes(2, "little") + bytes([self.value_bytes]) + self.tag.to_bytes(4, "big"))

    def image_length(self) -> int:
        return CYCLE_BYTES + self.n_outputs * self.value_bytes


class LinkError(Exception):
    """A frame that cannot be accepted, or an error the board reported; the message says which, and ``kind``
    names it: a `Status` name the board sent, ``"timeout"``, ``"corrupt"`` or ``"mismatch"``."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def info_command() -> bytes:
    return frame(HOST_SYNC, Command.INFO)


def stored_command(vector: int) -> bytes:
    return frame(HOST_SYNC, Command.STORED, int(vector).to_bytes(2, "little"))


def load_command(x) -> bytes:
    return frame(HOST_SYNC, Command.LOAD, b"".join(int(v).to_bytes(2, "little") for v in x))


def seed_command(seed: int) -> bytes:
    return frame(HOST_SYNC, Command.SEED, int(seed).to_bytes(4, "little"))


@dataclass(frozen=True)
class Image:
    """An image the board sent back: its cycle count and each output neuron's value."""

    cycles: int
    values: tuple


class ResponseParser:
    """Feeds on the board's bytes; `feed` returns each whole response's payload, raising `LinkError` for a
    corrupt one or an error status. Bytes before a sync byte are noise, counted in ``skipped``."""

    def __init__(self):
        self.buffer = bytearray()
        self.skipped = 0

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        out = []
        while True:
            start = self.buffer.find(BOARD_SYNC)
            if start < 0:
                self.skipped += len(self.buffer)
                self.buffer.clear()
                return out
            self.skipped += start
            del self.buffer[:start]
            if len(self.buffer) < 4:
                return out
            length = int.from_bytes(self.buffer[2:4], "little")
            if len(self.buffer) < 5 + length:
                return out
            whole = bytes(self.buffer[: 5 + length])
            del self.buffer[: 5 + length]
            if crc8(whole[1:-1]) != whole[-1]:
                raise LinkError(f"a response from the board failed its CRC check ({whole[:8].hex()}...): "
                                "the link dropped or corrupted a byte", "corrupt")
            status = whole[1]
            if status != Status.OK:
                name = Status(status).name if status in Status._value2member_map_ else f"status {status}"
                raise LinkError(f"the board refused the frame: {name}: {STATUS_TEXT.get(status, 'unknown status')}",
                                name)
            out.append(whole[4:-1])

    def pending(self) -> int:
        """Bytes of a response begun but not finished."""
        return len(self.buffer)


def decode_image(payload: bytes, shape: LinkShape) -> Image:
    """An image response's payload: cycles, then each output's value."""
    if len(payload) != shape.image_length():
        raise LinkError(f"an image response of {len(payload)} bytes; {shape.image_length()} expected for "
                        f"{shape.n_outputs} outputs: the board holds another network", "mismatch")
    cycles = int.from_bytes(payload[:CYCLE_BYTES], "little")
    w = shape.value_bytes
    values = tuple(int.from_bytes(payload[CYCLE_BYTES + k * w: CYCLE_BYTES + (k + 1) * w], "little")
                   for k in range(shape.n_outputs))
    return Image(cycles, values)


def check_info(payload: bytes, shape: LinkShape) -> None:
    """Refuse a board whose INFO differs from ``shape`` (another network, design or export), naming the field."""
    if payload == shape.info_payload():
        return
    if len(payload) != INFO_BYTES:
        raise LinkError(f"the board's INFO has {len(payload)} bytes, not {INFO_BYTES}: another protocol version",
                        "mismatch")
    names = ("version", "design", "inputs", "outputs", "timesteps", "vectors", "value bytes", "export tag")
    spans = ((0, 1), (1, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 11), (11, 15))
    want = shape.info_payload()
    wrong = [n for n, (a, b) in zip(names, spans) if payload[a:b] != want[a:b]]
    raise LinkError(f"the board holds another network than the manifest ({', '.join(wrong)} differ): "
                    "build and load the bitstream of this export (make board)", "mismatch")
