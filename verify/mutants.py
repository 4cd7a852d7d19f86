"""What both mutation runs (`verify.mutate` of the Verilog, `verify.mutate_source` of the Amaranth source) share:
the draw of mutants spread over their kinds, the edit that writes one mutant into a file, the call that runs a
function on a mutated copy of ``hw``, and the comparison that kills a mutant by its timing."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path


def spread(candidates: list[tuple], count: int, seed: int) -> list[tuple]:
    """``count`` of the ``candidates`` (tuples whose first field is their kind) drawn with ``seed``, spread over
    the kinds: round robin over a shuffle of each kind."""
    rng = random.Random(seed)
    by_kind: dict[str, list] = {}
    for c in candidates:
        by_kind.setdefault(c[0], []).append(c)
    for group in by_kind.values():
        rng.shuffle(group)
    chosen, kinds = [], sorted(by_kind)
    while len(chosen) < count and any(by_kind.values()):
        for k in kinds:
            if by_kind[k] and len(chosen) < count:
                chosen.append(by_kind[k].pop())
    return chosen


def replace_line(path: Path, line: int, before: str, after: str) -> None:
    """Make line ``line`` (1-based) of the file ``path``, which must read ``before``, read ``after``."""
    lines = path.read_text().splitlines()
    if lines[line - 1] != before:
        raise RuntimeError(f"bug: a mutant does not match line {line} of {path}")
    lines[line - 1] = after
    path.write_text("\n".join(lines) + "\n")


def call_in_tree(tree: Path, base: Path | str, function: str, *args):
    """``function(*args)`` (``"module.name"``, its arguments and result JSON) in a process started in ``tree``,
    whose ``hw`` it imports first, the rest from ``base``; a `RuntimeError` with its last line of stderr where
    the process fails."""
    module, name = function.rsplit(".", 1)
    code = f"import json, sys; from {module} import {name}; print(json.dumps({name}(*json.loads(sys.argv[1]))))"
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(args)], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(base)}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr.strip().splitlines() or ["no message"])[-1][:200])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def timing_difference(result: dict, reference: list[dict]) -> str | None:
    """Where the images of ``result`` first differ in timing from the unmutated design's ``reference`` images:
    the cycles from start to done, then the cycle each layer ended each step's sweep in; None if nowhere."""
    for k, (im, ref) in enumerate(zip(result["images"], reference)):
        if im["cycles"] != ref["cycles"]:
            return f"image {k} took {im['cycles']} cycles, the unmutated design {ref['cycles']}"
    for k, (im, ref) in enumerate(zip(result["images"], reference)):
        for layer, ends in ref["sweep_ends"].items():
            got = im["sweep_ends"].get(layer, [])
            t = next((t for t, (a, b) in enumerate(zip(got, ends)) if a != b), None)
            if t is not None:
                return (f"image {k}: layer {layer} ended step {t}'s sweep in cycle {got[t]}, "
                        f"the unmutated design in cycle {ends[t]}")
    return None
