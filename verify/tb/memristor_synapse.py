"""cocotb: the 1M4T synapse datapath against ``model.memristor.fixed`` over random
spike-timing pairs (plan: preset, layer, seed, vectors)."""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import Timer

from model.memristor import synapse as syn
from model.memristor.fixed import build_spec, synapse_update
from model.memristor.gan import PRESETS
from verify.tb.plan import read_plan, write_result

MODES = {syn.NONE: 0, syn.REWARD: 1, syn.PUNISH: 2}  # model mode -> hw Mode value


def latest_pre(word: int, t: int) -> int:
    """Age of the latest pre spike at or before ``t`` (-1: none)."""
    for s in range(t, -1, -1):
        if word >> s & 1:
            return t - s
    return -1


@cocotb.test()
async def synapse_random_timing(dut):
    plan = read_plan()
    spec = build_spec(PRESETS[plan["preset"]]())
    layer = spec.layer(plan["layer"])
    rnd = random.Random(plan["seed"])
    steps, top = spec.steps, spec.state_max
    mismatches, changed, clamped = [], 0, 0
    for n in range(plan["vectors"]):
        edge = rnd.random()
        state = rnd.randrange(64) if edge < 0.1 else top - rnd.randrange(64) if edge < 0.2 else rnd.randrange(top + 1)
        t_post = rnd.randrange(steps)
        word = 0
        for _ in range(rnd.randrange(4)):  # 0-3 pre spikes anywhere, some after t_post
            word |= 1 << rnd.randrange(steps)
        fire = int(rnd.random() < 0.9)
        mode = rnd.choice((syn.REWARD, syn.PUNISH, syn.NONE))
        dut.state.value = state
        dut.word.value = word
        dut.t.value = t_post
        dut.fire.value = fire
        dut.mode.value = MODES[mode]
        await Timer(1, "ns")
        age = latest_pre(word, t_post)
        expect_state = synapse_update(state, age, mode, layer, spec) if fire else state
        expect = (expect_state, spec.g_rom[state >> spec.g_shift], word >> t_post & 1)
        got = (int(dut.new_state.value), int(dut.weight.value), int(dut.spike.value))
        if got != expect:
            mismatches.append({"n": n, "state": state, "word": word, "t": t_post, "fire": fire, "mode": mode,
                               "expected": expect, "got": got})
        changed += expect_state != state
        clamped += expect_state in (0, top) and expect_state != state
    write_result(plan, {"vectors": plan["vectors"], "changed": changed, "clamped": clamped,
                        "mismatches": mismatches[:10], "mismatch_count": len(mismatches),
                        "error": f"{len(mismatches)} mismatches" if mismatches else None})
    assert not mismatches, mismatches[:3]
