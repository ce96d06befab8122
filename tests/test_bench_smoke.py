"""The benchmark harness's pieces on toy sizes: its workload is one the API
accepts, its generated history is one the domain and the projections load
back, and its report renders. Nothing here is timed (docs/benchmarks.md)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import orjson
import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.cli.environment import progress_line
from appeals.demo.organisation import load_master_data
from appeals.demo.planner import plan_demo
from appeals.domain.appeal import Appeal
from appeals.domain.values import FINAL_STATUSES
from appeals.http.app import create_app
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.infra.event_source import open_event_source
from appeals.infra.settings import Settings
from appeals.infra.timekeeping import load_timekeeping
from appeals.projections import assessment, overdue, timeliness
from appeals.projections.lifecycle import read_instant
from appeals.projections.reading import live_table
from appeals.projections.registry import projections
from appeals.projections.runtime.model import fold
from appeals.projections.runtime.storage import LIVE, transaction
from appeals.projections.runtime.tracking import Tracking
from appeals.projections.runtime.worker import lease_holders
from bench import density, lag_density, processes, profile
from bench.cluster import Cluster
from bench.history import (
    EVENTS_PER_APPEAL,
    MIN_APPEALS_PER_CHUNK,
    SPAN_CHUNKS,
    Decider,
    appeals_per_chunk,
    chunk_start,
    generate,
    layout,
)
from bench.ingest import IngestSection, delivery_lags
from bench.lag import lags
from bench.plan import QUICK
from bench.replay import RebuildProgress
from bench.report import render, summary
from bench.report_gaps import gaps_section
from bench.report_scale import render_scale
from bench.report_sections import lag_section, profile_section, webhook_section
from bench.run import main as bench_main
from bench.stats import Spread, percentile
from bench.tokens import make_tokens
from bench.workload import lifecycles
from devtools.pgcluster import PostgresServer
from tests.support.reports import project
from tests.support.views import demo


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bench.sqlite3'}"


@pytest.mark.asyncio
async def test_the_command_mix_is_accepted_by_the_api(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    tokens = make_tokens(url)
    ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url}))
    app = create_app(lambda: ledger)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench.test"
        ) as http:
            for use, plan in enumerate(lifecycles(seed=3, count=2)):
                headers = {
                    "Authorization": f"Bearer {tokens['intake']}",
                    "Content-Type": "application/json",
                }
                created = await http.post(
                    "/appeals", content=plan.receipt_body(use), headers=headers
                )
                assert created.status_code == 201, created.text
                appeal_id = created.json()["id"]
                for step in plan.steps:
                    headers["Authorization"] = f"Bearer {tokens[step.role]}"
                    answer = await http.post(
                        f"/appeals/{appeal_id}/{step.command}",
                        content=step.body,
                        headers=headers,
                    )
                    assert answer.status_code == 200, (step.command, answer.text)
                assert answer.json()["status"] == "evaluated"


def test_a_reused_lifecycle_gets_a_fresh_source_reference() -> None:
    plan = next(p for p in lifecycles(seed=5, count=20) if p.receipt["external_id"])
    assert plan.receipt_body(1) != plan.receipt_body(2)


def test_the_generated_history_loads_back_through_domain_and_views(
    tmp_path: Path,
) -> None:
    ledger = open_ledger(
        Settings.from_env({"APPEALS_DATABASE_URL": sqlite_url(tmp_path)})
    )
    load_master_data(ledger)
    builder = plan_demo(appeals=40, seed=11, start=date(2021, 3, 1), months=2)
    decider = Decider(ledger.rules, chunk=0)
    events = list(decider.events(builder.plans))
    ledger.save(*events)
    # routed to the registered units: only the odd holiday disagreement stops one
    assert len(decider.abandoned) <= 2, decider.abandoned
    assert sum(isinstance(e, Appeal.Assigned) for e in events) >= 30
    appeal_ids = [e.originator_id for e in events if isinstance(e, Appeal.Received)]
    assert len(appeal_ids) == 40
    for appeal_id in appeal_ids:
        appeal = ledger.get(appeal_id)
        assert appeal.version == len(ledger.history(appeal_id))
    stored = [
        ledger.mapper.to_domain_event(n)
        for n in ledger.recorder.select_notifications(start=1, limit=10_000)
    ]
    for projection in projections(ledger.rules.timekeeping):
        fold(projection, stored)  # raises if a view cannot take the history
    ledger.close()


def test_a_generated_history_stops_at_its_cutoff(tmp_path: Path) -> None:
    """Nothing stamped at or after the cutoff: the appeals it falls amid stay
    open where they stood, as they would in a live log at that instant."""
    ledger = open_ledger(
        Settings.from_env({"APPEALS_DATABASE_URL": sqlite_url(tmp_path)})
    )
    load_master_data(ledger)
    builder = plan_demo(appeals=40, seed=11, start=date(2021, 3, 1), months=2)
    whole = list(Decider(ledger.rules, chunk=0).events(builder.plans))
    cutoff = sorted(e.timestamp for e in whole)[len(whole) // 2]
    decider = Decider(ledger.rules, chunk=1, cutoff=cutoff)
    events = list(decider.events(builder.plans))
    assert events
    assert all(e.timestamp < cutoff for e in events)
    assert len(events) < len(whole)
    ledger.save(*events)

    def course(history: list[Any]) -> dict[str, list[Any]]:
        """Each appeal's events, by its ticket (the same in both runs)."""
        tickets = {
            e.originator_id: e.ticket for e in history if isinstance(e, Appeal.Received)
        }
        by_ticket: dict[str, list[Any]] = {}
        for e in history:
            if e.originator_id in tickets:
                by_ticket.setdefault(tickets[e.originator_id], []).append(e)
        return by_ticket

    whole_course, cut_course = course(whole), course(events)
    cut_short = [
        ticket
        for ticket, taken in cut_course.items()
        if len(taken) < len(whole_course[ticket])
    ]
    assert cut_short  # appeals the cutoff fell amid
    for ticket in cut_short:
        appeal = ledger.get(cut_course[ticket][0].originator_id)
        assert appeal.version == len(cut_course[ticket])
        assert appeal.status not in FINAL_STATUSES
    ledger.close()


