"""Mutation testing: the operators make the faults they name, the draw is spread and reproducible, and a
run on a tiny generator kills mutants and reports its score and survivors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.snn.config import SnnConfig
from verify.mutate import choose, mutation_run, sites
from verify.system import random_export

SNIPPET = """\
module m;
  assign a = $signed(b) >= $signed(6'h12);
  assign c = d ? e : f;
  assign g = h + i;
  always @(posedge clk) x <= y;
endmodule
"""


def test_each_operator_makes_the_fault_it_names():
    made = {(kind, after.strip()) for kind, _, _, after in sites(SNIPPET)}
    assert ("comparison", "assign a = $signed(b) > $signed(6'h12);") in made
    assert ("constant", "assign a = $signed(b) >= $signed(6'h13);") in made  # a threshold off by one
    assert ("mux", "assign c = d ? f : e;") in made
    assert ("arithmetic", "assign g = h - i;") in made
    assert ("stuck-at-0", "assign c = 0;") in made
    assert all(line != 5 for _, line, _, _ in sites(SNIPPET))  # only assigns: not the non-blocking <= of a register


def test_the_draw_is_reproducible_and_spread_over_the_kinds():
    a, b = choose(SNIPPET, 5, seed=3), choose(SNIPPET, 5, seed=3)
    assert a == b and len({m.kind for m in a}) == 5


@pytest.mark.sim
def test_a_mutation_run_kills_mutants_and_lists_the_survivors(tmp_path):
    config = SnnConfig(sizes=(12, 9, 7, 10), timesteps=10, lanes=4, weight_bits=6, membrane_bits=12, input_bits=4)
    manifest = random_export(tmp_path / "snn", config, seed=11, vectors=1, weight_scale=0.35, bias_scale=3)
    report = mutation_run(manifest, "icarus", 6, 1, tmp_path / "report", build_root=tmp_path / "builds", prove=False)
    assert report["mutants"] == 6 and report["killed"] >= 3
    assert report["score"] == report["killed"] / 6
    assert len(report["survivors"]) == 6 - report["killed"]
    saved = json.loads(Path(tmp_path / "report" / "mutation.json").read_text())
    assert saved["score"] == report["score"] and "Mutation score" in (tmp_path / "report" / "report.md").read_text()


def test_timing_kills_name_the_first_image_layer_and_step_that_moved():
    from verify.mutants import timing_difference

    ref = [{"cycles": 90, "sweep_ends": {"1": [10, 20], "2": [15, 30]}}] * 2
    same = {"images": [dict(r) for r in ref]}
    assert timing_difference(same, ref) is None
    slower = {"images": [ref[0], {"cycles": 91, "sweep_ends": ref[1]["sweep_ends"]}]}
    assert timing_difference(slower, ref) == "image 1 took 91 cycles, the unmutated design 90"
    held = {"images": [ref[0], {"cycles": 90, "sweep_ends": {"1": [10, 20], "2": [16, 30]}}]}
    assert timing_difference(held, ref) == "image 1: layer 2 ended step 0's sweep in cycle 16, the unmutated design in cycle 15"


def test_a_mutant_of_a_wire_nothing_reads_is_equivalent():
    text = """\
module m;
  output out;
  wire [3:0] \\u.$1 ;
  wire [3:0] \\u.$2 ;
  assign \\u.$1 [1:0] = a;
  assign { \\u.$1 [3:2], x } = b;
  assign \\u.$2  = c + d;
  assign out = \\u.$2 [1];
endmodule
"""
    from verify.mutate import drives_nothing

    assert drives_nothing(text, 5) and drives_nothing(text, 6)
    assert not drives_nothing(text, 7)  # read by out
    assert not drives_nothing(text, 8)  # out is a port, read outside


def test_a_ramp_networks_mutants_are_drawn_from_its_ramp_layers_own_logic():
    from model.snn.config import RAMP
    from verify.mutate import LAYER_LOGIC, mutated_logic

    verilog = ("  assign \\layer1.fire  = a >= b;\n  assign \\layer1.xbar.addr  = c + d;\n"
               "  assign \\source.x  = e & f;\n  assign \\layer12.slope0  = g + h;\n")
    lines = {line for _, line, _, _ in sites(verilog, LAYER_LOGIC)}
    assert lines == {1, 4}  # the layers' own wires, not their XBAR's, not the Spike ROM's
    assert mutated_logic(SnnConfig(**RAMP)) is LAYER_LOGIC and mutated_logic(SnnConfig()) is None


def _proof_of(tmp_path, net, pattern: str, mutate) -> dict:
    """`prove_equivalent` (by induction over 4 cycles) on the generator of ``net`` with the first line matching
    ``pattern`` made ``mutate(line)``."""
    import re

    from model.snn.export import export_network, load
    from verify.formal.equivalence import prove_equivalent
    from verify.mutate import Mutant, assigned_wire, mutant_build
    from verify.system import sim_build

    export = load(export_network(net, tmp_path / "snn", np.zeros((1, net.config.sizes[0])), directed=False))
    base = sim_build(export, tmp_path / "base")
    lines = base.rtl.sources[-1].read_text().splitlines()
    n = next(n for n, l in enumerate(lines) if re.search(pattern, l))
    mutant_build(base, Mutant(0, "case", n + 1, lines[n], mutate(lines[n])), tmp_path / "m")
    sources = [p.name for p in base.rtl.sources]
    return prove_equivalent(base.rtl.sources[-1], tmp_path / "m" / "m000" / "rtl", sources[:-1], sources[-1],
                            base.rtl.top, assigned_wire(lines[n]), steps=(4,))


@pytest.mark.sim
@pytest.mark.parametrize("case", ["write data", "write data behind a mux", "strict comparator"])
def test_a_survivor_is_equivalent_only_where_yosys_proves_it(tmp_path, case):
    """Write data that a disabled write port ignores is proven equivalent, also where the changed wire feeds a
    named wire that then differs (only registers and ports are matched); a comparator made strict is not."""
    import re

    from model.snn import ramp
    from model.snn.config import RAMP
    from model.snn.golden import random_network

    small = dict(sizes=(4, 2, 3), timesteps=4, lanes=2, weight_bits=5, membrane_bits=10)
    ramp_net = ramp.random_network(SnnConfig(**small, **RAMP), seed=2)
    zero_to_one = lambda line: re.sub(r"'h0+;$", "'h1;", line)  # noqa: E731
    cases = {"write data": (ramp_net, r"assign \\layer2\.v_wr__data\[0\]  = .* : \d+'h0+;", zero_to_one, True),
             "write data behind a mux": (random_network(SnnConfig(**small), seed=2),
                                         r"assign .*layer2\.\$procmux\$\d+_Y  = \\layer2\.s2_sw  \? .* : \d+'h0+;",
                                         zero_to_one, True),
             "strict comparator": (ramp_net, r">= \$signed\(\\layer2\.s2_thr \);", lambda l: l.replace(" >= ", " > "),
                                   False)}
    net, pattern, mutate, equivalent = cases[case]
    proof = _proof_of(tmp_path, net, pattern, mutate)
    assert proof["proven"] == equivalent, proof


@pytest.mark.sim
def test_busy_low_while_an_image_runs_fails_the_checks(tmp_path):
    """``busy`` made an AND of its two sources (low while an image runs) fails the testbench's busy check."""
    from model.snn.export import load
    from verify.mutate import Mutant, mutant_build
    from verify.system import first_failure, run_generator, sim_build

    config = SnnConfig(sizes=(4, 3, 3), timesteps=4, lanes=2, weight_bits=5, membrane_bits=10)
    export = load(random_export(tmp_path / "snn", config, seed=2, vectors=1))
    base = sim_build(export, tmp_path / "base")
    lines = base.rtl.sources[-1].read_text().splitlines()
    n = next(n for n, l in enumerate(lines) if l.startswith("  assign busy = ") and " | " in l)
    build = mutant_build(base, Mutant(0, "logic", n + 1, lines[n], lines[n].replace(" | ", " & ")), tmp_path / "m")
    images = [{"vector": 0, "encode": 0}]
    result, _ = run_generator(export, "icarus", build, images)
    assert "busy was high in 0 cycles" in (first_failure(result, images) or "")
    result, _ = run_generator(export, "icarus", base, images)
    assert first_failure(result, images) is None
