"""What a report records about how it was made: the machine (so that its wall times can be read), the commit and the command."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """CPU, core count, memory, the 1-minute load average (the load the wall times were measured under), the date
    and the commit."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gib = None
    return {
        "cpu": _cpu_name(),
        "cpus": os.cpu_count(),
        "memory_gib": None if mem_gib is None else round(mem_gib, 1),
        "load_1min": load,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "python": platform.python_version(),
        "commit": commit(),
    }


CODE = Path(__file__).resolve().parents[2]  # the checkout this code runs from, whatever the working folder


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True, cwd=CODE).stdout.strip()


def commit() -> str:
    """The short commit hash of the checkout the code runs from, ``-dirty`` after it when tracked files differ from it ('?' outside a
    git checkout)."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        return head + ("-dirty" if _git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def command_line(prog: str, args) -> str:
    """``prog`` and the options as given, to name the command that made a report."""
    out = [prog]
    for key, value in vars(args).items():
        if key.startswith("_") or key in ("command", "func") or value in (None, False):
            continue
        flag = "--" + key.replace("_", "-")
        out += [flag] if value is True else [flag, str(value)]
    return " ".join(out)
