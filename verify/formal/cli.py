"""``spikegan formal`` (``make formal``): every proof of `verify.formal.proofs.PROOFS` to its bound (or
``--bound``), a report of each (the assertions' bounded check and the cover statements' reach) in JSON and
Markdown under ``--out``; a non-zero exit if any fails."""

from __future__ import annotations

import time
from pathlib import Path

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_out
from model.common.progress import progress_bar
from model.common.runinfo import machine
from verify.formal.proofs import PROOFS
from verify.formal.sby import run_proof


def folder_name(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-")


def formal(out="reports/formal", bound: int | None = None, quick: bool = False) -> dict:
    """Run every proof into ``out`` to its bound (``quick``: its quick bound; ``bound``: that many cycles) and
    write the report; returns it."""
    if bound is not None and bound < 1:
        raise UserError(f"--bound {bound}: at least 1 cycle")
    if bound is not None and quick:
        raise UserError("--bound and --quick each set the bound: give one of them")
    out, start = Path(out), time.perf_counter()
    rows = []
    for proof in progress_bar(PROOFS, desc="formal", unit="proof"):
        depth = bound or (proof.quick if quick else proof.depth)
        rows.append(run_proof(proof.name, proof.make(), depth, out / folder_name(proof.name)))
    report = {"proofs": rows, "passed": all(r["passed"] for r in rows),
              "seconds": round(time.perf_counter() - start, 1), "machine": machine()}
    write_json_and_markdown(out / "formal.json", report, markdown(report), out / "formal.md", indent=2)
    return report


def markdown(report: dict) -> str:
    yes = {True: "yes", False: "**NO**"}
    lines = ["# Formal proofs", "",
             "Bounded model checks with SymbiYosys and Yices: the assertions hold in every run of the bound's length "
             "from reset, and every cover statement is reached within it.", "",
             "| block | bound (cycles) | assertions hold | covers reached | seconds |", "|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['depth']} | {yes[r['bmc']]} | {yes[r['cover']]} | {r['seconds']} |"
              for r in report["proofs"]]
    lines += ["", f"Made in {report['seconds']:.0f} s on {report['machine']['cpus']} CPU(s), {report['machine']['date']}."]
    return "\n".join(lines) + "\n"


def add_arguments(parser) -> None:
    parser.add_argument("--bound", type=int, default=None,
                        help="check every proof to this many cycles (default: each proof's own bound)")
    parser.add_argument("--quick", action="store_true",
                        help="check every proof to the shortest bound that reaches its covers (what make test runs)")
    add_out(parser, "reports/formal", "output folder: the report, and each proof's SymbiYosys files and log")


def run(args) -> int:
    report = formal(args.out, args.bound, args.quick)
    print(markdown(report))
    print(f"report: {args.out}/formal.md, formal.json")
    failed = [r["name"] for r in report["proofs"] if not r["passed"]]
    for r in report["proofs"]:
        if not r["passed"]:
            print(f"failed: {r['name']}: {r['failure'] or 'a cover statement not reached'}; log {r['log']}")
    return 0 if not failed else 1
