"""``python -m bench scale``: reads, projection lag and the webhook outbox on
a city-scale history (10,000,000 events by default), then
BENCHMARKS-SCALE.md.

A run of its own, apart from ``bench run``: on 2 cores making a history of
ten million events took 49 minutes and rebuilding every view over it 76
(2,213 events/s), 136 minutes in all, longer than the whole of ``bench
run``. In a fresh durable cluster (bench.cluster) it

1. generates the history (bench.history: the demo planner and the real
   domain, at most six years of receipts, so a longer history means more
   appeals a day);
2. reads it once with the raw scan (the same-run ceiling) and rebuilds
   every view once as ``appeals projections rebuild all --jobs 2`` does
   (bench.replay), which also makes the views the reads answer from;
   then chains its audit checkpoints to the head (``appeals audit
   checkpoint``), as a live system's projection worker keeps them;
3. measures every read endpoint on it (bench.reads);
4. runs the command mix against ``appeals serve`` on that same database, on
   top of the history, with the projection worker and the lag probe beside
   it, then with the webhook deliverer and a receiver on 127.0.0.1
   (bench.ingest, each ``rounds`` times).

Everything it starts it stops again, on errors, Ctrl-C and SIGTERM too.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import machine, processes
from bench.cluster import durable_cluster
from bench.cpu import background_cores
from bench.ingest import IngestSection
from bench.plan import FULL, Plan
from bench.reads import ReadSection
from bench.rebuilds import DATABASE, HistorySection
from bench.report_scale import render_scale
from bench.results import begin, finish, save

SCALE = dataclasses.replace(
    FULL, mode="scale", rounds=3, history_events=10_000_000, history_processes=2
)
SCENARIOS = ("appeals+projections", "appeals+webhooks")
"""The ingest scenarios run on the long history: the ones whose targets are
stated at ten million events (lag, the outbox keeping up)."""
REBUILD_JOBS = 2


def run_scale(
    plan: Plan, output: Path, work: Path, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Runs the scale measurements; returns the results the report is made of.

    ``results.json`` is written after every stage, and a stage that fails is
    recorded (``failures``) and the next one runs: an hour of history is not
    lost to a late failure."""
    started = time.monotonic()
    results: dict[str, Any] = {
        "kind": "scale",
        "plan": dataclasses.asdict(plan),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "background_cores": background_cores(),
        "failures": {},
        # the machine's own speed before the history, the reads and each
        # load round: a shared host's cores change speed within a run
        "cpu_check_ms": [],
    }

    def check_speed() -> None:
        results["cpu_check_ms"].append(machine.cpu_check_ms())

    def stage(name: str, measure: Callable[[], None]) -> None:
        try:
            measure()
        except Exception as error:  # recorded; the run goes on
            progress(f"{name} failed: {error}")
            results["failures"][name] = f"{type(error).__name__}: {error}"
        save(work, results)

    with durable_cluster(log=progress) as cluster:
        begin(results, cluster)
        history = HistorySection(cluster, plan, work)
        results["replay"] = []

        def generate() -> None:
            progress(f"history: generating {plan.history_events:,} events")
            results["history"] = history.generate(progress)

        def scan() -> None:
            progress("history: raw scan")
            results["replay"].append(dataclasses.asdict(history.child("scan", 1)))

        def rebuild() -> None:
            progress(f"history: rebuild every view, --jobs {REBUILD_JOBS}")
            run = history.child(
                "rebuild-partitioned",
                1,
                "--jobs",
                str(REBUILD_JOBS),
                label=f"rebuild-partitioned-{REBUILD_JOBS}",
                progress=progress,
            )
            results["replay"].append(dataclasses.asdict(run))

        def chain() -> None:
            # A live system's worker keeps the audit chain at the head; a
            # generated history has none, so it is chained once, as the
            # operator's command does after an import.
            progress("history: chaining the audit checkpoints")
            env = {"APPEALS_DATABASE_URL": history.url}
            log_file = work / "checkpoint.log"  # its progress every 10 s, relayed
            usage = processes.run_child(
                "appeals.cli",
                ["audit", "checkpoint"],
                log_file,
                env=env,
                timeout=history.timeout,
                watch=processes.relay_log(log_file, progress),
            )
            results["checkpoints"] = {
                "events": results.get("history", {}).get("head", 0),
                "seconds": usage.wall_seconds,
                "cpu_seconds": usage.cpu_seconds,
            }

        reads = ReadSection(cluster, plan, work)

        def read() -> None:
            results["reads"] = [dataclasses.asdict(r) for r in reads.run(progress)]
            results["reads_skipped"] = reads.skipped

        check_speed()
        stage("generate", generate)
        stage("scan", scan)
        stage("rebuild", rebuild)
        stage("chain", chain)
        check_speed()
        stage("reads", read)
        ingest = IngestSection(cluster, plan, work, database=DATABASE)
        results["ingest"] = []
        for number in range(1, plan.rounds + 1):
            check_speed()
            for scenario in SCENARIOS:

                def load(scenario: str = scenario, number: int = number) -> None:
                    progress(f"load on the history, round {number}: {scenario}")
                    run = ingest.run_scenario(scenario, number)
                    results["ingest"].append(dataclasses.asdict(run))

                stage(f"{scenario}, round {number}", load)
        results["database_size_at_end"] = cluster.database_size(DATABASE)
    finish(results, started, work)
    output.write_text(render_scale(results))
    progress(f"wrote {output} in {results['seconds'] / 60:.1f} min")
    return results
