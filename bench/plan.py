"""How much to measure: the quick and the full run."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Plan:
    """Sizes, durations and repetitions of one benchmark run."""

    mode: str
    rounds: int  # repetitions of every measurement (fewer if a budget runs out)
    clients: int  # concurrent HTTP clients, and connections for the raw baseline
    workers: int  # uvicorn worker processes (appeals serve --workers)
    warmup: float  # seconds of load before the measured window
    duration: float  # seconds in each measured ingest window
    max_requests: int  # hard bound on requests per window
    history_events: int  # events in the generated history
    history_processes: int
    rebuild_budget: float  # seconds of rebuilds (the first round always runs)
    decode_limit: int  # events the library decodes per round
    es_runner_limit: int  # events for eventsourcing's ProjectionRunner
    es_runner_seconds: float
    read_clients: int
    read_warmup: float  # seconds per read endpoint before its window
    read_duration: float  # seconds per read endpoint per round
    lag_tail: float  # seconds the lag probe keeps watching after the load
    # ``appeals projections run`` processes beside the load in the lag
    # scenario; more than one divide the views by leases (docs/scaling.md)
    projection_workers: int = 1

    def with_overrides(self, **changes: object) -> Plan:
        known = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **known)  # type: ignore[arg-type]


QUICK = Plan(
    mode="quick",
    rounds=3,
    clients=8,
    workers=2,
    warmup=1.0,
    duration=4.0,
    max_requests=50_000,
    history_events=40_000,
    history_processes=2,
    rebuild_budget=90.0,
    decode_limit=100_000,
    es_runner_limit=2_000,
    es_runner_seconds=6.0,
    read_clients=1,
    read_warmup=0.5,
    read_duration=2.0,
    lag_tail=3.0,
)

FULL = Plan(
    mode="full",
    rounds=5,
    clients=8,
    workers=2,
    warmup=2.0,
    duration=7.0,
    max_requests=200_000,
    history_events=1_000_000,
    history_processes=2,
    rebuild_budget=660.0,
    decode_limit=300_000,
    es_runner_limit=6_000,
    es_runner_seconds=10.0,
    read_clients=1,
    read_warmup=0.5,
    read_duration=2.5,
    lag_tail=5.0,
)
