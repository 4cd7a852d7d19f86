"""Writing files atomically, and only when their text changed."""

import os

import pytest

from model.common.files import atomic_path, update_file, write_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    path = write_atomic(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_an_unchanged_file_keeps_its_mtime(tmp_path):
    path = update_file(tmp_path / "a.v", "module a;\n")
    os.utime(path, (1, 1))
    assert update_file(path, "module a;\n").stat().st_mtime == 1
    assert update_file(path, "module b;\n").read_text() == "module b;\n" and path.stat().st_mtime > 1
