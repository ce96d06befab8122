"""``python -m bench.lag_density``: the projection lag under the ingest load
at the ten-million city's density, code trees side by side in one run.

``bench scale`` measures the lag once a round in its two hours; a change to
the worker wants more rounds, beside the code before it, in less time. This
generates the latest ``--chunks`` (4) two-month chunks of an ``--events``
(10,000,000) history (bench.density: some 1,150,000 events at that density,
about 4 minutes on 2 cores), rebuilds every view (``--jobs 2``, about 9) and
chains the audit checkpoints, as ``bench scale`` does. Then, ``--rounds``
times, each ``--tree`` in turn (a checkout of the code to compare, such as
``git worktree add /tmp/before HEAD~1``; by default only this one) runs
``bench scale``'s appeals+projections scenario on that history: the service
and ``appeals projections run`` from the tree (``PYTHONPATH``), the command
mix for ``--seconds``, the lag probe beside them (bench.ingest, bench.lag).
With ``--workers 1 --workers 2`` each tree runs once a round with each
number of ``appeals projections run`` processes, which divide the views by
their leases before the load begins (docs/scaling.md).

Reported for each tree and round: commands/s, the lag's p50, p99 and
maximum in the timeliness view, the p99 of the view whose p99 is the worst
(with one worker every view moves at once; with more, each worker's views
move apart from the other's), the cores the workers kept busy, and the
steps of the worker running timeliness as the probe saw them: the time
between two of its commits (median, p90, maximum) and how many log
positions one moved (median), and the machine's CPU check before the round
(bench.machine); then, per tree and number of workers, the median of its
rounds. The figures go to ``--output`` as JSON.

Before the rounds the whole database is vacuumed and analysed, and
autovacuum is turned off for the events table: eventsourcing asks for its
analysis every 1% of new rows, and under the insert load that analysis holds
a lock that every insert's table lock then waits for until PostgreSQL's
deadlock check cancels it, ``deadlock_timeout`` (1 s) later, so every
command stalls a second (docs/operations.md). One stall in a round decides
its p99 whichever tree runs; it is the server's setting, not the worker's.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson

from bench import density, machine
from bench.cluster import Cluster, durable_cluster
from bench.ingest import IngestSection
from bench.plan import FULL
from bench.rebuilds import DATABASE
from bench.stats import percentile

SCENARIO = "appeals+projections"
LAG_VIEW = "timeliness"
"""The view whose positions give the steps (one worker moves all its views
together)."""


@dataclasses.dataclass(frozen=True)
class Steps:
    """The worker's commits as the probe saw one view's position move."""

    count: int
    median_ms: float
    p90_ms: float
    max_ms: float
    positions_median: float  # log positions one commit moved


def steps(readings: Sequence[tuple[float, int]]) -> Steps:
    """From a view's probe readings ``(time.monotonic(), position)``, one a
    change: the time between two commits and the positions each moved."""
    pairs = list(pairwise(readings))
    gaps = [(later[0] - earlier[0]) * 1000 for earlier, later in pairs]
    moved = [float(later[1] - earlier[1]) for earlier, later in pairs]
    if not gaps:
        return Steps(0, float("nan"), float("nan"), float("nan"), float("nan"))
    return Steps(
        count=len(gaps),
        median_ms=percentile(gaps, 0.5),
        p90_ms=percentile(gaps, 0.9),
        max_ms=max(gaps),
        positions_median=statistics.median(moved),
    )


def prepare(cluster: Cluster, events: int, chunks: int) -> None:
    """The history, its views and audit chain, vacuumed."""
    cluster.create_database(DATABASE)
    url = cluster.url(DATABASE)
    began = time.monotonic()
    written = density.generate_recent(url, events, chunks, 2)
    say(f"history: {written:,} events in {time.monotonic() - began:.0f} s")
    env = {**os.environ, "APPEALS_DATABASE_URL": url}
    for argv in (
        ["projections", "rebuild", "all", "--jobs", "2"],
        ["audit", "checkpoint"],
    ):
        began = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "appeals.cli", *argv], env=env, check=True
        )
        say(f"{' '.join(argv)}: {time.monotonic() - began:.0f} s")
    with cluster.server.connect(DATABASE) as connection:
        connection.execute("VACUUM (ANALYZE)")
        connection.execute(
            "ALTER TABLE appeals_events SET (autovacuum_enabled = false)"
        )


def measure(
    cluster: Cluster, tree: Path, work: Path, seconds: float, workers: int
) -> dict[str, Any]:
    """One round of the scenario with the service and ``workers`` projection
    workers from ``tree``."""
    plan = dataclasses.replace(FULL, duration=seconds, projection_workers=workers)
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(tree)  # the children's code
    try:
        section = IngestSection(cluster, plan, work, database=DATABASE)
        run = section.run_scenario(SCENARIO, 1)
    finally:
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous
    probed = orjson.loads((work / "r1_appeals_projections.probe.json").read_bytes())
    readings = [(float(t), int(p)) for t, p in probed["positions"][LAG_VIEW]]
    lag = run.lag[LAG_VIEW]
    return {
        "commands_per_second": run.throughput,
        "lag_p50_ms": lag["p50"],
        "lag_p99_ms": lag["p99"],
        "lag_max_ms": lag["max"],
        "worst_view_p99_ms": max(view["p99"] for view in run.lag.values()),
        "not_seen": max(view["missing"] for view in run.lag.values()),
        "worker_cores": sum(
            busy
            for name, busy in run.cores.items()
            if name.startswith("projection worker")
        ),
        "steps": dataclasses.asdict(steps(readings)),
        "cores": run.cores,
    }


def medians(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over a tree's rounds, in a round's shape."""
    return {
        **{
            key: statistics.median(r[key] for r in rounds)
            for key, value in rounds[0].items()
            if isinstance(value, float)
        },
        "steps": {
            key: statistics.median(r["steps"][key] for r in rounds)
            for key in rounds[0]["steps"]
        },
    }