def test_a_history_is_laid_back_from_its_cutoff() -> None:
    """The latest chunk holds the cutoff: a history's recent months are
    as busy as its first, whatever its size."""
    cutoff = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    plan = layout(1_000_000, processes=2, cutoff=cutoff)
    assert plan.size == 4000
    assert plan.chunks == 23  # 22 and the last, cut short, hold the million
    assert chunk_start(plan.chunks - 1, plan.first) == date(2026, 11, 1)
    assert plan.first == date(2023, 3, 1)
    city = layout(10_000_000, processes=2, cutoff=cutoff)
    assert city.chunks <= SPAN_CHUNKS
    assert chunk_start(city.chunks - 1, city.first) == date(2026, 11, 1)
    assert (city.chunks - 0.5) * city.size * EVENTS_PER_APPEAL >= 10_000_000
    # a cutoff early in January: the last chunk starts in December
    january = layout(1_000_000, 2, datetime(2027, 1, 2, tzinfo=UTC))
    assert chunk_start(january.chunks - 1, january.first) == date(2026, 12, 1)


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_history_that_falls_short_gets_a_chunk_before_its_first(
    store: str,
) -> None:
    """A cutoff at the stroke of a month leaves the last chunk one month of
    receipts, many of them still open: a history sized at one chunk and a
    half then falls short, and one more is written before the first (on
    PostgreSQL, the store the benchmarks generate on)."""
    cutoff = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 1 December in Shanghai
    events = round(1.5 * MIN_APPEALS_PER_CHUNK * EVENTS_PER_APPEAL)
    plan = layout(events, processes=1, cutoff=cutoff)
    assert (plan.first, plan.chunks, plan.size) == (date(2026, 9, 1), 2, 500)
    lines: list[str] = []
    result = generate(
        store, events, processes=1, report=lines.append, cutoff=cutoff, every=0.05
    )
    assert result["chunks"] == 3
    # it says how far it has got while a chunk is written, not only after:
    # more lines than chunks, never going back, the last the whole history
    said = [int(line.split()[1].replace(",", "")) for line in lines]
    assert len(said) > result["chunks"]
    assert said == sorted(said)
    assert said[-1] == result["events"]
    assert result["first_month"] == "2026-07-01"
    assert result["last_month"] == "2026-11-01"
    assert result["events"] >= events
    assert result["appeals"] == 3 * MIN_APPEALS_PER_CHUNK
    ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": store}))
    stored = [
        ledger.mapper.to_domain_event(n)
        for n in ledger.recorder.select_notifications(start=1, limit=100_000)
    ]
    ledger.close()
    assert len(stored) == result["head"]
    # the registry's events, then the history's: each chunk opens on a receipt
    registry = next(i for i, e in enumerate(stored) if isinstance(e, Appeal.Received))
    assert len(stored) - registry == result["events"]
    received = [e for e in stored if isinstance(e, Appeal.Received)]
    months = {e.timestamp.astimezone(SHANGHAI).date().replace(day=1) for e in received}
    assert min(months) == date(2026, 7, 1)  # the added chunk's receipts
    assert max(months) == date(2026, 11, 1)
    assert all(e.timestamp < cutoff for e in stored[registry:])
    tickets = [e.ticket for e in received]
    assert len(set(tickets)) == len(tickets)  # one counter across the chunks


