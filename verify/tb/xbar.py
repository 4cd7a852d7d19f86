"""cocotb testbench of the XBAR: read order, lane routing and handshake against the weight matrix.

Plan (from `verify.blocks.XbarCase`): the weights ``W[j][i]`` and a list of
events ``[index, eos]``. The driver offers them with random gaps and drives
``enable`` randomly. A model of the input register is checked every cycle:
the issue side shows the event taken in an earlier cycle, its groups are
issued ``0 .. G-1`` in order, ``ready`` is high exactly while the register is
empty or its event takes its last slot (or the marker's), and one cycle after
each issued group the ``P`` lanes hold ``W[g*P + p][i]`` (0 past the last
neuron); otherwise the lanes hold still.
"""

from __future__ import annotations

import random
import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly

from model.snn.config import groups_of
from model.snn.layout import unpack_lanes

from verify.tb.clock import reset
from verify.tb.codecs import EventCodec
from verify.tb.plan import read_plan, write_result


@cocotb.test()
async def xbar_reads_and_routes(dut):
    """Every issued group shows the right weights one cycle later, in order, with the right handshake."""
    plan = read_plan()
    case = plan["case"]
    n_in, n_out, P, q = case["n_in"], case["n_out"], case["lanes"], case["weight_bits"]
    G = groups_of(n_out, P)
    w = np.array(plan["weights"])
    padded = np.zeros((G * P, n_in), dtype=np.int64)
    padded[:n_out] = w
    items = [tuple(it) for it in plan["items"]]
    codec = EventCodec(n_in)
    rng = random.Random(case["seed"])
    dut.events__valid.value = 0
    dut.enable.value = 0
    await reset(dut)

    errors, k, pending, held, cycles = [], 0, None, None, 0
    current, group = None, 0  # the model of the input register: its event and next group
    while (k < len(items) or current is not None or pending is not None) and cycles < 50 * len(items) * (G + 1):
        offer = k < len(items) and rng.random() < 0.8
        enable = rng.random() < 0.75
        dut.events__valid.value = int(offer)
        dut.events__payload.value = codec.pack(*items[k]) if offer else 0
        dut.enable.value = int(enable)
        await ReadOnly()
        word = dut.weights.value
        lanes = unpack_lanes([int(word)], P, q, signed=True)[0].tolist() if word.is_resolvable else None  # unknown before the first read
        if pending is not None:  # the word issued last cycle
            i, g = pending
            want = padded[g * P : (g + 1) * P, i].tolist()
            if lanes != want:
                errors.append(f"event {i} group {g}: lanes {lanes}, expected {want}")
        elif held is not None and lanes != held:
            errors.append(f"lanes changed without an issue: {held} -> {lanes}")
        held, pending = lanes, None
        if int(dut.issue_valid.value) != int(current is not None) or (
            current is not None and int(dut.issue_eos.value) != current[1]
        ):
            errors.append(f"cycle {cycles}: issue_valid/issue_eos do not show the registered event {current}")
        done = False
        if current is not None and enable:
            index, eos = current
            if eos:
                done = True
            else:
                if int(dut.issue_group.value) != group:
                    errors.append(f"event {index}: issued group {int(dut.issue_group.value)}, expected {group}")
                pending = (index, group)
                done = group == G - 1
                group += 1
        ready = int(dut.events__ready.value)
        if ready != int(current is None or done):
            errors.append(f"cycle {cycles}: ready={ready} with the register {'empty' if current is None else 'full'}"
                          f"{' and its last slot taken' if done else ''}")
        if ready:
            current, group = (items[k], 0) if offer else (None, 0)
            k += int(offer)
        await FallingEdge(dut.clk)
        cycles += 1
    if k < len(items):
        errors.append(f"stalled: {k} of {len(items)} events taken in {cycles} cycles")
    write_result(plan, {"cycles": cycles, "events": len(items), "error": "; ".join(errors[:5])})
    assert not errors, "; ".join(errors[:5])
