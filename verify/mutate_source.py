"""``spikegan mutate --against regress``: faults in the generator's Amaranth source, run against the regression.

A Verilog mutant (`verify.mutate`) is a fault of one generated design, while
the regression draws a new design per case; so the faults the regression is
scored on are made in the Amaranth source every design is generated from:
one operator per mutant, inside the functions that describe hardware (each
component's ``elaborate`` and the methods and helpers it calls): a comparison
made strict or loose, an equality inverted, ``+`` for ``-``, AND for OR, a
``~`` dropped, the arms of a ``Mux`` swapped. A mutant is a copy of the
``hw`` package (of the run's snapshot of the checkout) with that one change;
its regression cases (the same seeds for every mutant, in practice
`verify.regress.covering_cases`, each run as `verify.regress.run_case` runs
it) run in a subprocess that imports the copy. It is killed when a case fails: by a
mismatch with the golden model, a hang, or a design that no longer builds
(counted apart), or when every case passes but one in other cycles than on the
unmutated design (its cycles per image or a layer's sweep ends, counted apart).
The mutants are Dask tasks, as the regression's cases are.
"""

from __future__ import annotations

import ast
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.runinfo import machine
from verify.mutants import call_in_tree, replace_line, spread, timing_difference

REPO = Path(__file__).resolve().parent.parent
# the generator's hardware: what `verify.regress` cases are built from
SOURCES = ("hw/lif.py", "hw/events.py", "hw/xbar.py", "hw/saturate.py", "hw/generator.py", "hw/spike_rom.py",
           "hw/priority.py", "hw/direct_input.py", "hw/ttfs_lists.py")
SYMBOLS = {ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Lt: "<", ast.Eq: "==", ast.NotEq: "!=",
           ast.Add: "+", ast.Sub: "-", ast.BitAnd: "&", ast.BitOr: "|"}
SWAPS = {ast.GtE: ">", ast.Gt: ">=", ast.LtE: "<", ast.Lt: "<=", ast.Eq: "!=", ast.NotEq: "==",
         ast.Add: "-", ast.Sub: "+", ast.BitAnd: "|", ast.BitOr: "&"}
KINDS = {ast.GtE: "comparison", ast.Gt: "comparison", ast.LtE: "comparison", ast.Lt: "comparison",
         ast.Eq: "equality", ast.NotEq: "equality", ast.Add: "arithmetic", ast.Sub: "arithmetic",
         ast.BitAnd: "logic", ast.BitOr: "logic"}


@dataclass(frozen=True)
class SourceMutant:
    """One fault: in ``file`` at 1-based ``line``, the source text ``before`` made ``after``."""

    index: int
    kind: str
    file: str
    line: int
    before: str
    after: str


def _hardware_functions(tree: ast.Module):
    """The functions that describe hardware: ``elaborate``, the underscore methods of classes, module helpers."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("test"):
            yield node
        if isinstance(node, ast.ClassDef):
            yield from (f for f in node.body if isinstance(f, ast.FunctionDef)
                        and (f.name == "elaborate" or (f.name.startswith("_") and not f.name.startswith("__"))))


def _edits(node, lines: list[str]):
    """(kind, line, start column, end column, end line, replacement) of the faults one AST node can take; an
    operator's replacement is (its symbol, the symbol it becomes) in the text between its operands."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAPS:
        a, b, op = node.left, node.comparators[0], type(node.ops[0])
        yield KINDS[op], a.end_lineno, a.end_col_offset, b.col_offset, b.lineno, (SYMBOLS[op], SWAPS[op])
    elif isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
        a, b, op = node.left, node.right, type(node.op)
        yield KINDS[op], a.end_lineno, a.end_col_offset, b.col_offset, b.lineno, (SYMBOLS[op], SWAPS[op])
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        yield "negation", node.lineno, node.col_offset, node.operand.col_offset, node.operand.lineno, ""
    elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Mux" and len(node.args) == 3:
        x, y = node.args[1], node.args[2]
        if x.lineno == x.end_lineno == y.lineno == y.end_lineno:
            text = lines[x.lineno - 1]
            first, second = text[x.col_offset : x.end_col_offset], text[y.col_offset : y.end_col_offset]
            yield "mux", x.lineno, x.col_offset, y.end_col_offset, y.lineno, \
                second + text[x.end_col_offset : y.col_offset] + first


def sites(path: str, text: str) -> list[tuple[str, str, int, str, str]]:
    """Every (kind, file, line, before, after) one fault makes of one line of hardware source ``text``."""
    lines, out = text.splitlines(), []
    for fn in _hardware_functions(ast.parse(text)):
        for node in ast.walk(fn):
            for kind, line, start, end, end_line, new in _edits(node, lines):
                if line != end_line or "raise" in lines[line - 1]:
                    continue
                before = lines[line - 1]
                if isinstance(new, tuple):  # an operator: its symbol in the text between the operands (and parentheses)
                    gap, (old, swap) = before[start:end], new
                    if gap.count(old) != 1:
                        continue
                    new = gap.replace(old, swap)
                out.append((kind, path, line, before, before[:start] + new + before[end:]))
    return out