def test_lag_is_measured_from_the_answer_to_the_first_reading_past_it() -> None:
    answers = [(10.0, 5), (10.5, 9), (11.0, 30)]
    readings = [(9.0, 6), (10.6, 8), (10.7, 12)]
    found, missing = lags(answers, readings)
    assert found == [0.0, pytest.approx(200.0)]
    assert missing == 1


def test_the_workers_steps_are_read_from_one_views_positions() -> None:
    readings = [(1.000, 10), (1.010, 14), (1.030, 20), (1.100, 50)]
    found = lag_density.steps(readings)
    assert found.count == 3
    assert found.median_ms == pytest.approx(20.0)
    assert found.max_ms == pytest.approx(70.0)
    assert found.positions_median == 6.0
    assert lag_density.steps([(1.0, 10)]).count == 0
    rounds = [
        {"lag_p99_ms": 300.0, "steps": {"median_ms": 12.0}, "cores": {}},
        {"lag_p99_ms": 100.0, "steps": {"median_ms": 30.0}, "cores": {}},
        {"lag_p99_ms": 200.0, "steps": {"median_ms": 11.0}, "cores": {}},
    ]
    assert lag_density.medians(rounds) == {
        "lag_p99_ms": 200.0,
        "steps": {"median_ms": 12.0},
    }


def test_spreads_and_percentiles() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([5.0] * 99 + [100.0], 0.99) == 5.0
    assert math.isnan(percentile([], 0.5))
    spread = Spread.of([3.0, 1.0, 2.0])
    assert (spread.median, spread.low, spread.high, spread.runs) == (2.0, 1.0, 3.0, 3)


def test_the_report_renders_from_sparse_results() -> None:
    results = {
        "plan": {
            "mode": "quick",
            "rounds": 1,
            "clients": 2,
            "workers": 1,
            "warmup": 0.1,
            "duration": 0.1,
            "read_clients": 1,
        },
        "started": "2026-11-22T00:00:00+00:00",
        "seconds": 1.0,
        "machine": {"cores": "2"},
        "postgres_settings": {"fsync": "on"},
        "ingest": [
            {
                "scenario": name,
                "round": 1,
                "throughput": rate,
                "p50": 1.0,
                "p99": 2.0,
                "completed": 10,
                "errors": {},
                "cores": {"service": 0.5, "machine": 0.6, "other": 0.1},
                "by_command": {"receive": [10, 1.0, 2.0]},
                "lag": {},
            }
            for name, rate in (("appeals", 100.0), ("baseline", 200.0))
        ],
    }
    text = render(results)
    assert "0.50" in text
    assert "## Ingest" in text


