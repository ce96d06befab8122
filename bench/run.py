"""``python -m bench run [--quick]``: every measurement, then BENCHMARKS.md.

Starts a durable throwaway PostgreSQL cluster (bench.cluster), runs the
ingest section (bench.ingest), makes the long history (bench.history) and
reads it back every way (bench.rebuilds), measures the read endpoints on it
(bench.reads), and writes the report (bench.report) and the raw results
(``var/bench/<stamp>/results.json``, with every child's log beside it).
Everything it starts it stops again, on errors and Ctrl-C (or SIGTERM) too.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from bench import machine
from bench.cluster import durable_cluster
from bench.cpu import background_cores
from bench.ingest import IngestSection
from bench.plan import FULL, QUICK, Plan
from bench.reads import ReadSection
from bench.rebuilds import HistorySection
from bench.report import render
from bench.report_scale import render_scale
from bench.results import ROOT, begin, finish
from bench.scale import SCALE, run_scale

PROFILED_VIEW = "timeliness"
"""The view whose rebuild is profiled: the slowest per event (BENCHMARKS.md)."""
BUSY_MACHINE = 0.2
"""Cores busy before we start above which the report carries a warning."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds, so every child is stopped


def progress(message: str) -> None:
    print(f"bench {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def run(plan: Plan, output: Path, work: Path) -> dict[str, Any]:
    """Runs everything; returns the results the report is made of."""
    started = time.monotonic()
    results: dict[str, Any] = {
        "plan": dataclasses.asdict(plan),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    results["background_cores"] = background_cores()
    if results["background_cores"] > BUSY_MACHINE:
        progress(
            f"warning: {results['background_cores']:.2f} cores busy before the "
            "run started; figures will be lower and noisier than on a quiet machine"
        )
    with durable_cluster(log=progress) as cluster:
        begin(results, cluster)
        ingest = IngestSection(cluster, plan, work)
        results["ingest"] = []
        results["cpu_check_ms"] = []
        for number in range(1, plan.rounds + 1):
            results["cpu_check_ms"].append(machine.cpu_check_ms())
            runs = ingest.run_round(number, progress)
            results["ingest"] += [dataclasses.asdict(r) for r in runs]
        progress("profile: the command mix under py-spy")
        results["profiles"] = {"ingest": ingest.profile()}
        history = HistorySection(cluster, plan, work)
        progress(f"history: generating {plan.history_events:,} events")
        results["history"] = history.generate(progress)
        results["replay"] = [dataclasses.asdict(r) for r in history.run(progress)]
        progress(f"profile: rebuild of {PROFILED_VIEW} under py-spy")
        results["profiles"]["rebuild"] = history.profile(PROFILED_VIEW)
        reads = ReadSection(cluster, plan, work)
        results["reads"] = [dataclasses.asdict(r) for r in reads.run(progress)]
        results["reads_skipped"] = reads.skipped
        results["service_starts"] = {
            "attempts": ingest.starts.attempts + reads.starts.attempts,
            "failures": ingest.starts.failures + reads.starts.failures,
        }
    finish(results, started, work)
    output.write_text(render(results))
    progress(f"wrote {output} in {results['seconds'] / 60:.1f} min")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measures Appeal Ledger against its ceilings; writes BENCHMARKS.md",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_help = (
        "run every measurement (about 45 min; --quick: about 6); writes BENCHMARKS.md"
    )
    go = commands.add_parser("run", help=run_help, description=run_help)
    go.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK.rounds} rounds on a {QUICK.history_events:,}-event history",
    )
    go.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    go.add_argument(
        "--rounds",
        type=int,
        default=None,
        help=f"default {FULL.rounds} ({QUICK.rounds} quick)",
    )
    go.add_argument(
        "--clients",
        type=int,
        default=None,
        help=f"concurrent HTTP clients (default {FULL.clients})",
    )
    go.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"appeals serve --workers (default {FULL.workers})",
    )
    go.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds in each measured ingest window "
        f"(default {FULL.duration:g}; {QUICK.duration:g} quick)",
    )
    go.add_argument(
        "--events",
        type=int,
        default=None,
        dest="history_events",
        help="events in the generated history "
        f"(default {FULL.history_events:,}; {QUICK.history_events:,} quick)",
    )
    scale_help = (
        "reads, lag and the webhook outbox on a city-scale history "
        "(on 2 cores: 66 min at --events 6000000; at the default 10,000,000 "
        "1.5 to 2 h on a fast day, near 3 on a slow one); writes BENCHMARKS-SCALE.md"
    )
    scale = commands.add_parser("scale", help=scale_help, description=scale_help)
    scale.add_argument(
        "--events",
        type=int,
        default=SCALE.history_events,
        dest="history_events",
        help=f"events in the generated history (default {SCALE.history_events:,})",
    )
    scale.add_argument(
        "--rounds", type=int, default=None, help=f"default {SCALE.rounds}"
    )
    scale.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS-SCALE.md")
    render_only = commands.add_parser(
        "report", help="re-render a report from a results.json"
    )
    render_only.add_argument("results", type=Path)
    render_only.add_argument(
        "--output",
        type=Path,
        default=None,
        help="default: BENCHMARKS.md, or BENCHMARKS-SCALE.md for a scale run",
    )
    args = parser.parse_args(argv)
    if args.command == "report":
        results = orjson.loads(args.results.read_bytes())
        scaled = results.get("kind") == "scale"
        default = "BENCHMARKS-SCALE.md" if scaled else "BENCHMARKS.md"
        output = args.output or ROOT / default
        output.write_text(render_scale(results) if scaled else render(results))
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    if args.command == "scale":
        plan = SCALE.with_overrides(
            history_events=args.history_events, rounds=args.rounds
        )
        run_scale(plan, args.output, _work_dir(plan), progress)
        return 0
    plan = (QUICK if args.quick else FULL).with_overrides(
        rounds=args.rounds,
        clients=args.clients,
        workers=args.workers,
        duration=args.duration,
        history_events=args.history_events,
    )
    run(plan, args.output, _work_dir(plan))
    return 0


def _work_dir(plan: Plan) -> Path:
    """``var/bench/<stamp>-<mode>``: the run's results and every child's log."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = ROOT / "var" / "bench" / f"{stamp}-{plan.mode}"
    work.mkdir(parents=True, exist_ok=True)
    return work
