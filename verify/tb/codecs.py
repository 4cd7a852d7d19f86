"""The design's words as the testbenches pack and unpack them: event-stream payloads and count read-out words,
and a layer's read-out port read word by word."""

from __future__ import annotations

import numpy as np
from cocotb.triggers import FallingEdge

from hw.widths import abits
from model.snn.config import SnnConfig
from model.snn.layout import unpack_lanes


class EventCodec:
    """Packs/unpacks an event-stream payload of a layer of ``n`` neurons: ``{eos, index}``, index in the low bits,
    or ``{value, eos, index}`` where the events carry a ``value`` (an ANN activation, `hw.events.event_layout`)."""

    def __init__(self, n: int, value_bits: int = 0):
        self.bits, self.value_bits = abits(n), value_bits

    def pack(self, index: int, eos: int, value: int = 0) -> int:
        return (int(value) << (self.bits + 1)) | (int(eos) << self.bits) | int(index)

    def unpack(self, payload: int) -> tuple[int, int]:
        return payload & ((1 << self.bits) - 1), (payload >> self.bits) & 1

    def value(self, payload: int) -> int:
        return payload >> (self.bits + 1)


def count_words_to_counts(config: SnnConfig, layer: int, words) -> np.ndarray:
    """A layer's read-out words (one per group, ascending) to its ``N_l`` spike counts (lane ``p`` of word ``g``
    is neuron ``g * P + p``)."""
    lanes = unpack_lanes([int(w) for w in words], config.lanes, config.count_bits, signed=False)
    return lanes.reshape(-1)[: config.sizes[layer]]


async def read_layer_counts(dut, config: SnnConfig) -> np.ndarray:
    """A one-layer design's ``N_1`` counters through its read-out port (``count_addr`` in, ``count_data`` one
    cycle later), word by word; call it at a falling edge, it returns at one."""
    words = []
    for g in range(config.groups(1)):
        dut.count_addr.value = g
        await FallingEdge(dut.clk)
        words.append(int(dut.count_data.value))
    return count_words_to_counts(config, 1, words)


def spike_trains(codec: EventCodec, payloads, timesteps: int, n: int) -> tuple[np.ndarray, list[str]]:
    """The ``(T, n)`` spike trains an event stream carried (its payloads in order: each step's spikes, then its
    marker), and where it broke that order: an index out of range, repeated or not ascending within a step, or
    fewer than ``T`` markers."""
    trains, errors, step = np.zeros((timesteps, n), dtype=np.uint8), [], 0
    for payload in payloads:
        index, eos = codec.unpack(payload)
        if step >= timesteps:
            errors.append(f"an event after the last step's marker: {(index, eos)}")
        elif eos:
            step += 1
        elif index >= n or trains[step, index:].any():
            errors.append(f"step {step}: index {index} out of range, repeated or not ascending")
        else:
            trains[step, index] = 1
    if step < timesteps:
        errors.append(f"only {step} of {timesteps} step markers")
    return trains, errors
