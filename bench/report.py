"""BENCHMARKS.md from a run's results: the summary against the issue's
targets first, then each section's details and where the CPU went."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from bench.report_gaps import (
    LAG_TARGET_MS,
    WEBHOOK_LAG_TARGET_MS,
    gaps_section,
    split_estimate,
    webhook_runs,
)
from bench.report_sections import (
    history_section,
    ingest_section,
    lag_section,
    machine_section,
    profile_section,
    reads_section,
    webhook_section,
)
from bench.report_tables import Row, table
from bench.stats import Spread, num, ratios

COMMAND = ".venv/bin/python -m bench run"
READ_TARGETS_MS = {
    "GET /appeals/{id}": 10.0,
    "GET /appeals/{id}/history": 10.0,
    "GET /dashboard (overview page)": 300.0,
}
REPORT_TARGET_MS = 100.0
BUSY = 0.25
SPEED_SPREAD = 1.2
"""Slowest over fastest CPU check above which the report notes the change."""
"""Cores used by others above which the report warns that it was shared."""


def paired(
    values: dict[int, float], baselines: dict[int, float]
) -> tuple[list[float], list[float]]:
    rounds = sorted(set(values) & set(baselines))
    return [values[n] for n in rounds], [baselines[n] for n in rounds]


def status(ok: bool | None, detail: str) -> str:
    if ok is None:
        return "n/a"
    return f"met ({detail})" if ok else f"**not met** ({detail})"


def summary(results: dict[str, Any]) -> list[Row]:
    ingest = results.get("ingest", [])
    rate: dict[str, dict[int, float]] = defaultdict(dict)  # scenario -> round
    for run in ingest:
        rate[run["scenario"]][int(run["round"])] = num(run["throughput"])
    rows: list[Row] = []
    appeals = Spread.of(list(rate["appeals"].values()))
    base = Spread.of(list(rate["baseline"].values()))
    raw = Spread.of(list(rate["raw unlocked"].values()))
    vs_base = ratios(*paired(rate["appeals"], rate["baseline"]))
    vs_raw = ratios(*paired(rate["appeals"], rate["raw unlocked"]))
    rows.append(
        (
            "ingest over HTTP, commands/s",
            appeals.format(),
            f"plain eventsourcing app {base.format()}",
            f"{vs_base.format(2)}×",
            "≥ 3× baseline",
            status(
                vs_base.median >= 3 if vs_base.runs else None,
                f"{vs_base.median / 3:.0%} of target",
            ),
        )
    )
    rows.append(
        (
            "ingest over HTTP, commands/s",
            appeals.format(),
            f"raw psycopg unlocked {raw.format()}",
            f"{vs_raw.format(2)}×",
            "≥ ⅓ of raw unlocked",
            status(
                vs_raw.median >= 1 / 3 if vs_raw.runs else None,
                f"{vs_raw.median * 3:.0%} of target",
            ),
        )
    )
    rows.extend(lag_rows(ingest))
    rows.extend(webhook_rows(ingest))
    rows.extend(_history_rows(results))
    rows.extend(read_rows(results.get("reads", [])))
    return rows


def lag_rows(ingest: list[dict[str, Any]]) -> list[Row]:
    p99s: dict[str, list[float]] = defaultdict(list)
    for run in ingest:
        if run["scenario"] != "appeals+projections":
            continue
        for view, lag in run.get("lag", {}).items():
            p99s[view].append(num(lag["p99"]))
    rows: list[Row] = []
    for view, values in sorted(p99s.items()):
        spread = Spread.of(values)
        ok = spread.median < LAG_TARGET_MS if spread.runs else None
        rows.append(
            (
                f"projection lag p99, {view} (ms)",
                spread.format(),
                "under the ingest load above",
                "",
                f"< {LAG_TARGET_MS:,.0f} ms",
                status(ok, f"{spread.median:,.0f} ms"),
            )
        )
    return rows


def webhook_rows(ingest: list[dict[str, Any]]) -> list[Row]:
    runs = webhook_runs(ingest)
    if not runs:
        return []
    p99 = Spread.of([num(r["webhooks"]["p99"]) for r in runs])
    delivered = Spread.of([num(r["webhooks"]["delivered_per_second"]) for r in runs])
    answered = Spread.of([num(r["throughput"]) for r in runs])
    left = sum(num(r["webhooks"]["missing"]) for r in runs)
    ok = left == 0 and p99.median < WEBHOOK_LAG_TARGET_MS
    return [
        (
            "webhook delivery lag p99 (ms)",
            p99.format(),
            f"{delivered.format()} delivered/s, {answered.format()} commands/s",
            "",
            f"keeps up: < {WEBHOOK_LAG_TARGET_MS:,.0f} ms, none left",
            status(ok, f"{p99.median:,.0f} ms, {left:,.0f} left"),
        )
    ]


def _history_rows(results: dict[str, Any]) -> list[Row]:
    replay = results.get("replay", [])
    rates: dict[str, dict[int, float]] = defaultdict(dict)
    rss: list[float] = []
    for run in replay:
        seconds = num(run["seconds"])
        rates[run["what"]][int(run["round"])] = (
            num(run["events"]) / seconds if seconds > 0 else math.nan
        )
        if run["what"].startswith("rebuild"):
            rss.append(num(run["peak_rss_mib"]))
    events = results.get("history", {}).get("events", 0)
    rounds = int(results["plan"]["rounds"])
    memory = Spread.of(rss)
    rows = [
        _rebuild_row(rates, what, label, events, rounds)
        for what, label in (
            ("rebuild-together", "all views in one pass, 1 process"),
            ("rebuild-parallel", "all views, one pass per process, 1 per core"),
            ("rebuild-partitioned-2", "all views, --jobs 2, split by appeal"),
            ("rebuild", "each view alone, in turn"),
        )
        if rates[what]
    ]
    estimate = split_estimate(results)
    if estimate is not None:
        rows.append(
            (
                "rebuild, all views, split by appeal, expected at 16 cores, events/s",
                f"{estimate.expected:,.0f}",
                f"measured: {estimate.one:,.0f} (1 process), {estimate.two:,.0f} (2)",
                estimate.assumption(),
                "≥ 50,000/s",
                status(
                    estimate.expected >= 50_000,
                    f"{estimate.expected / 50_000:.0%} of target, an estimate",
                ),
            )
        )
    return [
        *rows,
        (
            "rebuild peak RSS (MiB)",
            memory.format(),
            "",
            "",
            "< 300 MB",
            status(
                memory.median * 1.048576 < 300 if memory.runs else None,
                f"{memory.median * 1.048576:.0f} MB",
            ),
        ),
    ]


def _rebuild_row(
    rates: dict[str, dict[int, float]], what: str, label: str, events: int, rounds: int
) -> Row:
    rebuild = Spread.of(list(rates[what].values()))
    budget = (
        f" ({rebuild.runs} of {rounds} rounds: time budget)"
        if rebuild.runs < rounds
        else ""
    )
    vs_scan = ratios(*paired(rates[what], rates["scan"]))
    vs_runner = ratios(*paired(rates[what], rates["es-runner"]))
    return (
        f"rebuild, {label}, events/s ({events:,} events)",
        rebuild.format() + budget,
        f"raw scan {Spread.of(list(rates['scan'].values())).format()}; "
        f"ProjectionRunner {Spread.of(list(rates['es-runner'].values())).format()}",
        f"{vs_scan.format(3)}× scan; {vs_runner.format(1)}× runner",
        "≥ 50,000/s",
        status(
            rebuild.median >= 50_000 if rebuild.runs else None,
            f"{rebuild.median / 50_000:.0%} of target",
        ),
    )


def read_rows(reads: list[dict[str, Any]]) -> list[Row]:
    p99: dict[str, list[float]] = defaultdict(list)
    p50: dict[str, list[float]] = defaultdict(list)
    for run in reads:
        p99[run["endpoint"]].append(num(run["p99"]))
        p50[run["endpoint"]].append(num(run["p50"]))
    rows: list[Row] = []
    for endpoint in p99:
        target = READ_TARGETS_MS.get(endpoint, REPORT_TARGET_MS)
        spread = Spread.of(p99[endpoint])
        rows.append(
            (
                f"{endpoint} p99 (ms)",
                spread.format(1),
                f"p50 {Spread.of(p50[endpoint]).format(1)}",
                "",
                f"< {target:.0f} ms",
                status(
                    spread.median < target if spread.runs else None,
                    f"{spread.median / target:.0%} of the limit",
                ),
            )
        )
    return rows


def _busy_warning(results: dict[str, Any]) -> list[str]:
    """A warning when something else shared the machine with the run."""
    others = [
        num(run["cores"].get("other", 0.0))
        for run in results.get("ingest", [])
        if run.get("cores")
    ]
    other = Spread.of(others)
    before = num(results.get("background_cores"))
    if not (before > BUSY or (other.runs and other.median > BUSY)):
        return []
    generator = {
        int(run["round"]): num(run["cores"].get("other", 0.0))
        for run in results.get("ingest", [])
        if run["scenario"] == "generator"
    }
    shared = [str(n) for n, cores in sorted(generator.items()) if cores > BUSY]
    rounds = (
        f" Rounds {', '.join(shared)} shared the machine (more than {BUSY} cores "
        "busy outside the run even in the `generator` scenario, which writes "
        "nothing to disk)."
        if shared
        else ""
    )
    return [
        f"> **The machine was not quiet**: {before:.2f} cores were busy before the "
        f"run started, and processes outside the run (and the kernel) kept "
        f"{other.format(2)} cores busy during the ingest windows.{rounds} Figures "
        "that compete for CPU are lower and noisier than on a quiet machine; "
        "ratios within a round are less affected than absolute figures.",
        "",
    ]


def speed_warning(results: dict[str, Any]) -> list[str]:
    """A note when the machine's own speed changed between rounds (or a
    scale run's stages)."""
    checks = [num(v) for v in results.get("cpu_check_ms", [])]
    if len(checks) < 2 or max(checks) < SPEED_SPREAD * min(checks):
        return []
    return [
        f"> **The machine's speed varied**: the same Python loop took "
        f"{min(checks):.0f} to {max(checks):.0f} ms before different rounds "
        "(a virtual machine's cores are shared with its host's other guests). "
        "Absolute figures move with it; ratios within a round much less.",
        "",
    ]


