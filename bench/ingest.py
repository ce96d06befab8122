"""The ingest section: the command mix over HTTP against its baselines, and
projection lag under that load.

Every scenario runs in each round, in a fresh schema of the ``ingest``
database, with a fresh server: so runs are independent, every ratio is
taken against a baseline measured minutes apart at most, and drift shows up
as spread rather than as a bias.

Scenarios:

- ``generator``: ``GET /healthz`` of the real service (the generator's
  ceiling: a request that does no work);
- ``appeals``: the command mix against ``appeals serve``;
- ``appeals, library insert``: the same with ``APPEALS_GROUP_COMMIT=0`` (the
  eventsourcing library's own insert instead of group commit), to show what
  group commit adds;
- ``appeals+projections``: the same with ``appeals projections run`` beside
  it and the lag probe watching the views;
- ``appeals+webhooks``: the same with a webhook subscriber (bench.webhook_sink,
  on 127.0.0.1) and ``appeals webhooks run`` delivering to it: how long from
  a command's answer to its event's delivery, and whether the outbox keeps up;
- ``baseline``: the command mix against the plain Starlette + eventsourcing
  app (bench.baseline_app);
- ``raw unlocked|locked|locked+notify``: the same writes straight through
  psycopg (bench.raw_ingest).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench import processes
from bench import profile as profiling
from bench.cluster import Cluster
from bench.cpu import CpuMeter, postmaster_pid
from bench.lag import lags
from bench.loadgen import LoadConfig
from bench.locks import LockSampler
from bench.plan import Plan
from bench.stats import percentile
from bench.tokens import make_tokens

DATABASE = "ingest"
HTTP_SCENARIOS = (
    "generator",
    "appeals",
    "appeals, library insert",
    "appeals+projections",
    "appeals+webhooks",
    "baseline",
)
SERVICE_ENV = {"appeals, library insert": {"APPEALS_GROUP_COMMIT": "0"}}
RAW_SCENARIOS = {
    "raw unlocked": "unlocked",
    "raw locked": "locked",
    "raw locked+notify": "locked_notify",
}
SCENARIOS = (*HTTP_SCENARIOS, *RAW_SCENARIOS)


@dataclass
class IngestRun:
    """One scenario in one round."""

    scenario: str
    round: int
    throughput: float
    p50: float
    p99: float
    completed: int
    errors: dict[str, int]
    cores: dict[str, float]
    by_command: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    lag: dict[str, dict[str, float]] = field(default_factory=dict)
    service_processes: list[float] = field(default_factory=list)
    lock: dict[str, float] = field(default_factory=dict)  # bench.locks.LockUse
    worker_ready_s: float | None = None  # the projection worker's cold start
    webhooks: dict[str, float] = field(default_factory=dict)


def _summarise(scenario: str, number: int, result: dict[str, Any]) -> IngestRun:
    latencies: dict[str, list[float]] = result["latencies_ms"]
    every = [value for values in latencies.values() for value in values]
    return IngestRun(
        scenario=scenario,
        round=number,
        throughput=result["completed"] / result["seconds"],
        p50=percentile(every, 0.50),
        p99=percentile(every, 0.99),
        completed=result["completed"],
        errors=result["errors"],
        cores={},
        by_command={
            name: (len(values), percentile(values, 0.5), percentile(values, 0.99))
            for name, values in sorted(latencies.items())
        },
    )


class IngestSection:
    """Runs the scenarios of one round; files go under ``work``."""

    def __init__(
        self,
        cluster: Cluster,
        plan: Plan,
        work: Path,
        database: str | None = None,
    ) -> None:
        """Each scenario in a fresh schema of the ``ingest`` database; with
        ``database``, in that existing database itself, on top of what it
        holds (bench.scale: the load on a long history)."""
        self.cluster = cluster
        self.plan = plan
        self.work = work
        self.starts = processes.StartLog()
        self.database = database or DATABASE
        self.fresh = database is None
        # On a long history the worker may first catch up with the previous
        # scenarios' commands before it says it is ready.
        self.ready_timeout = processes.READY_TIMEOUT * (1 if self.fresh else 10)
        if self.fresh:
            cluster.create_database(DATABASE)

    def url(self, slug: str) -> str:
        """Where the scenario ``slug`` runs."""
        if self.fresh:
            return self.cluster.url(self.database, slug)
        return self.cluster.url(self.database)

    def _meter(self) -> CpuMeter:
        meter = CpuMeter()
        root = postmaster_pid(self.cluster.data_dir)
        if root is not None:
            meter.trees["postgres"] = root
        return meter

    def _load(
        self, name: str, port: int, kind: str, tokens: dict[str, str], meter: CpuMeter
    ) -> dict[str, Any]:
        plan = self.plan
        config = LoadConfig(
            host="127.0.0.1",
            port=port,
            kind=kind,
            clients=plan.clients,
            warmup=plan.warmup,
            duration=plan.duration,
            max_requests=plan.max_requests,
            tokens=tokens,
            seed=hash(name) & 0xFFFF,
            paths=(("healthz", "/healthz", ""),),
            record_positions=True,
        )
        config_file = self.work / f"{name}.load.json"
        result_file = self.work / f"{name}.result.json"
        config.dump(config_file)
        timeout = plan.warmup + plan.duration + 120
        processes.measured_child(
            "bench.loadgen",
            [str(config_file), str(result_file)],
            self.work / f"{name}.loadgen.log",
            meter,
            timeout=timeout,
        )
        result: dict[str, Any] = orjson.loads(result_file.read_bytes())
        return result

    def run_round(
        self, number: int, progress: Callable[[str], None]
    ) -> list[IngestRun]:
        runs = []
        for scenario in SCENARIOS:
            progress(f"ingest round {number}: {scenario}")
            runs.append(self.run_scenario(scenario, number))
        return runs

    def run_scenario(self, scenario: str, number: int) -> IngestRun:
        """One scenario (of SCENARIOS) in round ``number``."""
        if scenario in RAW_SCENARIOS:
            return self._raw(scenario, number)
        return self._http(scenario, number)

    def _http(self, scenario: str, number: int) -> IngestRun:
        slug = f"r{number}_{re.sub(r'[^a-z]+', '_', scenario)}"
        url = self.url(slug)
        kind = "baseline" if scenario == "baseline" else "appeals"
        tokens = {} if kind == "baseline" else make_tokens(url)
        workload = "get" if scenario == "generator" else "commands"
        meter = self._meter()
        log = self.work / f"{slug}.server.log"
        with (
            processes.service(
                kind,
                url,
                self.plan.workers,
                log,
                self.starts,
                SERVICE_ENV.get(scenario),
            ) as (port, server),
            self._projections(scenario, url, slug, meter) as probed,
            self._webhooks(scenario, url, slug, meter) as sink_file,
            LockSampler(self.cluster.server.url(self.database)) as locks,
        ):
            meter.sessions["service"] = server
            result = self._load(slug, port, workload, tokens, meter)
        run = _summarise(scenario, number, result)
        run.lock = dataclasses.asdict(locks.use(*result["window"]))
        run.cores = meter.cores(result["seconds"])
        run.service_processes = meter.processes("service", result["seconds"])
        if probed is not None:
            probe_file, run.worker_ready_s = probed
            run.lag = _lag_summary(result["positions"], probe_file)
        if sink_file is not None:
            run.webhooks = _webhook_summary(result, sink_file)
        return run

    def profile(self) -> dict[str, Any]:
        """One more ``appeals`` window with py-spy sampling every server
        worker (bench.profile); the summary, or why there is none."""
        url = self.url("profile_appeals")
        raw = self.work / "profile_ingest.txt"
        meter = self._meter()
        with processes.service(
            "appeals", url, self.plan.workers, self.work / "profile.server.log"
        ) as (port, server):
            seconds = self.plan.warmup + self.plan.duration
            try:
                spy = profiling.record_pid(
                    server, seconds, raw, self.work / "profile_ingest.log"
                )
            except OSError as error:
                return {"error": str(error)}
            result = self._load("profile", port, "commands", make_tokens(url), meter)
            spy.wait(60)
        if spy.returncode != 0 or not raw.exists():
            return {"error": f"py-spy failed; see {self.work / 'profile_ingest.log'}"}
        summary = profiling.summarise(raw)
        summary["commands_per_second"] = result["completed"] / result["seconds"]
        return summary

    @contextmanager
    def _projections(
        self, scenario: str, url: str, slug: str, meter: CpuMeter
    ) -> Iterator[tuple[Path, float] | None]:
        """The projection worker and the lag probe, for the scenario that
        measures lag: yields the probe's file and the worker's seconds from
        launch to ready; nothing for the others."""
        if scenario != "appeals+projections":
            yield None
            return
        probe_file = self.work / f"{slug}.probe.json"
        stop_file = self.work / f"{slug}.probe.stop"
        with contextlib.ExitStack() as stack:
            # The load begins once the worker is ready (warmed up, caught up):
            # the lag measured is the steady state's; the cold start is
            # measured apart, as the seconds it took to get ready. With more
            # than one, the load waits until they have divided the views.
            count = self.plan.projection_workers
            ready = 0.0  # the slowest worker's
            for index in range(count):
                suffix = "" if index == 0 else f" {index + 1}"
                worker, started = stack.enter_context(
                    processes.projection_worker(
                        url,
                        self.work / f"{slug}.worker{suffix.strip()}.log",
                        self.ready_timeout,
                    )
                )
                meter.sessions[f"projection worker{suffix}"] = worker
                ready = max(ready, started)
            if count > 1:
                processes.wait_for_leases(url, count, self.ready_timeout)
            probe = processes.start(
                [
                    processes.PYTHON,
                    "-m",
                    "bench.lag",
                    url,
                    str(probe_file),
                    "--seconds",
                    str(self.plan.warmup + self.plan.duration + 120),
                    "--stop-file",
                    str(stop_file),
                ],
                {},
                self.work / f"{slug}.probe.log",
            )
            meter.sessions["lag probe"] = probe.pid
            try:
                yield probe_file, ready
                processes.wait_quietly(self.plan.lag_tail)
                stop_file.touch()
                probe.wait(30)
            finally:
                processes.stop(probe)

    @contextmanager
    def _webhooks(
        self, scenario: str, url: str, slug: str, meter: CpuMeter
    ) -> Iterator[Path | None]:
        """For the webhook scenario: a receiver on 127.0.0.1, subscribed to
        every appeal event from now on, and the deliverer; nothing else for
        the others."""
        if scenario != "appeals+webhooks":
            yield None
            return
        port_file = self.work / f"{slug}.sink.port"
        result_file = self.work / f"{slug}.sink.json"
        stop_file = self.work / f"{slug}.sink.stop"
        log = self.work / f"{slug}.webhooks.log"
        env = {"APPEALS_DATABASE_URL": url}
        budget = self.plan.warmup + self.plan.duration + self.plan.lag_tail + 120
        sink = processes.start(
            [
                processes.PYTHON,
                "-m",
                "bench.webhook_sink",
                str(port_file),
                str(result_file),
                "--stop-file",
                str(stop_file),
                "--seconds",
                str(budget),
            ],
            {},
            log,
        )
        try:
            port = processes.wait_for_file(port_file, sink, log)
            added = processes.run_appeals(
                ["webhooks", "add", f"http://127.0.0.1:{port}/hook"], env, log
            )
            subscriber = added.split()[0]  # "<id> <secret>"
            deliverer = processes.start(
                [
                    str(processes.BIN / "appeals"),
                    "webhooks",
                    "run",
                    "--interval",
                    "0.2",
                ],
                env,
                log,
            )
            meter.sessions["webhook deliverer"] = deliverer.pid
            meter.sessions["webhook receiver"] = sink.pid
            try:
                yield result_file
                processes.wait_quietly(self.plan.lag_tail)
            finally:
                processes.stop(deliverer)
            if not self.fresh:  # the next round's deliverer would try it too
                processes.run_appeals(["webhooks", "remove", subscriber], env, log)
            stop_file.touch()
            sink.wait(30)
        finally:
            processes.stop(sink)

    def _raw(self, scenario: str, number: int) -> IngestRun:
        slug = f"r{number}_{RAW_SCENARIOS[scenario]}"
        self.cluster.create_database(f"raw_{number}")
        config = {
            "conninfo": self.cluster.server.url(f"raw_{number}"),
            "mode": RAW_SCENARIOS[scenario],
            "connections": self.plan.clients,
            "warmup": self.plan.warmup,
            "duration": self.plan.duration,
            "max_commands": self.plan.max_requests,
        }
        config_file = self.work / f"{slug}.raw.json"
        result_file = self.work / f"{slug}.result.json"
        config_file.write_bytes(orjson.dumps(config))
        meter = self._meter()
        with LockSampler(self.cluster.server.url(DATABASE)) as locks:
            processes.measured_child(
                "bench.raw_ingest",
                [str(config_file), str(result_file)],
                self.work / f"{slug}.raw.log",
                meter,
                timeout=self.plan.warmup + self.plan.duration + 120,
            )
        result = orjson.loads(result_file.read_bytes())
        run = _summarise(scenario, number, result)
        run.lock = dataclasses.asdict(locks.use(*result["window"]))
        run.cores = meter.cores(result["seconds"])
        return run


def _lag_summary(
    answers: list[list[float]], probe_file: Path
) -> dict[str, dict[str, float]]:
    probed = orjson.loads(probe_file.read_bytes())
    pairs = [(float(t), int(p)) for t, p in answers]
    summary = {}
    for name, readings in sorted(probed["positions"].items()):
        found, missing = lags(pairs, [(float(t), int(p)) for t, p in readings])
        summary[name] = {
            "p50": percentile(found, 0.5),
            "p99": percentile(found, 0.99),
            "max": max(found) if found else float("nan"),
            "commands": float(len(pairs)),
            "missing": float(missing),
        }
    return summary


def _webhook_summary(result: dict[str, Any], sink_file: Path) -> dict[str, float]:
    """From a command's answer to its event's delivery: lag percentiles, the
    deliveries per second inside the measured window, and how many answered
    commands' events were not delivered by the end (the backlog left)."""
    deliveries = orjson.loads(sink_file.read_bytes())["deliveries"]
    readings = [(float(t), int(p)) for t, p in deliveries]
    pairs = [(float(t), int(p)) for t, p in result["positions"]]
    found, missing = delivery_lags(pairs, readings)
    start, end = (float(x) for x in result["window"])
    inside = sum(1 for t, _ in readings if start <= t <= end)
    return {
        "p50": percentile(found, 0.5),
        "p99": percentile(found, 0.99),
        "max": max(found) if found else float("nan"),
        "commands": float(len(pairs)),
        "missing": float(missing),
        "delivered_per_second": inside / (end - start) if end > start else math.nan,
        "delivered": float(len(readings)),
    }


def delivery_lags(
    answers: list[tuple[float, int]], deliveries: list[tuple[float, int]]
) -> tuple[list[float], int]:
    """Lag in ms from each answer to the first delivery of its position (the
    command's event itself: appeals go side by side, so a later position
    arriving first says nothing of an earlier one), and how many were never
    delivered."""
    first: dict[int, float] = {}
    for instant, position in deliveries:
        first.setdefault(position, instant)
    found: list[float] = []
    missing = 0
    for answered, position in answers:
        arrived = first.get(position)
        if arrived is None:
            missing += 1
        else:
            found.append(max(0.0, (arrived - answered) * 1000.0))
    return found, missing