def test_py_spy_samples_are_summarised_by_layer_and_rendered(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(
        'process 1:"appeals serve";Thread.run (threading.py:1);'
        "AppealLedger.execute (appeals/application.py:2);"
        "Appeal.assign (appeals/domain/appeal.py:3) 6\n"
        'process 1:"appeals serve";Cursor.execute (psycopg/cursor.py:4) 3\n'
        'process 1:"appeals serve";Condition.wait (threading.py:5) 1\n'
    )
    summary = profile.summarise(raw)
    assert summary["samples"] == 10
    assert summary["layers"] == {
        "our domain (appeals/domain)": 0.6,
        "psycopg (driver, pool)": 0.3,
        profile.STDLIB: 0.1,
    }
    assert (
        next(iter(summary["functions"])) == "Appeal.assign (appeals/domain/appeal.py)"
    )
    lines = profile_section(
        {"profiles": {"ingest": summary, "rebuild": {"error": "x"}}}
    )
    text = "\n".join(lines)
    assert "| our domain (appeals/domain) | 60% |" in text
    assert "Not profiled: x" in text


def test_the_gaps_are_explained_from_the_runs_own_figures() -> None:
    def ingest(scenario: str, rate: float, service: float = 0.0) -> dict[str, object]:
        return {
            "scenario": scenario,
            "throughput": rate,
            "cores": {"service": service, "postgres": 0.2, "generator": 0.05},
            "lock": {"held": 0.3},
        }

    results = {
        "machine": {"cores": "2"},
        "ingest": [
            ingest("appeals", 500.0, service=1.0),
            ingest("baseline", 400.0),
            ingest("raw unlocked", 6000.0),
        ],
        "replay": [
            {"what": "scan", "events": 1000, "seconds": 0.01, "parts": {}},
            {"what": "decode-ours", "events": 1000, "seconds": 0.02, "parts": {}},
            {"what": "rebuild-together", "events": 1000, "seconds": 0.1, "parts": {}},
            {"what": "rebuild-parallel", "events": 1000, "seconds": 0.08, "parts": {}},
            {
                "what": "rebuild",
                "events": 1000,
                "seconds": 0.5,
                "parts": {
                    "timeliness": {"events": 1000, "seconds": 0.2},
                    **{
                        name: {"events": 1000, "seconds": 0.05}
                        for name in ("a", "b", "c", "d")
                    },
                },
            },
        ],
    }
    text = "\n".join(gaps_section(results))
    assert "2.00 ms of service CPU" in text  # 1.0 core / 500 commands/s
    assert "the targets need 2,000" in text  # max(3 × 400, 6000 / 3)
    assert "10,000 events/s for every view in one pass" in text
    assert "12,500/s with one process per core" in text
    assert "timeliness 5,000/s" in text
    # 1 / (1/5,000 + 4/20,000): the views' own rates added up in one pass
    assert "add up to about 2,500/s" in text
    assert "1.2× with 2 here" in text  # 12,500 / 10,000
    assert "about 8 cores" in text  # 50,000 / (12,500 / 2) per core
    assert "16 cores, split by view only (groups of whole views): about 5,000/s" in text
    met = {
        **results,
        "ingest": [ingest("appeals", 3000.0, 1.0), *results["ingest"][1:]],
    }
    assert "**Ingest**" not in "\n".join(gaps_section(met))


def test_the_transcoding_figures_run_on_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import transcoding

    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url}))
    load_master_data(ledger)
    ledger.close()
    assert transcoding.main([url, "--limit", "200", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("stored events")
    assert int(lines[0].split()[0].replace(",", "")) > 0
    assert [line.split(":")[0] for line in lines[1:]] == ["decode", "encode"]


def test_the_report_says_what_bounds_the_projection_lag() -> None:
    run = {
        "scenario": "appeals+projections",
        "throughput": 400.0,
        "cores": {"machine": 1.9, "projection worker": 0.2},
        "lag": {"timeliness": {"p99": 600.0}, "directory": {"p99": 300.0}},
    }
    text = "\n".join(gaps_section({"ingest": [run], "replay": []}))
    assert "**Projection lag** (p99 300–600 ms over the views, worst timeliness" in text
    assert "busy 1.90 of its 2 cores" in text
    assert "0.50 ms of CPU per command" in text  # 0.2 cores / 400 commands/s
    fast = {**run, "lag": {"timeliness": {"p99": 120.0}}}
    assert "Projection lag" not in "\n".join(gaps_section({"ingest": [fast]}))


def test_the_lag_section_gives_the_worker_cold_start_apart() -> None:
    run = {
        "scenario": "appeals+projections",
        "throughput": 400.0,
        "lag": {
            "timeliness": {
                "p50": 40.0,
                "p99": 90.0,
                "max": 120.0,
                "missing": 0.0,
                "commands": 10.0,
            }
        },
    }
    runs = [{**run, "worker_ready_s": s} for s in (2.5, 3.25, 4.0)]
    text = "\n".join(lag_section({"ingest": runs}))
    assert "so this is the steady state" in text
    assert "from launch to ready, took 3.2 [2.5–4.0] s." in text
    assert "from launch to ready" not in "\n".join(lag_section({"ingest": [run]}))


def test_the_bench_starts_its_load_once_the_projection_worker_is_ready(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path)
    ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url}))
    load_master_data(ledger)
    head = ledger.recorder.max_notification_id()
    ledger.close()
    log_file = tmp_path / "worker.log"
    with processes.projection_worker(url, log_file) as (pid, seconds):
        assert pid > 0
        assert seconds > 0
        assert processes.WORKER_READY in log_file.read_text()
        # Ready means caught up: every live view is at the head already.
        ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url}))
        try:
            positions = Tracking(ledger.database).positions(LIVE)
        finally:
            ledger.close()
        assert len(positions) == len(projections(ledger.rules.timekeeping))
        assert set(positions.values()) == {head}


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_the_bench_starts_its_load_once_two_workers_have_divided_the_views(
    tmp_path: Path, store: str
) -> None:
    ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": store}))
    load_master_data(ledger)
    ledger.close()
    with processes.projection_worker(store, tmp_path / "worker.log"):
        # One worker holds every view: two have not divided them.
        with pytest.raises(RuntimeError, match=r"did not divide the 1[0-9] views"):
            processes.wait_for_leases(store, 2, timeout=1.0)
        with processes.projection_worker(store, tmp_path / "worker2.log") as (pid, _):
            processes.wait_for_leases(store, 2, timeout=30.0)
            settings = Settings.from_env({"APPEALS_DATABASE_URL": store})
            with open_event_source(settings) as source:
                timekeeping = load_timekeeping(settings, source.database)
                views = [p.name for p in projections(timekeeping)]
                held = lease_holders(source, views)
    assert set(held) == set(views)
    second = [name for name, holder in held.items() if f":{pid} " in holder]
    assert 0 < len(second) < len(views)