def line(label: str, figures: dict[str, Any]) -> str:
    step = figures["steps"]
    return (
        f"{label}: {figures['commands_per_second']:.0f} commands/s, lag p50 "
        f"{figures['lag_p50_ms']:.0f} p99 {figures['lag_p99_ms']:.0f} max "
        f"{figures['lag_max_ms']:.0f} ms, worst view p99 "
        f"{figures['worst_view_p99_ms']:.0f} ms; workers "
        f"{figures['worker_cores']:.2f} cores; steps median {step['median_ms']:.0f} "
        f"p90 {step['p90_ms']:.0f} max {step['max_ms']:.0f} ms, "
        f"{step['positions_median']:.0f} positions; CPU check "
        f"{figures.get('cpu_check_ms', float('nan')):.0f} ms"
    )


def setup_label(tree: Path, workers: int) -> str:
    return f"{tree}, {workers} worker{'s' if workers > 1 else ''}"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lag_density")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--chunks", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        help="a checkout of the code to measure (repeat to compare; default: this one)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        help="projection workers beside the load (repeat to compare; default 1)",
    )
    parser.add_argument(
        "--output", type=Path, default=Path("var/bench/lag-density.json")
    )
    args = parser.parse_args(argv)
    trees = [t.resolve() for t in args.tree or [Path(__file__).resolve().parents[1]]]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = Path("var/bench") / f"{stamp}-lag-density"
    counts = args.workers or [1]
    setups = [(tree, count) for tree in trees for count in counts]
    results: dict[str, Any] = {
        "trees": [str(t) for t in trees],
        "workers": counts,
        "rounds": {},
    }
    with durable_cluster(log=say) as cluster:
        prepare(cluster, args.events, args.chunks)
        for number in range(1, args.rounds + 1):
            for index, (tree, count) in enumerate(setups):
                # the machine's own speed: a shared host's cores change
                # speed from round to round, and the lag's tail with them
                speed = machine.cpu_check_ms()
                figures = measure(
                    cluster, tree, work / f"s{index}-r{number}", args.seconds, count
                )
                figures["cpu_check_ms"] = speed
                label = setup_label(tree, count)
                results["rounds"].setdefault(label, []).append(figures)
                say(line(f"round {number}, {label}", figures))
    results["medians"] = {
        label: medians(rounds) for label, rounds in results["rounds"].items()
    }
    for label, figures in results["medians"].items():
        print(line(f"median of {args.rounds} rounds, {label}", figures))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
