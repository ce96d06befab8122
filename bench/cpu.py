"""Where the CPU went during a measurement, read from ``/proc`` (Linux).

Groups of processes are named by what we know of them: a session id (every
child the harness starts leads its own session) or the PostgreSQL
postmaster (the cluster is the postmaster and its children). A meter reads
each group's user+system CPU seconds at the start and the end of the
measured window; the difference, divided by the window, is the number of
cores that group kept busy. Processes that exit inside the window lose
their share, which is why everything measured here is long-lived.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    session: int
    cpu_seconds: float


def _stats() -> list[ProcStat]:
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[-1].split()
        # fields[0] is the state; ppid, pgrp, session follow; utime, stime
        # are fields 14 and 15 of the whole line (11 and 12 here).
        found.append(
            ProcStat(
                pid=int(entry.name),
                ppid=int(fields[1]),
                session=int(fields[3]),
                cpu_seconds=(int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
            )
        )
    return found


def machine_busy_seconds() -> float:
    """CPU seconds spent not idle, all cores together, since boot."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0.0
    values = [int(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU seconds per named group between :meth:`start` and :meth:`stop`."""

    sessions: dict[str, int] = field(default_factory=dict)  # name -> session id
    trees: dict[str, int] = field(default_factory=dict)  # name -> root pid
    _begin: dict[str, float] = field(default_factory=dict)
    _end: dict[str, float] = field(default_factory=dict)
    # pid -> (session, CPU seconds), for the processes of the sessions
    _pids_begin: dict[int, tuple[int, float]] = field(default_factory=dict)
    _pids_end: dict[int, tuple[int, float]] = field(default_factory=dict)
    _pids: dict[int, tuple[int, float]] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        stats = _stats()
        self._pids = {
            s.pid: (s.session, s.cpu_seconds)
            for s in stats
            if s.session in self.sessions.values()
        }
        totals: dict[str, float] = {}
        for name, session in self.sessions.items():
            totals[name] = sum(s.cpu_seconds for s in stats if s.session == session)
        for name, root in self.trees.items():
            totals[name] = sum(
                s.cpu_seconds for s in stats if s.pid == root or s.ppid == root
            )
        totals["machine"] = machine_busy_seconds()
        return totals

    def start(self) -> None:
        self._begin = self._read()
        self._pids_begin = self._pids

    def stop(self) -> None:
        self._end = self._read()
        self._pids_end = self._pids

    def processes(self, name: str, seconds: float) -> list[float]:
        """Cores each process of session ``name`` kept busy, busiest first
        (shows whether a server's workers shared the load)."""
        session = self.sessions.get(name, -1)
        found = [
            (cpu - self._pids_begin.get(pid, (session, 0.0))[1]) / seconds
            for pid, (owner, cpu) in self._pids_end.items()
            if owner == session
        ]
        return sorted((c for c in found if c >= 0.01), reverse=True)

    def cores(self, seconds: float) -> dict[str, float]:
        """Cores each group kept busy on average over ``seconds``, with
        ``machine`` (every core's busy time) and ``other`` (the machine less
        the named groups: the kernel, and anything else running)."""
        cores = {
            name: max(0.0, self._end.get(name, 0.0) - begin) / seconds
            for name, begin in self._begin.items()
        }
        named = sum(v for k, v in cores.items() if k != "machine")
        cores["other"] = max(0.0, cores.get("machine", 0.0) - named)
        return cores


def background_cores(seconds: float = 2.0) -> float:
    """How many cores something else keeps busy while we are idle."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / seconds


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