def test_the_webhook_outbox_is_reported_against_keeping_up() -> None:
    def run(number: int, p99: float, missing: float) -> dict[str, Any]:
        return {
            "scenario": "appeals+webhooks",
            "round": number,
            "throughput": 600.0,
            "cores": {"machine": 1.95, "webhook deliverer": 0.3},
            "webhooks": {
                "p50": p99 / 2,
                "p99": p99,
                "max": p99,
                "commands": 4000.0,
                "missing": missing,
                "delivered_per_second": 500.0,
            },
        }

    def text(results: dict[str, Any]) -> str:
        results = {**results, "plan": {"rounds": 2}}
        rows = [" | ".join(row) for row in summary(results) if "webhook" in row[0]]
        sections = webhook_section(results) + gaps_section(results)
        return "\n".join(rows + sections)

    slow = text({"ingest": [run(1, 2400.0, 0.0), run(2, 2000.0, 0.0)]})
    assert "webhook delivery lag p99 (ms) | 2,200 [2,000–2,400] |" in slow
    assert "**not met** (2,200 ms, 0 left)" in slow
    assert "## Webhook outbox" in slow
    assert "0.60 ms of the deliverer's CPU each" in slow  # 0.3 / 500
    fast = text({"ingest": [run(1, 300.0, 0.0)]})
    assert "met (300 ms, 0 left)" in fast
    assert "**Webhook outbox**" not in fast
    behind = text({"ingest": [run(1, 300.0, 12.0)]})
    assert "**not met** (300 ms, 12 left)" in behind


