"""Whether a surviving source mutant (`verify.mutate_source`) is equivalent on the regression's designs, proven.

A source mutant changes every design generated from ``hw``, and the
regression runs a few of them. For each case's design the original ``hw`` and
the mutant's each write the generator's Verilog, in a process that imports
that copy (`case_rtl`); where the two texts differ, Yosys proves them
equivalent register by register and port by port (`verify.formal.equivalence`).
The mutant is equivalent on those cases when every case's generator is the
same text or proven so, and its other files (the memories' contents, the ROM
and RAM modules; not the lint waivers, which the regression's lint run has
passed) are the same.
"""

from __future__ import annotations

import json
from pathlib import Path

from verify.formal.equivalence import STEPS, prove_equivalent
from verify.mutants import call_in_tree


def case_rtl(seed: int, out: str) -> dict:
    """Write regression case ``seed``'s generator into ``out`` with the ``hw`` this process imports, as
    `verify.regress.run_case` builds it: ``{"top", "sources"}`` (file names), or ``{"skipped": why}``."""
    import numpy as np

    from hw.build import build
    from model.common.errors import UserError
    from model.snn.export import export_network, load
    from verify.regress import case_network, case_vectors, draw

    config = draw(seed)
    try:
        net = case_network(config, seed, np.random.default_rng(seed))
    except UserError as e:
        return {"skipped": str(e)}
    ex = load(export_network(net, Path(out) / "snn", case_vectors(net, seed), directed=False))
    rtl = build(ex, Path(out) / "rtl", run_lint=False)
    return {"top": rtl.top, "sources": [p.name for p in rtl.sources]}


def write_case_rtl(tree: Path, base: Path, seed: int, out: Path) -> dict:
    """`case_rtl` in a process started in ``tree`` (its ``hw`` first on the path), the rest imported from
    ``base``."""
    try:
        return call_in_tree(tree, base, "verify.source_equivalence.case_rtl", seed, str(out))
    except RuntimeError as e:
        raise RuntimeError(f"writing case {seed}'s RTL failed: {e}") from None


NOT_HARDWARE = ("rtl.json", "lint_waivers.vlt")  # what the RTL folder says about the design, not the design


def _differing_files(gold: Path, gate: Path, generator: str) -> list[str]:
    """The files of the two RTL folders, other than the generator and `NOT_HARDWARE`, whose contents differ."""
    names = {p.name for p in gold.iterdir()} | {p.name for p in gate.iterdir()}
    return sorted(n for n in names - {generator, *NOT_HARDWARE}
                  if not ((gold / n).is_file() and (gate / n).is_file() and (gold / n).read_bytes() == (gate / n).read_bytes()))


def prove_on_cases(tree: Path, base: Path, seeds: list[int], root: Path, steps=STEPS) -> dict:
    """Prove the mutant ``tree`` (a folder with its ``hw``) equivalent to ``base``'s on each case of ``seeds``
    (``steps``: `prove_equivalent`'s): ``{"proven", "why", "seconds"}``, and where proven ``cases`` (per case,
    "same Verilog" or "proof"). The original's RTL is written once per case under ``root / "gold"``."""
    seconds, cases = 0.0, {}
    for seed in seeds:
        gold_dir = root / "gold" / f"case{seed}"
        if (gold_dir / "case.json").exists():
            gold = json.loads((gold_dir / "case.json").read_text())
        else:
            gold = write_case_rtl(base, base, seed, gold_dir)
            (gold_dir / "case.json").write_text(json.dumps(gold))
        if "skipped" in gold:
            continue
        gate = write_case_rtl(tree, base, seed, tree / "proof" / f"case{seed}")
        generator = gold["sources"][-1]
        if gate.get("sources") != gold["sources"] or gate.get("top") != gold["top"]:
            return {"proven": False, "why": f"case {seed}: the mutant writes other files or another top", "seconds": seconds}
        a, b = gold_dir / "rtl", tree / "proof" / f"case{seed}" / "rtl"
        if differ := _differing_files(a, b, generator):
            return {"proven": False, "why": f"case {seed}: the mutant changes {', '.join(differ)}", "seconds": seconds}
        if (a / generator).read_text() == (b / generator).read_text():
            cases[seed] = "same Verilog"
            continue
        proof = prove_equivalent(a / generator, b, gold["sources"][:-1], generator, gold["top"], None, steps)
        seconds += proof["seconds"]
        if not proof["proven"]:
            return {**proof, "why": f"case {seed}: {proof['why']}", "seconds": round(seconds, 1)}
        cases[seed] = "proof"
    how = ", ".join(f"{seed}: {'the same Verilog' if v == 'same Verilog' else 'proven'}" for seed, v in cases.items())
    return {"proven": True, "why": f"equivalent on every case's design ({how}; a proof: every register and port equal, "
                                   "by induction)", "seconds": round(seconds, 1), "cases": cases}