def render(results: dict[str, Any]) -> str:
    plan = results["plan"]
    events = results.get("history", {}).get("events", 0)
    minutes = num(results.get("seconds")) / 60
    quick = plan["mode"] == "quick"
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `{COMMAND}{' --quick' if quick else ''}` "
        f"(started {results['started']}, {minutes:.1f} min). "
        "Do not edit: run the command again. How to run it and what each figure "
        "means: [docs/benchmarks.md](docs/benchmarks.md).",
        "",
    ]
    if quick:
        lines += [
            f"> **Quick mode**: a history of {events:,} events (the full run uses "
            "at least 1,000,000), shorter windows and 3 rounds. Rebuild rates and "
            "read latencies depend on the history's size: compare only full runs "
            "with the targets.",
            "",
        ]
    lines += _busy_warning(results)
    lines += speed_warning(results)
    lines += [
        "Each figure is the median over rounds with [min–max] beside it; each "
        "ratio is taken per round against the baseline measured in the same "
        "round, then summarised the same way. Targets are issues 7's and 21's.",
        "",
        "## Summary",
        "",
        *table(
            ("figure", "measured", "baseline", "ratio", "target", "status"),
            summary(results),
        ),
        "",
        *gaps_section(results),
        *machine_section(results),
        *ingest_section(results),
        *lag_section(results),
        *webhook_section(results),
        *history_section(results),
        *reads_section(results),
        *profile_section(results),
    ]
    return "\n".join(lines) + "\n"