def test_the_webhook_receiver_records_each_delivery_by_position(
    tmp_path: Path,
) -> None:
    port_file, result, stop = (tmp_path / n for n in ("port", "sink.json", "stop"))
    sink = processes.start(
        [
            processes.PYTHON,
            "-m",
            "bench.webhook_sink",
            str(port_file),
            str(result),
            "--stop-file",
            str(stop),
            "--seconds",
            "60",
        ],
        {},
        tmp_path / "sink.log",
    )
    try:
        port = processes.wait_for_file(port_file, sink, tmp_path / "sink.log")
        with httpx.Client() as client:
            for position in (7, 9):
                answer = client.post(
                    f"http://127.0.0.1:{port}/hook",
                    content=b"{}",
                    headers={"X-Appeals-Delivery": f"whk_1:{position}"},
                )
                assert answer.status_code == 204
        stop.touch()
        sink.wait(30)
    finally:
        processes.stop(sink)
    deliveries = orjson.loads(result.read_bytes())["deliveries"]
    assert [position for _, position in deliveries] == [7, 9]
    assert deliveries[0][0] <= deliveries[1][0]


def test_a_delivery_counts_for_its_own_position_only() -> None:
    answers = [(1.0, 10), (1.0, 11), (2.0, 12)]
    deliveries = [(1.5, 11), (1.75, 10), (1.8, 11)]  # 11 first, again later
    found, missing = delivery_lags(answers, deliveries)
    assert found == [750.0, 500.0]
    assert missing == 1  # 12 never arrived, though 11 came after its answer


def test_a_city_scale_history_keeps_to_six_years_of_receipts() -> None:
    for events in (1_000_000, 10_000_000, 50_000_000):
        size = appeals_per_chunk(events, processes=2)
        chunks = events / EVENTS_PER_APPEAL / size
        assert chunks <= SPAN_CHUNKS, (events, size)
    # the full run's million events keep their usual chunks
    assert appeals_per_chunk(1_000_000, processes=2) == 4000
    assert appeals_per_chunk(10_000_000, processes=2) > 4000


def _scale_results(events: int, failures: dict[str, str]) -> dict[str, Any]:
    read = {"round": 1, "throughput": 300.0, "completed": 900, "errors": {}}
    return {
        "kind": "scale",
        "plan": {
            "mode": "scale",
            "rounds": 1,
            "clients": 8,
            "workers": 2,
            "warmup": 2.0,
            "duration": 7.0,
            "read_clients": 1,
            "read_warmup": 0.5,
            "read_duration": 2.5,
            "history_events": events,
        },
        "started": "2026-12-04T15:00:00+00:00",
        "seconds": 5400.0,
        "machine": {"cores": "2"},
        "postgres_settings": {"fsync": "on"},
        "failures": failures,
        "history": {
            "events": events,
            "appeals": events // 11,
            "seconds": 1800.0,
            "events_per_second": events / 1800,
            "processes": 2,
            "database_size": "9 GB",
        },
        "replay": [
            {
                "what": "scan",
                "round": 1,
                "events": events,
                "seconds": 60.0,
                "peak_rss_mib": 40.0,
                "parts": {},
                "cores": {},
            },
            {
                "what": "rebuild-partitioned-2",
                "round": 1,
                "events": events,
                "seconds": events / 4000,
                "peak_rss_mib": 290.0,
                "parts": {},
                "cores": {},
            },
        ],
        "reads": [
            {**read, "endpoint": "GET /appeals/{id}", "p50": 2.0, "p99": 4.0},
            {
                **read,
                "endpoint": "GET /dashboard (overview page)",
                "p50": None,
                "p99": None,
                "completed": 0,
            },
            {
                **read,
                "endpoint": "GET /enterprises/{uscc}/ledger",
                "p50": 60.0,
                "p99": 140.0,
            },
        ],
        "checkpoints": {"events": events, "seconds": events / 20_000},
        "ingest": [],
    }


