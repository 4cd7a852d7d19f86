"""cocotb: the on-chip-learning top trained for K iterations against ``FixedGan``
(plan: preset, seed, target bits, iterations). Per iteration the D spike counts
and the G spike totals must match; at the end every synapse state and the last
fake spike trains must be identical."""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from model.memristor.fixed import FixedGan
from model.memristor.gan import PRESETS
from model.snn.xorshift import Xorshift32
from verify.tb.plan import read_plan, write_result


async def readback(dut, sel: int, count: int) -> list[int]:
    """Read ``count`` words of memory ``sel`` through the one-cycle read-back port."""
    out = []
    for a in range(count):
        await FallingEdge(dut.clk)
        dut.rb_sel.value = sel
        dut.rb_addr.value = a
        await RisingEdge(dut.clk)
        await ReadOnly()
        out.append(int(dut.rb_data.value))
    return out


@cocotb.test()
async def top_trains_bit_exact(dut):
    plan = read_plan()
    p = PRESETS[plan["preset"]]()
    target = np.asarray(plan["target"], dtype=bool)
    k_iter = plan["iterations"]
    model = FixedGan(p, Xorshift32(plan["seed"]))
    dut.rst.value = 1
    dut.start.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    dut.seed.value = plan["seed"]
    dut.target.value = sum(int(b) << i for i, b in enumerate(target))
    dut.iterations.value = k_iter
    dut.start.value = 1
    start_ns = get_sim_time("ns")
    await FallingEdge(dut.clk)
    dut.start.value = 0
    mismatches, records = [], []
    for k in range(k_iter):
        rec = model.step(target)
        await RisingEdge(dut.iter_done)
        await ReadOnly()
        got = [int(getattr(dut, n).value) for n in
               ("d_real_true", "d_real_false", "d_fake_true", "d_fake_false", "fake_spikes", "learn_spikes")]
        expect = [int(rec.d_real[0]), int(rec.d_real[1]), int(rec.d_fake[0]), int(rec.d_fake[1]),
                  int(rec.fake_counts.sum()), int(rec.learn_counts.sum())]
        records.append(got)
        if got != expect:
            mismatches.append({"iteration": k, "expected": expect, "got": got})
    await RisingEdge(dut.done)
    cycles = int(get_sim_time("ns") - start_ns) // 10
    g_hw = await readback(dut, 0, p.n_latent * p.n_pixels)
    d_hw = await readback(dut, 1, 2 * p.n_pixels)
    fake_hw = await readback(dut, 2, p.n_pixels)
    g_model = model.codes["gen"].T.reshape(-1).tolist()  # address j * n_in + i
    d_model = model.codes["disc"].T.reshape(-1).tolist()
    fake_counts = [bin(w).count("1") for w in fake_hw]
    final = {
        "g_states_equal": g_hw == g_model,
        "d_states_equal": d_hw == d_model,
        "last_fake_counts_equal": k_iter == 0 or fake_counts == rec.fake_counts.tolist(),
        "g_states_changed": int(sum(a != b for a, b in zip(g_model, _initial(p, plan["seed"], "gen")))),
        "d_states_changed": int(sum(a != b for a, b in zip(d_model, _initial(p, plan["seed"], "disc")))),
    }
    error = None
    if mismatches or not (final["g_states_equal"] and final["d_states_equal"] and final["last_fake_counts_equal"]):
        error = f"{len(mismatches)} iteration mismatches, final {final}"
    write_result(plan, {"iterations": k_iter, "cycles": cycles, "mismatches": mismatches[:10], "final": final,
                        "records": records, "last_fake_words": fake_hw, "error": error})
    assert error is None, error


def _initial(p, seed: int, layer: str) -> list[int]:
    """Initial states of ``layer`` in address order (what training started from)."""
    return FixedGan(p, Xorshift32(seed)).codes[layer].T.reshape(-1).tolist()
