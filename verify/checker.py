"""Three sources of every result, each checked against the other two: the RTL, the golden model run
from the weight files, and the export's expected outputs (counts of every layer, output spike trains,
image). A disagreement is named by its artefact and its odd source out, with the first place it shows.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

SOURCES = ("RTL", "golden model", "export")
POSSESSIVE = {"RTL": "the RTL's", "golden model": "the golden model's", "export": "the exported"}


def artefacts(counts, out_trains, image) -> dict:
    """One source's artefacts: ``counts`` per layer ``1..L``, the output trains ``(T, N_L)`` (None: not
    recorded) and the image."""
    out = {f"counts of layer {l}": np.asarray(c) for l, c in enumerate(counts, start=1)}
    if out_trains is not None:
        out["output spike trains"] = np.asarray(out_trains)
    out["image"] = np.asarray(image)
    return out


def _place(name: str, idx: tuple[int, ...]) -> tuple[dict, str]:
    """The fields and words of index ``idx`` into the artefact ``name``."""
    if name == "output spike trains":
        return {"step": idx[0], "neuron": idx[1]}, f"neuron {idx[1]}, step {idx[0]}"
    return {"neuron": idx[0]}, f"{'pixel' if name == 'image' else 'neuron'} {idx[0]}"


def disagreement(by_source: dict[str, dict]) -> dict | None:
    """The first artefact on which the sources (`SOURCES` -> `artefacts`) disagree, or None.

    Returns ``{"artefact", "odd_one_out", "layer", "neuron", "step", "text"}``; ``odd_one_out`` is the
    source that differs from two that agree (None when all three differ).
    """
    names = dict.fromkeys(n for source in by_source.values() for n in source)
    for name in names:
        values = {s: by_source[s][name] for s in by_source if name in by_source[s]}
        agreeing = [(a, b) for a, b in combinations(values, 2) if np.array_equal(values[a], values[b])]
        if len(values) < 2 or len(agreeing) == len(values) * (len(values) - 1) // 2:
            continue
        odd = next(s for s in values if s not in agreeing[0]) if agreeing and len(values) == 3 else None
        target, ref = (odd, agreeing[0][0]) if odd else tuple(values)[:2]
        idx = tuple(int(i) for i in np.argwhere(values[target] != values[ref])[0])
        fields, where = _place(name, idx)
        verb = "is" if name == "image" else "are"
        if odd:
            text = (f"{POSSESSIVE[odd]} {name} {verb} wrong: the {agreeing[0][0]} and {agreeing[0][1]} agree, the {odd} "
                    f"differs at {where} ({values[odd][idx]} vs {values[ref][idx]})")
        elif len(values) == 2:
            text = f"the {target} and the {ref} differ on the {name}, first at {where} ({values[target][idx]} vs {values[ref][idx]})"
        else:
            text = f"the RTL, the golden model and the export all differ on the {name}, first at {where}"
        layer = int(name.rsplit(" ", 1)[1]) if name.startswith("counts") else None
        return {"artefact": name, "odd_one_out": odd, "layer": layer, **fields, "text": text}
    return None