def test_the_scale_report_states_each_figure_against_its_target(
    tmp_path: Path,
) -> None:
    results = _scale_results(10_000_000, {"appeals+webhooks, round 1": "boom"})
    text = render_scale(results)
    assert "# Benchmarks at city scale (10,000,000 events)" in text
    assert "`.venv/bin/python -m bench scale` " in text
    assert "**appeals+webhooks, round 1 failed**: boom" in text
    rows = {line.split(" | ")[0]: line for line in text.splitlines()}
    assert "met (100%)" in rows["| history, events"]
    assert "4,000" in rows["| rebuild, every view, partitioned-2, events/s"]
    assert "**not met** (8% of target)" in text
    assert "**not met** (304 MB)" in rows["| rebuild peak RSS (MiB)"]  # 290 MiB
    assert "| 20,000 | 10,000,000 events in 8.3 min" in text  # the audit chain
    assert "met (40% of the limit)" in rows["| GET /appeals/{id} p99 (ms)"]
    ledger = rows["| GET /enterprises/{uscc}/ledger p99 (ms)"]
    assert "**not met** (140% of the limit)" in ledger
    dashboard = "**GET /dashboard (overview page): not one request finished"
    assert f"{dashboard} within its 3.0 s window" in text
    smaller = render_scale(_scale_results(2_000_000, {}))
    assert "`.venv/bin/python -m bench scale --events 2000000`" in smaller
    assert "**not met** (20%)" in smaller
    # `bench report` tells a scale run's results from a full run's
    path = tmp_path / "results.json"
    path.write_bytes(orjson.dumps(results))
    output = tmp_path / "out.md"
    assert bench_main(["report", str(path), "--output", str(output)]) == 0
    assert output.read_text() == text


def test_the_scale_report_says_how_the_machine_s_speed_moved() -> None:
    steady = _scale_results(5_000_000, {}) | {"cpu_check_ms": [80.0, 84.0, 90.0]}
    text = render_scale(steady)
    assert "| CPU check per round (ms, lower is faster) | 80, 84, 90 |" in text
    assert "speed varied" not in text
    varied = steady | {"cpu_check_ms": [78.0, 130.0, 95.0]}
    assert (
        "> **The machine's speed varied**: the same Python loop took 78 to 130 ms"
        in render_scale(varied)
    )


def test_the_load_on_a_long_history_runs_in_that_database_itself() -> None:
    server = PostgresServer("127.0.0.1", 1, "bench", "", "postgres")
    cluster = Cluster(server, "15", {}, Path("/nonexistent"))
    # an existing database: nothing is created (the cluster is not even up)
    section = IngestSection(cluster, QUICK, Path("/nonexistent"), database="history")
    assert section.url("r1_appeals") == server.url("history")
    assert section.ready_timeout > processes.READY_TIMEOUT


def test_the_history_generator_says_how_far_it_has_got() -> None:
    line = progress_line("history", 2_500_000, 10_000_000, 500.0)
    assert line == (
        "history: 2,500,000 of 10,000,000 events (25%), 5,000/s, about 25 min left"
    )
    assert progress_line("history", 9_990_000, 10_000_000, 1998.0).endswith(
        ", under a minute left"
    )
    # the last chunk overshoots: done, and no time left to guess
    assert progress_line("history", 10_040_000, 10_000_000, 2000.0) == (
        "history: 10,040,000 of 10,000,000 events (100%), 5,020/s"
    )


def test_a_rebuild_says_how_far_its_slowest_view_has_got_now_and_then() -> None:
    now = [0.0]
    said: list[str] = []
    update = RebuildProgress(said.append, every=10.0, clock=lambda: now[0])
    update("timeliness", 1_000, 4_000)
    now[0] = 5.0
    update("appeal_list", 3_000, 4_000)  # too soon to say again
    assert said == []
    now[0] = 10.0
    update("timeliness", 2_000, 4_000)
    assert said == ["rebuild: 2,000 of 4,000 events (50%), 200/s, under a minute left"]


