"""JSON of reports: one rule for values JSON does not know, one way to write a report and its Markdown summary."""

import json
from pathlib import Path

import numpy as np
import pytest

from model.common.jsonio import dumps, write_json, write_json_and_markdown


def test_numpy_values_are_numbers_paths_are_strings():
    value = {"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(3), "d": Path("x/y.json"), "e": (1, 2)}
    assert json.loads(dumps(value)) == {"a": 0.5, "b": 3, "c": [0, 1, 2], "d": "x/y.json", "e": [1, 2]}


def test_other_values_are_refused_by_name():
    with pytest.raises(TypeError, match="set is not JSON serialisable"):
        dumps({"a": {1, 2}})


def test_write_json_ends_in_a_newline_and_leaves_no_temporary_file(tmp_path):
    path = write_json(tmp_path / "a.json", {"x": [1, 2]}, indent=2)
    assert path.read_text() == '{\n  "x": [\n    1,\n    2\n  ]\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_report_beside_its_markdown_summary(tmp_path):
    paths = write_json_and_markdown(tmp_path / "new" / "x.json", {"a": 1}, "# x\n")
    assert paths == [tmp_path / "new" / "x.json", tmp_path / "new" / "report.md"]
    assert paths[0].read_text() == '{"a": 1}\n' and paths[1].read_text() == "# x\n"


def test_report_at_any_paths_with_an_indent(tmp_path):
    json_path, md_path = write_json_and_markdown(tmp_path / "x", {"a": 1}, "# x\n", tmp_path / "x.md", indent=1)
    assert json_path.read_text() == '{\n "a": 1\n}\n' and md_path.read_text() == "# x\n"
