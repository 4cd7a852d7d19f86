"""What a report records about the machine it was made on, so that its wall times can be read."""

from __future__ import annotations

import os
import platform
import time


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """CPU, core count, memory, the 1-minute load average (the load the wall times were measured under) and the date."""
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
    }
