"""JSON for reports and manifests: numpy scalars and arrays written as plain numbers and lists."""

from __future__ import annotations

import json

import numpy as np


def json_default(obj):
    """``json.dumps(..., default=json_default)``: numpy values as Python ones; anything else is an error."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def dumps(obj, **kwargs) -> str:
    return json.dumps(obj, default=json_default, **kwargs)


def write_json_and_markdown(out_dir, stem: str, report: dict, text: str) -> None:
    """``<stem>.json`` (the report) and ``report.md`` (``text``) in ``out_dir``, the form of every report."""
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(dumps(report) + "\n")
    (out / "report.md").write_text(text)
