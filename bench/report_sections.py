"""The report's detail sections: machine, ingest, lag, history, reads."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from bench.report_gaps import webhook_runs
from bench.report_tables import bound, cores_text, table
from bench.stats import Spread, num

INGEST_NOTES = {
    "generator": "GET /healthz: the load generator's ceiling (no work done)",
    "appeals": "`appeals serve`, the command mix",
    "appeals, library insert": "the same, APPEALS_GROUP_COMMIT=0 (no group commit)",
    "appeals+projections": "the same, with `appeals projections run` beside it",
    "appeals+webhooks": "the same, with `appeals webhooks run` delivering every "
    "appeal event to a receiver on 127.0.0.1",
    "baseline": "plain Starlette + eventsourcing app, library defaults",
    "raw unlocked": "psycopg, one INSERT transaction per command",
    "raw locked": "psycopg, + LOCK TABLE … IN EXCLUSIVE MODE",
    "raw locked+notify": "psycopg, the library's exact statements (lock, NOTIFY)",
}


def _median_cores(runs: list[dict[str, Any]]) -> dict[str, float]:
    names = {name for run in runs for name in run.get("cores", {})}
    return {
        name: statistics.median(num(r["cores"].get(name, 0.0)) for r in runs)
        for name in names
    }


def machine_section(results: dict[str, Any]) -> list[str]:
    plan = results["plan"]
    rows = [(k, str(v)) for k, v in results.get("machine", {}).items()]
    at_end = results.get("code_at_end")
    trees = (results.get("code_tree"), results.get("code_tree_at_end"))
    changed = (
        trees[0] != trees[1]
        if all(trees)
        else at_end != results.get("machine", {}).get("code")
    )
    if at_end and changed:
        rows.insert(
            1,
            (
                "code at the end",
                f"{at_end} (the service's code changed during the run: later "
                "sections measured newer code)",
            ),
        )
    if all(trees):
        shown = list(dict.fromkeys(str(tree) for tree in trees))
        rows.insert(1, ("appeals/ tree", " → ".join(shown)))
    checks = results.get("cpu_check_ms", [])
    if checks:
        rows.append(
            (
                "CPU check per round (ms, lower is faster)",
                ", ".join(f"{value:.0f}" for value in checks),
            )
        )
    rows += [
        (f"PostgreSQL {k}", str(v)) for k, v in results["postgres_settings"].items()
    ]
    rows += [
        ("busy cores before the run", f"{num(results.get('background_cores')):.2f}"),
        ("rounds", str(plan["rounds"])),
        ("HTTP clients (and raw connections)", str(plan["clients"])),
        ("uvicorn workers", str(plan["workers"])),
        ("ingest window", f"{plan['warmup']} s warm-up + {plan['duration']} s"),
        ("read clients", str(plan["read_clients"])),
    ]
    lines = ["## Machine and settings", "", *table(("", ""), rows), ""]
    starts = results.get("service_starts", {})
    failures = starts.get("failures", [])
    if failures:
        lines += [
            f"{len(failures)} of {starts['attempts']} server starts failed and "
            "were retried: every uvicorn worker runs the event store's DDL "
            "(`CREATE TYPE`, `CREATE OR REPLACE FUNCTION`, ...) at start-up, and "
            "two workers doing so at once can collide in PostgreSQL's catalog. "
            "First failure: "
            f"`{failures[0]}`.",
            "",
        ]
    return lines


def ingest_section(results: dict[str, Any]) -> list[str]:
    ingest = results.get("ingest", [])
    cores_available = int(results.get("machine", {}).get("cores", "2") or 2)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in ingest:
        grouped[run["scenario"]].append(run)
    rows = []
    workers = int(results["plan"]["workers"])
    for scenario, runs in grouped.items():
        cores = _median_cores(runs)
        errors = sum(sum(r["errors"].values()) for r in runs)
        busiest = Spread.of(
            [max(r["service_processes"]) for r in runs if r.get("service_processes")]
        )
        held = Spread.of([num(r.get("lock", {}).get("held")) for r in runs])
        waiting = Spread.of([num(r.get("lock", {}).get("waiting")) for r in runs])
        rate = Spread.of([num(r["throughput"]) for r in runs])
        verdict = bound(cores, cores_available)
        if busiest.runs and busiest.median >= 0.85 and workers > 1:
            verdict = (
                f"one of the {workers} server processes at {busiest.median:.2f} "
                "cores (its GIL): the workers did not share the connections"
            )
        if held.runs and held.median >= 0.9 and waiting.median >= 1:
            verdict = (
                f"the events-table lock: held {held.median:.0%} of the window, "
                f"{waiting.median:.1f} waiting, ≈{1000 * held.median / rate.median:.1f}"
                f" ms per command; also {verdict}"
            )
        rows.append(
            (
                scenario,
                INGEST_NOTES.get(scenario, ""),
                Spread.of([num(r["throughput"]) for r in runs]).format(),
                Spread.of([num(r["p50"]) for r in runs]).format(1),
                Spread.of([num(r["p99"]) for r in runs]).format(1),
                str(errors),
                cores_text(cores),
                busiest.format(2) if busiest.runs else "",
                f"{held.median:.0%} / {waiting.median:.1f}" if held.runs else "",
                verdict,
            )
        )
    lines = [
        "## Ingest",
        "",
        "Commands (or requests) per second over the measured window, latency "
        "per command in ms; CPU as cores kept busy (medians over rounds); "
        "*other* is busy time no named process accounts for: mostly the kernel "
        "(its journal and block-device threads for every fsync, loopback "
        "networking), and anything else running on the machine.",
        "",
        *table(
            (
                "scenario",
                "what",
                "per s",
                "p50 ms",
                "p99 ms",
                "errors",
                "CPU (cores)",
                "busiest server process",
                "lock held / waiting",
                "bounded by",
            ),
            rows,
        ),
        "",
        "*busiest server process*: the cores used by the busiest process of the "
        f"server (of its {workers} uvicorn workers): near 1.0 means one Python "
        "process, bound by its GIL, served (nearly) every connection. *lock held "
        "/ waiting*: share of 10 ms samples of `pg_locks` in which a transaction "
        "held an EXCLUSIVE table lock (the events table's, in practice), and how "
        "many waited for one on average.",
        "",
    ]
    generator = grouped.get("generator", [])
    if generator:
        costs = [
            num(r["cores"].get("generator", 0.0)) / num(r["throughput"]) * 1e6
            for r in generator
            if num(r["throughput"]) > 0
        ]
        cost = Spread.of(costs)
        lines += [
            f"The load generator costs {cost.format()} µs of CPU per request "
            f"(so one core would drive about {1e6 / cost.median:,.0f} requests/s); "
            "at the command rates above it uses a small share of one core, so it "
            "does not bound them.",
            "",
        ]
    lines += _per_command(grouped.get("appeals", []))
    return lines


def _per_command(runs: list[dict[str, Any]]) -> list[str]:
    if not runs:
        return []
    names = sorted({name for run in runs for name in run["by_command"]})
    rows = []
    for name in names:
        entries = [r["by_command"][name] for r in runs if name in r["by_command"]]
        rows.append(
            (
                name,
                Spread.of([num(e[0]) for e in entries]).format(),
                Spread.of([num(e[1]) for e in entries]).format(1),
                Spread.of([num(e[2]) for e in entries]).format(1),
            )
        )
    return [
        "Per command (`appeals` scenario):",
        "",
        *table(("command", "count per window", "p50 ms", "p99 ms"), rows),
        "",
    ]


def lag_section(results: dict[str, Any]) -> list[str]:
    runs = [
        r for r in results.get("ingest", []) if r["scenario"] == "appeals+projections"
    ]
    views = sorted({view for run in runs for view in run.get("lag", {})})
    if not views:
        return []
    rows = []
    for view in views:
        entries = [r["lag"][view] for r in runs if view in r["lag"]]
        missing = sum(num(e["missing"]) for e in entries)
        commands = sum(num(e["commands"]) for e in entries)
        rows.append(
            (
                view,
                Spread.of([num(e["p50"]) for e in entries]).format(),
                Spread.of([num(e["p99"]) for e in entries]).format(),
                Spread.of([num(e["max"]) for e in entries]).format(),
                f"{missing:,.0f} of {commands:,.0f}",
            )
        )
    rate = Spread.of([num(r["throughput"]) for r in runs])
    ready = [num(r["worker_ready_s"]) for r in runs if r.get("worker_ready_s")]
    cold = (
        f" The load begins once the worker says it is ready (its views "
        f"prepared, warmed up and caught up), so this is the steady state; "
        f"its cold start, from launch to ready, took "
        f"{Spread.of(ready).format(1)} s."
        if ready
        else ""
    )
    return [
        "## Projection lag",
        "",
        f"From a command's answer to its log position being in each live view, "
        f"while the worker runs beside the service at {rate.format()} commands/s "
        f"(the `appeals+projections` scenario). Probe interval 5 ms.{cold}",
        "",
        *table(("view", "p50 ms", "p99 ms", "max ms", "not visible by the end"), rows),
        "",
    ]


def webhook_section(results: dict[str, Any]) -> list[str]:
    runs = webhook_runs(results.get("ingest", []))
    if not runs:
        return []
    rows = [
        (
            str(r["round"]),
            f"{num(r['throughput']):,.0f}",
            f"{num(r['webhooks']['delivered_per_second']):,.0f}",
            f"{num(r['webhooks']['p50']):,.0f}",
            f"{num(r['webhooks']['p99']):,.0f}",
            f"{num(r['webhooks']['missing']):,.0f} of "
            f"{num(r['webhooks']['commands']):,.0f}",
            f"{num(r['cores'].get('webhook deliverer', math.nan)):.2f}",
        )
        for r in runs
    ]
    return [
        "## Webhook outbox",
        "",
        "From a command's answer to its event's delivery to a subscriber of "
        "every appeal event (a receiver on 127.0.0.1 answering 204 at once), "
        "with `appeals webhooks run` delivering beside the service under the "
        "command mix (the `appeals+webhooks` scenario). Each appeal's events "
        "go one at a time in order, up to `APPEALS_WEBHOOK_CONCURRENCY` (8) "
        "appeals side by side; the cursor is written once per batch of 100.",
        "",
        *table(
            (
                "round",
                "commands/s",
                "delivered/s in the window",
                "lag p50 ms",
                "lag p99 ms",
                "not delivered by the end",
                "deliverer cores",
            ),
            rows,
        ),
        "",
    ]


def history_section(results: dict[str, Any]) -> list[str]:
    history = results.get("history", {})
    replay = results.get("replay", [])
    if not history:
        return []
    lines = [
        "## History: rebuilds and reading the log",
        "",
        f"Generated {history['events']:,} events ({history['appeals']:,} appeals, "
        f"{history.get('abandoned', 0)} stopped early where the demo planner and "
        f"the official calendar disagree) in {history['seconds']:.0f} s "
        f"({history['events_per_second']:,.0f} events/s, "
        f"{history['processes']} processes); database "
        f"{history.get('database_size', '?')}.",
        "",
    ]
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in replay:
        grouped[run["what"]].append(run)
    labels = {
        "scan": "raw psycopg scan (server-side cursor)",
        "decode": "library decode (select_notifications + mapper, JSONTranscoder)",
        "decode-ours": "decode with the ledger's orjson transcoder (same bytes)",
        "rebuild-together": "rebuild, every view in one pass over the log "
        "(one process)",
        "rebuild-parallel": "rebuild, every view: one process per core, each a "
        "group of views in one pass",
        "rebuild-partitioned-2": "rebuild, every view, `--jobs 2`: views kept "
        "per appeal split by appeal over both processes",
        "rebuild": "rebuild, each view alone in turn",
        "es-runner": "eventsourcing ProjectionRunner, trivial view",
    }
    rows = []
    for what, label in labels.items():
        runs = grouped.get(what, [])
        if not runs:
            continue
        rates = [num(r["events"]) / num(r["seconds"]) for r in runs if r["seconds"]]
        cores = _median_cores(runs)
        rows.append(
            (
                label,
                Spread.of(rates).format(),
                Spread.of([num(r["events"]) for r in runs]).format(),
                Spread.of([num(r["peak_rss_mib"]) for r in runs]).format(),
                cores_text(cores),
            )
        )
    lines += [
        *table(("reader", "events/s", "events", "peak RSS MiB", "CPU (cores)"), rows),
        "",
    ]
    parts: dict[str, list[float]] = defaultdict(list)
    for run in grouped.get("rebuild", []):  # alone: the one-pass ones share
        for name, part in run["parts"].items():
            if part["seconds"]:
                parts[name].append(num(part["events"]) / num(part["seconds"]))
    if parts:
        lines += [
            "Each view rebuilt alone (the `rebuild` runs above, timed per view):",
            "",
            *table(
                ("view", "events/s"),
                [(name, Spread.of(values).format()) for name, values in parts.items()],
            ),
            "",
        ]
    return lines


def reads_section(results: dict[str, Any]) -> list[str]:
    reads = results.get("reads", [])
    if not reads:
        return []
    events = results.get("history", {}).get("events", 0)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in reads:
        grouped[run["endpoint"]].append(run)
    rows = [
        (
            endpoint,
            Spread.of([num(r["p50"]) for r in runs]).format(1),
            Spread.of([num(r["p99"]) for r in runs]).format(1),
            Spread.of([num(r["throughput"]) for r in runs]).format(),
            str(sum(sum(r["errors"].values()) for r in runs)),
        )
        for endpoint, runs in grouped.items()
    ]
    clients = results["plan"]["read_clients"]
    return [
        f"## Reads at {events:,} events",
        "",
        f"{clients} client(s), admin token, cycling through a random sample of "
        "appeals and enterprises from the history; views rebuilt just before.",
        "",
        *table(("endpoint", "p50 ms", "p99 ms", "requests/s", "errors"), rows),
        "",
        *[
            f"Not measured: {name} ({why}; not in this version of the service)."
            for name, why in results.get("reads_skipped", {}).items()
        ],
        "",
    ]


PROFILE_TITLES = {
    "ingest": "the service under the command mix (every uvicorn worker)",
    "rebuild": "a rebuild of one view",
}


def profile_section(results: dict[str, Any]) -> list[str]:
    """Where the CPU went, from py-spy's samples (bench.profile)."""
    profiles = results.get("profiles") or {}
    if not profiles:
        return []
    lines = [
        "## Where the time goes (py-spy)",
        "",
        "Samples of the thread holding the GIL (`py-spy record --gil`, "
        "100/s), each charged to its innermost frame: the share of the "
        "process's Python CPU time spent in each layer's own code. Raw samples: "
        "`var/bench/<run>/profile_*.txt`.",
        "",
    ]
    for key, title in PROFILE_TITLES.items():
        found = profiles.get(key)
        if not found:
            continue
        name = f" ({found['projection']})" if "projection" in found else ""
        lines += [f"### {title}{name}", ""]
        if "error" in found:
            lines += [f"Not profiled: {found['error']}", ""]
            continue
        rate = found.get("commands_per_second")
        if rate:
            lines += [f"{found['samples']:,} samples at {rate:,.0f} commands/s.", ""]
        else:
            lines += [f"{found['samples']:,} samples.", ""]
        lines += [
            *table(
                ("layer", "share of samples"),
                [(layer, f"{share:.0%}") for layer, share in found["layers"].items()],
            ),
            "",
            *table(
                ("function (most self time)", "share"),
                [
                    (f"`{function}`", f"{share:.1%}")
                    for function, share in found["functions"].items()
                ],
            ),
            "",
        ]
    return lines
