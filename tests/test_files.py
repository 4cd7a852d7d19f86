"""Writing files atomically, and only when their text changed; emptying only the folders a command made."""

import os

import pytest

from model.common.errors import UserError
from model.common.files import OWNER_FILE, atomic_path, own_folder, update_file, write_atomic


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


def test_an_own_folder_is_emptied_only_when_the_command_made_it(tmp_path):
    out = own_folder(tmp_path / "demo", "spikegan demo")
    (out / "old.txt").write_text("from the last run")
    assert own_folder(out, "spikegan demo") == out and list(out.iterdir()) == [out / OWNER_FILE]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(UserError, match="spikegan demo did not make"):
        own_folder(mine, "spikegan demo")
    assert (mine / "notes.txt").read_text() == "keep"
    assert own_folder(tmp_path / "empty", "spikegan demo").is_dir()