def test_a_long_childs_newest_log_line_is_relayed_once(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    heard: list[str] = []
    watch = processes.relay_log(log, heard.append)
    watch()  # no log yet: nothing to say
    log.write_text("starting\nhistory: 10 of 20 events (50%)\n")
    watch()
    watch()  # unchanged: not repeated
    with log.open("a") as more:
        more.write("history: 20 of 20 events (100%)\n")
    watch()
    assert heard == [
        "history: 10 of 20 events (50%)",
        "history: 20 of 20 events (100%)",
    ]


def test_the_density_run_times_each_report_afresh_and_again_alike(
    ledger: AppealLedger, clock: FixedClock, store: str
) -> None:
    """bench.density's timing, on the demo's two months (the full run makes
    a history of millions first): every report read afresh and read again
    with what was remembered, answering alike, most of them something. The
    reports are read a minute after the history's last event."""
    demo(ledger, clock, appeals=40)
    project(ledger)
    table = live_table(ledger.database, assessment.CYCLES)
    with transaction(ledger.database, write=False) as sql:
        instants = sql.execute(
            f"SELECT started_at, completed_at, ended_at FROM {table}"
        ).all()
    last = max(read_instant(v) for row in instants for v in row if v is not None)
    at_end = density.ledger_at_end(store)
    try:
        assert at_end.clock.now() == last + timedelta(minutes=1)
    finally:
        at_end.close()
    found = density.time_reads(ledger, rounds=1)
    assert list(found) == list(density.reads(ledger))
    for figures in found.values():
        assert figures["alike"]
        assert figures["afresh_ms"] > 0
    answered = [bool(read(None)) for read in density.reads(ledger).values()]
    assert sum(answered) >= 3
    assert density.table(found).count("| True |") == len(found)


def test_the_density_run_times_the_preview_as_its_days_change(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """The preview read again after the counts of changes of its month's
    first days were raised: timed, and each answer still the month counted
    afresh."""
    demo(ledger, clock, appeals=40)
    project(ledger)
    found = density.preview_as_days_change(ledger, rounds=2)
    assert list(found) == list(density.CHANGED_DAYS)
    assert all(figures["alike"] for figures in found.values())
    assert all(figures["remembered_ms"] > 0 for figures in found.values())
    raised = [found[n]["raised"] for n in density.CHANGED_DAYS]
    assert raised[0] == 0
    assert raised == sorted(raised)
    assert raised[-1] > 0  # counter rows of the month's hours were raised
    lines = density.days_table(found).splitlines()
    assert lines[0].startswith("| days changed | 0 | 1 |")
    assert lines[-1] == "| alike |" + " True |" * len(found)


@pytest.mark.parametrize("store", ["postgres"], indirect=True)  # as bench.density
def test_the_density_run_stands_in_for_the_older_chunks_backlog(
    ledger: AppealLedger, clock: FixedClock, store: str
) -> None:
    """Each copy of the open stage cycles is added 400 days earlier, so every
    copy of a stage the overdue report reads is late, in its oldest bucket;
    the escalation pass plans rungs for the copies too, and none once the
    late stages stand at the rungs they reached."""
    demo(ledger, clock, appeals=40)
    project(ledger)
    tk, now = ledger.rules.timekeeping, clock.now()
    _, before = overdue.report(ledger.database, tk, now, [], 1)
    table = live_table(ledger.database, timeliness.CYCLES)
    with transaction(ledger.database, write=False) as sql:
        running = sql.execute(f"SELECT COUNT(*) FROM {table} WHERE is_open = 1").all()
        late_kind = sql.execute(
            f"SELECT COUNT(*) FROM {table} WHERE {timeliness.RUNNING_LATE_STAGES}"
        ).all()
        ids = sql.execute(f"SELECT appeal_id FROM {table}").all()
    originals = {UUID(str(row[0])) for row in ids}
    assert density.add_older_backlog(store, 2) == 2 * running[0][0] > 0
    _, after = overdue.report(ledger.database, tk, now, [], 1)
    assert after.total == before.total + 2 * late_kind[0][0]
    assert after.buckets["over_5"] == before.buckets["over_5"] + 2 * late_kind[0][0]
    assert ledger.rules.directory.unit(density.busiest_unit(ledger)) is not None
    planned = density.escalation_pass(ledger)(None)
    assert {a.appeal_id for a in planned} - originals  # the copies' new ids
    # each late stage raised to the rung it reached: the pass has none to add
    escalations = {(a.appeal_id, a.stage) for a in planned if a.kind == "escalate"}
    assert density.escalated_as_recorded(ledger) == len(escalations) > 0
    planned = density.escalation_pass(ledger)(None)
    assert [a for a in planned if a.kind == "escalate"] == []
