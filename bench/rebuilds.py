"""The history section: a long history made by the real domain, then every
way of reading it back, each in its own process (bench.replay).

Per round: the raw scan, the library's decode, eventsourcing's
ProjectionRunner over the start of the history and, while its time budget
lasts (always in the first round), the rebuild of every projection one after
another (``appeals projections rebuild all --jobs 1``), side by side in
groups of views, one process per core (no view split), and as ``rebuild
all --jobs 2`` does it now (the views kept per appeal split by appeal over
both processes: ``rebuild-partitioned-2``; with ``--jobs 1`` it is the
one-pass rebuild, measured once). The report says how many rounds each
figure had.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench import processes
from bench import profile as profiling
from bench.cluster import Cluster
from bench.cpu import CpuMeter, postmaster_pid
from bench.plan import Plan

DATABASE = "history"


@dataclass
class ReplayRun:
    """One way of reading the history, in one round."""

    what: str  # "scan", "decode", "decode-ours", "rebuild", "rebuild-parallel",
    # "rebuild-together", "rebuild-partitioned-2", "es-runner"
    round: int
    events: int
    seconds: float
    peak_rss_mib: float
    parts: dict[str, dict[str, float]]  # rebuild: per projection
    cores: dict[str, float]  # the child process and PostgreSQL, busy cores
    cpu_seconds: float = 0.0  # the child's CPU, its own children's included


class HistorySection:
    def __init__(self, cluster: Cluster, plan: Plan, work: Path) -> None:
        self.cluster = cluster
        self.plan = plan
        self.work = work
        self.url = cluster.url(DATABASE)
        # a child's time limit: an hour, or more for a longer history
        self.timeout = max(3600.0, plan.history_events / 1000)

    def generate(self, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Writes the history (bench.history); returns what it wrote.
        ``progress`` hears how far it has got, every WATCH_SECONDS or so."""
        self.cluster.create_database(DATABASE)
        result_file = self.work / "history.json"
        log_file = self.work / "history.log"
        processes.run_child(
            "bench.history",
            [
                self.url,
                str(self.plan.history_events),
                str(result_file),
                "--processes",
                str(self.plan.history_processes),
            ],
            log_file,
            timeout=self.timeout,
            watch=None if progress is None else processes.relay_log(log_file, progress),
        )
        result: dict[str, Any] = orjson.loads(result_file.read_bytes())
        with self.cluster.server.connect(DATABASE) as connection:
            connection.execute("VACUUM ANALYZE")
        result["database_size"] = self.cluster.database_size(DATABASE)
        return result

    def child(
        self,
        what: str,
        number: int,
        *extra: str,
        label: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> ReplayRun:
        """One bench.replay mode in its own process, recorded as ``label``
        (the mode's name unless given); ``progress`` hears how far a rebuild
        has got."""
        label = label or what
        result_file = self.work / f"replay_{label}_{number}.json"
        log_file = self.work / f"replay_{label}_{number}.log"
        meter = CpuMeter()
        root = postmaster_pid(self.cluster.data_dir)
        if root is not None:
            meter.trees["postgres"] = root
        meter.start()
        usage = processes.run_child(
            "bench.replay",
            [what, self.url, str(result_file), *extra],
            log_file,
            timeout=self.timeout,
            watch=None if progress is None else processes.relay_log(log_file, progress),
        )
        meter.stop()
        wall = max(usage.wall_seconds, 1e-9)
        cores = meter.cores(wall)
        cores["reader process"] = usage.cpu_seconds / wall
        # The reader's PostgreSQL backend exits with it, before the meter's
        # last reading, so its CPU shows up among the unnamed rest.
        rest = cores.pop("other") + cores.pop("postgres", 0.0)
        cores["postgres, kernel, other"] = max(0.0, rest - cores["reader process"])
        result = orjson.loads(result_file.read_bytes())
        return ReplayRun(
            what=label,
            round=number,
            events=int(result["events"]),
            seconds=float(result["seconds"]),
            peak_rss_mib=max(
                usage.peak_rss_kib / 1024,
                float(result.get("children_peak_rss_mib", 0.0)),
            ),
            parts=result.get("projections", {}),
            cores=cores,
            cpu_seconds=usage.cpu_seconds,
        )

    def run(self, progress: Callable[[str], None]) -> list[ReplayRun]:
        """Every round reads the log (scan, decode, ProjectionRunner); the
        rebuild of every view joins a round while its budget lasts (always in
        the first): at today's speed one rebuild of a 1,000,000-event history
        takes minutes, and the run has to end within half an hour."""
        plan = self.plan
        runs: list[ReplayRun] = []
        rebuilding = 0.0
        for number in range(1, plan.rounds + 1):
            for what, extra in (
                ("scan", ()),
                ("decode", ("--limit", str(plan.decode_limit))),
                ("decode-ours", ("--limit", str(plan.decode_limit))),
                (
                    "es-runner",
                    (
                        "--limit",
                        str(plan.es_runner_limit),
                        "--seconds",
                        str(plan.es_runner_seconds),
                    ),
                ),
            ):
                progress(f"history round {number}: {what}")
                runs.append(self.child(what, number, *extra))
                if what == "es-runner":
                    self._reset_es_runner()
            last = rebuilding / (number - 1) if number > 1 else 0.0
            if number > 1 and rebuilding + last > plan.rebuild_budget:
                continue
            began = time.monotonic()
            progress(f"history round {number}: rebuild every view in one pass")
            runs.append(self.child("rebuild-together", number, progress=progress))
            progress(f"history round {number}: rebuild every view, one pass per core")
            runs.append(self.child("rebuild-parallel", number, progress=progress))
            # Split by appeal over 2 processes; with 1 it is exactly the
            # one-pass rebuild above (bench.replay), not run twice.
            progress(f"history round {number}: rebuild split by appeal, 2 jobs")
            runs.append(
                self.child(
                    "rebuild-partitioned",
                    number,
                    "--jobs",
                    "2",
                    label="rebuild-partitioned-2",
                    progress=progress,
                )
            )
            if number == 1:
                # Each view's own rate: once, the longest of the three.
                progress(f"history round {number}: rebuild each view alone")
                alone = ("--limit", str(plan.decode_limit))
                runs.append(self.child("rebuild", number, *alone))
            rebuilding += time.monotonic() - began
        return runs

    def profile(self, projection: str) -> dict[str, Any]:
        """One rebuild of ``projection`` under py-spy (bench.profile)."""
        raw = self.work / f"profile_rebuild_{projection}.txt"
        argv = [processes.PYTHON, "-m", "bench.replay", "rebuild", self.url]
        argv += [str(self.work / "profile_rebuild.json"), "--only", projection]
        argv += ["--limit", str(self.plan.decode_limit)]
        try:
            profiling.record_command(
                argv, raw, self.work / "profile_rebuild.log", timeout=self.timeout
            )
        except (OSError, subprocess.SubprocessError) as error:
            return {"error": str(error)}
        summary = profiling.summarise(raw)
        summary["projection"] = projection
        return summary

    def _reset_es_runner(self) -> None:
        """The next round's ProjectionRunner starts from the beginning again."""
        with self.cluster.server.connect(DATABASE) as connection:
            for table in ("bench_count_tracking", "bench_count_tracking_count"):
                connection.execute(f"DROP TABLE IF EXISTS public.{table}")