def choose(count: int, seed: int, tree: Path = REPO) -> list[SourceMutant]:
    """``count`` mutants of `SOURCES` (in ``tree``) drawn with ``seed`` (`verify.mutants.spread` over the kinds)."""
    candidates = [site for path in SOURCES for site in sites(path, (tree / path).read_text())]
    return [SourceMutant(i, *s) for i, s in enumerate(spread(candidates, count, seed))]


PACKAGES = ("hw", "model", "verify")  # what a mutant's process imports


def snapshot(root: Path) -> Path:
    """A copy of the checkout's packages under ``root``: the mutants are drawn from and made of its ``hw``, and
    their processes import the rest from it, so editing the checkout while they run changes nothing."""
    base = root / "base"
    if base.exists():
        shutil.rmtree(base)
    for package in PACKAGES:
        shutil.copytree(REPO / package, base / package, ignore=shutil.ignore_patterns("__pycache__"))
    return base


def mutant_tree(mutant: SourceMutant, root: Path, base: Path = REPO) -> Path:
    """A folder holding a copy of ``base``'s ``hw`` with ``mutant`` applied (first on the path of a process
    started there)."""
    where = root / f"m{mutant.index:03d}"
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(base / "hw", where / "hw", ignore=shutil.ignore_patterns("__pycache__"))
    replace_line(where / mutant.file, mutant.line, mutant.before, mutant.after)
    return where


def _cases_in(tree: Path, base: str, seeds: list[int], sims: tuple[str, ...], reference: dict | None) -> dict:
    """`cases_until_failure` in a process started in ``tree`` (its ``hw`` first on the path), the rest imported
    from ``base``; a crash of that process is a failure at the simulate stage."""
    try:
        return call_in_tree(tree, base, "verify.mutate_source.cases_until_failure", seeds, list(sims),
                            str(tree / "cases"), reference)
    except RuntimeError as e:
        return {"verdict": "fail", "stage": "simulate", "why": f"the case runner crashed: {e}"}


def reference_timing(seeds: list[int], sims: tuple[str, ...], root: Path, base: Path) -> dict:
    """``{seed: timing}`` of the regression cases ``seeds`` on ``base``'s unmutated ``hw`` (`verify.regress.run_case`'s
    ``timing``), which a mutant's cases must match; an error if a case fails on it."""
    row = _cases_in(base, str(base), seeds, sims, None)
    if row["verdict"] != "pass":
        raise UserError(f"regression case {row.get('seed')} fails on the unmutated design ({row['why'][:200]}): fix "
                        "that before mutating it")
    return row["timing"]


def run_mutant(mutant: SourceMutant, seeds: list[int], sims: tuple[str, ...], root: str, base: str = str(REPO),
               reference: dict | None = None) -> dict:
    """Run the regression cases ``seeds`` on one mutant of ``base``'s ``hw`` (in a subprocess that imports the
    mutated copy), against the unmutated design's ``reference`` timing where given (`reference_timing`); the
    verdict."""
    start = time.perf_counter()
    where = mutant_tree(mutant, Path(root), Path(base))
    row = _cases_in(where, base, seeds, sims, reference)
    by = None if row["verdict"] == "pass" else row["stage"] if row["stage"] in ("build", "timing") else "regression"
    if by is None:
        shutil.rmtree(where, ignore_errors=True)
    return {**asdict(mutant), "verdict": "survived" if by is None else "killed", "by": by,
            "seed": row.get("seed"), "why": row.get("why", "every case passed"), "seconds": round(time.perf_counter() - start, 1)}


def cases_until_failure(seeds: list[int], sims: tuple[str, ...], root: str, reference: dict | None = None) -> dict:
    """Run regression cases ``seeds`` in order (in the mutant's process); the first failing one (stage
    ``timing``: it passed, but in other cycles than ``reference``, ``{seed: timing}``, says), or a pass with every
    case's ``timing``."""
    import hw
    import verify
    from verify.regress import run_case

    if not str(Path(hw.__file__).resolve()).startswith(str(Path.cwd().resolve())):
        raise RuntimeError(f"bug: the mutant's process imported the unmutated hw from {hw.__file__}")
    if Path(verify.__file__).resolve().parent.parent != Path(os.environ["PYTHONPATH"]).resolve():
        raise RuntimeError(f"bug: the mutant's process imported verify from {verify.__file__}, not the run's snapshot")
    timing = {}
    for seed in seeds:
        row = run_case(seed, tuple(sims), root)
        if row["verdict"] == "fail":
            return {"verdict": "fail", "seed": seed, "stage": row["stage"], "why": row["why"]}
        timing[str(seed)] = row.get("timing", [])
        moved = reference and timing_difference({"images": timing[str(seed)]}, reference[str(seed)])
        if moved:
            return {"verdict": "fail", "seed": seed, "stage": "timing", "why": moved}
    return {"verdict": "pass", "timing": timing}


