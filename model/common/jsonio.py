"""JSON for reports and manifests: one rule for the values JSON does not know, one way to write a report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model.common.files import write_atomic


def json_default(obj):
    """``json.dumps(..., default=json_default)``: numpy values as Python numbers and lists, paths as strings;
    anything else is an error (a report should not hold what it cannot show)."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable (reports hold numbers, strings, lists, "
                    "dicts, numpy values and paths)")


def dumps(obj, **kwargs) -> str:
    return json.dumps(obj, default=json_default, **kwargs)


def write_json(path, data, indent: int | None = None) -> Path:
    """``data`` as JSON and a newline, written atomically (other processes may be reading it)."""
    return write_atomic(path, dumps(data, indent=indent) + "\n")


def write_json_and_markdown(json_path, report: dict, text: str, md_path=None, indent: int | None = None) -> list[Path]:
    """A report: ``report`` as JSON at ``json_path`` and its Markdown summary ``text`` at ``md_path`` (default:
    ``report.md`` beside the JSON); makes the folder if needed."""
    json_path = Path(json_path)
    md_path = json_path.with_name("report.md") if md_path is None else Path(md_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    return [write_json(json_path, report, indent), write_atomic(md_path, text)]
