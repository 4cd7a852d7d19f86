"""Mutation testing of the generator's Amaranth source against the regression (`verify.mutate_source`)."""

from __future__ import annotations

import json

import pytest

from verify.mutate_source import REPO, SOURCES, SourceMutant, choose, mutation_run, run_mutant, sites
from verify.regress import draw

SNIPPET = '''\
class Block:
    def __init__(self, n):
        if n >= 2:
            raise ValueError(n)

    def elaborate(self, platform):
        m.d.comb += x.eq(Mux(a, b, c))
        m.d.comb += y.eq(~p | (q & r))
        m.d.sync += z.eq(z + 1)
        with m.If(k >= G - 1):
            pass
'''


def test_each_operator_makes_the_fault_it_names_inside_hardware_functions_only():
    made = {(kind, after.strip()) for kind, _, _, _, after in sites("block.py", SNIPPET)}
    assert ("mux", "m.d.comb += x.eq(Mux(a, c, b))") in made
    assert ("negation", "m.d.comb += y.eq(p | (q & r))") in made
    assert ("logic", "m.d.comb += y.eq(~p & (q & r))") in made  # the operator, not the parenthesis after it
    assert ("logic", "m.d.comb += y.eq(~p | (q | r))") in made
    assert ("arithmetic", "m.d.sync += z.eq(z - 1)") in made
    assert ("comparison", "with m.If(k > G - 1):") in made and ("arithmetic", "with m.If(k >= G + 1):") in made
    assert all(line != 3 for _, _, line, _, _ in sites("block.py", SNIPPET))  # not the constructor's argument check


def test_the_draw_is_reproducible_and_every_site_is_a_line_of_the_sources():
    a, b = choose(20, 3), choose(20, 3)
    assert a == b and len({m.kind for m in a}) == 6
    for m in a:
        assert m.file in SOURCES and (REPO / m.file).read_text().splitlines()[m.line - 1] == m.before != m.after


@pytest.mark.sim
def test_a_mutant_runs_on_its_own_copy_of_hw_and_is_killed_by_a_failing_case(tmp_path):
    lif = (REPO / "hw/lif.py").read_text().splitlines()
    line = next(n for n, t in enumerate(lif, start=1) if "with m.If(sw_g == groups - 1):" in t)  # `group_sweep`
    seed = next(s for s in range(50) if draw(s).neuron == "rate")  # a case that runs LIF layers
    fault = SourceMutant(0, "equality", "hw/lif.py", line, lif[line - 1], lif[line - 1].replace("==", "!="))
    killed = run_mutant(fault, [seed], ("icarus",), str(tmp_path))
    assert killed["verdict"] == "killed" and killed["by"] == "regression" and killed["seed"] == seed
    same = SourceMutant(1, "none", "hw/lif.py", line, lif[line - 1], lif[line - 1] + "  # unchanged")
    survived = run_mutant(same, [seed], ("icarus",), str(tmp_path))
    assert survived["verdict"] == "survived", survived["why"]


@pytest.mark.sim
def test_a_mutation_run_against_the_regression_reports_its_score(tmp_path):
    report = mutation_run(2, 0, [1], ("icarus",), tmp_path / "report", build_root=tmp_path / "b", workers=2,
                          prove=False)
    assert report["mutants"] == 2 and report["equivalent"] == 0 and report["score"] == report["killed"] / 2
    assert report["killed"] == sum(report["killed_by"].values())
    saved = json.loads((tmp_path / "report" / "mutation.json").read_text())
    assert saved["case_seeds"] == [1] and "against the regression" in (tmp_path / "report" / "report.md").read_text()


@pytest.mark.sim
def test_a_spike_event_port_whose_valid_stays_high_is_caught(tmp_path):
    """A valid that is high beyond the spikes (the probe's ``xfer & ~eos`` made ``xfer | ~eos``): the trains and
    counts still match, the wrapper's count of valid cycles does not."""
    gen = (REPO / "hw/generator.py").read_text().splitlines()
    line = next(n for n, t in enumerate(gen, start=1) if "probe.valid.eq(xfer & ~s.payload.eos)" in t)
    fault = SourceMutant(0, "logic", "hw/generator.py", line, gen[line - 1], gen[line - 1].replace("xfer &", "xfer |"))
    row = run_mutant(fault, [2], ("icarus",), str(tmp_path))
    assert row["verdict"] == "killed" and "valid was high in" in row["why"], row["why"]


@pytest.mark.sim
@pytest.mark.parametrize("case", ["the same Verilog", "padding built", "a changed sweep"])
def test_a_survivor_is_equivalent_on_the_cases_only_where_proven(tmp_path, case):
    """A source mutant that writes the same Verilog, or builds the priority encoder's all-padding upper half
    (``>=`` made ``>``: other logic, the same function), is proven equivalent on a case's design; one that ends
    a sweep at another group is not."""
    from verify.mutate_source import mutant_tree, snapshot
    from verify.source_equivalence import prove_on_cases

    faults = {"the same Verilog": ("hw/lif.py", "with m.If(sw_g == groups - 1):", lambda t: t + "  # unchanged"),
              "padding built": ("hw/priority.py", "if lo + half >= n:", lambda t: t.replace(">=", ">")),
              "a changed sweep": ("hw/lif.py", "with m.If(sw_g == groups - 1):", lambda t: t.replace("==", "!="))}
    path, text, change = faults[case]
    lines = (REPO / path).read_text().splitlines()
    line = next(n for n, t in enumerate(lines, start=1) if text in t)
    base = snapshot(tmp_path)
    tree = mutant_tree(SourceMutant(0, case, path, line, lines[line - 1], change(lines[line - 1])), tmp_path, base)
    seed = next(s for s in range(50) if draw(s).neuron == "rate" and draw(s).sizes[0] not in (1, 2, 4, 8, 16))
    proof = prove_on_cases(tree, base, [seed], tmp_path, steps=(4,))
    assert proof["proven"] == (case != "a changed sweep"), proof
    if proof["proven"]:
        assert proof["cases"] == {seed: "same Verilog" if case == "the same Verilog" else "proof"}, proof


@pytest.mark.sim
def test_a_case_in_other_cycles_than_the_unmutated_designs_fails_on_timing(tmp_path):
    """The cases' timing on the unmutated design is the reference: a run whose images take other cycles fails
    at the timing stage, naming the image."""
    from verify.mutate_source import _cases_in, reference_timing, snapshot

    base = snapshot(tmp_path)
    reference = reference_timing([1], ("icarus",), tmp_path, base)
    assert reference["1"] and all(im["cycles"] > 0 for im in reference["1"])
    early = {"1": [dict(im, cycles=im["cycles"] - 1) for im in reference["1"]]}
    row = _cases_in(base, str(base), [1], ("icarus",), early)
    assert row["verdict"] == "fail" and row["stage"] == "timing" and row["why"].startswith("image 0 took"), row