def _prove(row: dict, mutant: SourceMutant, seeds: list[int], root: Path, base: Path) -> dict:
    """A survivor proven equivalent on every case's design (`verify.source_equivalence`) becomes "equivalent";
    the proof's verdict is kept either way."""
    from verify.source_equivalence import prove_on_cases

    proof = prove_on_cases(mutant_tree(mutant, root, base), base, seeds, root)
    row = row | {"proof": proof}
    if proof["proven"]:
        row |= {"verdict": "equivalent", "by": "proof", "why": f"proven equivalent: {proof['why']}"}
    return row


def mutation_run(count: int, seed: int, seeds: list[int], sims: tuple[str, ...], out_dir,
                 build_root="sim_builds/mutants-source", workers: int | None = None, progress=None,
                 prove: bool = True) -> dict:
    """Draw ``count`` source mutants, run each against the regression cases ``seeds`` on Dask; each survivor is
    then proven equivalent on the cases' designs where it is (``prove``). The report scores the others."""
    from dask.distributed import Client, LocalCluster, as_completed

    start = time.perf_counter()
    root = Path(build_root).resolve() / f"s{seed}"
    base = snapshot(root)
    shutil.rmtree(root / "gold", ignore_errors=True)  # the cases' RTL of an earlier run's snapshot
    mutants = choose(count, seed, base)
    reference = reference_timing(seeds, sims, root, base)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        futures = client.map(run_mutant, mutants, seeds=seeds, sims=sims, root=str(root), base=str(base),
                             reference=reference, pure=False)
        rows = []
        for future in as_completed(futures):
            rows.append(future.result())
            if progress:
                progress(len(rows))
    rows.sort(key=lambda r: r["index"])
    if prove:
        rows = [_prove(r, m, seeds, root, base) if r["verdict"] == "survived" else r for r, m in zip(rows, mutants)]
    killed = sum(r["verdict"] == "killed" for r in rows)
    equivalent = sum(r["verdict"] == "equivalent" for r in rows)
    scored = max(len(rows) - equivalent, 1)
    report = {
        "against": "regression", "seed": seed, "case_seeds": seeds, "simulators": list(sims),
        "sites": sum(len(sites(p, (base / p).read_text())) for p in SOURCES), "mutants": len(rows), "killed": killed,
        "equivalent": equivalent, "proofs_tried": sum("proof" in r for r in rows),
        "score": killed / scored, "score_of_all": killed / len(rows),
        "killed_by": {b: sum(r["by"] == b for r in rows) for b in ("build", "regression", "timing")},
        "score_without_build": sum(r["by"] == "regression" for r in rows) / scored,
        "by_kind": {k: [sum(r["verdict"] == "killed" for r in rows if r["kind"] == k), sum(r["kind"] == k for r in rows)]
                    for k in sorted({r["kind"] for r in rows})},
        "survivors": [r for r in rows if r["verdict"] == "survived"], "rows": rows,
        "wall_s": time.perf_counter() - start, "machine": machine(),
    }
    write_json_and_markdown(Path(out_dir) / "mutation.json", report, markdown(report))
    return report


def markdown(report: dict) -> str:
    k = report["killed_by"]
    lines = [
        "# Mutation testing of the generator's source against the regression", "",
        f"{report['mutants']} mutants drawn (seed {report['seed']}) from {report['sites']} sites of the Amaranth source "
        f"({', '.join(SOURCES)}), each run against regression cases {report['case_seeds']} on "
        f"{', '.join(report['simulators'])}; {report['equivalent']} proven equivalent on every case's design (of the "
        f"{report['proofs_tried']} survivors tried, `verify.source_equivalence`); every other survivor counts as alive. "
        f"**Mutation score {report['score']:.1%}** of the other {report['mutants'] - report['equivalent']} "
        f"({report['killed']} killed: {k['build']} because no design builds, {k['regression']} by a failing case, "
        f"{k['timing']} only by their timing: cycles per image or per layer's sweep, against the unmutated design's); "
        f"{report['score_without_build']:.1%} by failing cases alone, {report['score_of_all']:.1%} of all "
        f"{report['mutants']}. {report['wall_s']:.0f} s in all.", "",
        "| kind | killed / mutants |", "|---|---|",
    ]
    lines += [f"| {kind} | {a} / {b} |" for kind, (a, b) in report["by_kind"].items()]
    lines += ["", f"Surviving mutants ({len(report['survivors'])}):", ""]
    lines += [f"- #{r['index']} {r['kind']}, {r['file']} line {r['line']}: `{r['before'].strip()}` -> "
              f"`{r['after'].strip()}`" + (f" (not proven equivalent: {r['proof']['why']})" if "proof" in r else "")
              for r in report["survivors"]] or ["- none"]
    proven = [r for r in report["rows"] if r["verdict"] == "equivalent"]
    if proven:
        lines += ["", f"Proven equivalent ({len(proven)}):", ""]
        lines += [f"- #{r['index']} {r['kind']}, {r['file']} line {r['line']}: `{r['before'].strip()}` -> "
                  f"`{r['after'].strip()}`" for r in proven]
    return "\n".join(lines) + "\n"
