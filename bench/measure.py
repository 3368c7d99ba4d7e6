"""Measures shared by the benchmarks."""

from __future__ import annotations

import os
import platform


def machine_line() -> str:
    """The machine line every result file starts with (host, architecture, cores, Python)."""
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """This process's resident-set high-water mark (``VmHWM``), in MB.

    Not ``resource.getrusage(...).ru_maxrss``: Linux keeps that figure across fork and exec, so a child
    started by a parent that had just built a large database reports the parent's peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
