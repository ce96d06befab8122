"""The load generator: its own process, closed-loop clients on keep-alive
connections, bounded in time and in count.

``python -m bench.loadgen CONFIG.json RESULT.json``. Each of ``clients``
coroutines keeps one connection and sends its next request as soon as the
previous answer arrives. Requests that finish during the warm-up are not
counted; the measured window then lasts ``duration`` seconds or until
``max_requests`` have been sent, whichever comes first. Times are
``time.monotonic()`` (CLOCK_MONOTONIC, shared by every process on the
machine), so command answers can be matched with projection positions seen
by the lag probe in another process.

Workloads: ``commands`` (appeal lifecycles, bench.workload), ``get`` (GET
requests to a list of paths, cycled) and ``get-phases`` (the paths of each
label in turn, each label measured in its own window).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from bench.http_client import Connection, build_request
from bench.workload import Lifecycle, lifecycles

POOL = 800
"""Distinct lifecycles drawn before the clock starts (then reused)."""


@dataclass(frozen=True)
class LoadConfig:
    host: str
    port: int
    kind: str  # "commands", "get" or "get-phases"
    clients: int
    warmup: float
    duration: float
    max_requests: int
    tokens: dict[str, str] = field(default_factory=dict)
    seed: int = 1
    paths: tuple[tuple[str, str, str], ...] = ()  # (label, path, token name)
    record_positions: bool = False

    @classmethod
    def load(cls, path: Path) -> LoadConfig:
        raw = orjson.loads(path.read_bytes())
        raw["paths"] = tuple(tuple(p) for p in raw.get("paths", ()))
        return cls(**raw)

    def dump(self, path: Path) -> None:
        path.write_bytes(orjson.dumps(self))


class Recorder:
    """What the clients saw inside the measured window."""

    def __init__(self, config: LoadConfig) -> None:
        self.config = config
        now = time.monotonic()
        self.start = now + config.warmup
        self.deadline = self.start + config.duration
        self.sent = 0
        self.last_done = self.start
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.positions: list[tuple[float, int]] = []

    @property
    def stopped(self) -> bool:
        return (
            time.monotonic() >= self.deadline or self.sent >= self.config.max_requests
        )

    def may_send(self) -> bool:
        if self.stopped:
            return False
        self.sent += 1
        return True

    def done(self, label: str, began: float, ended: float, error: str | None) -> bool:
        """Records one request; True if it counts (inside the window)."""
        if began < self.start or ended > self.deadline:
            return False
        self.last_done = max(self.last_done, ended)
        if error is not None:
            self.errors[error] += 1
            return False
        self.latencies[label].append((ended - began) * 1000.0)
        return True

    def result(self) -> dict[str, Any]:
        end = min(self.deadline, max(self.last_done, self.start))
        if self.sent < self.config.max_requests:
            end = self.deadline
        return {
            "window": [self.start, end],
            "seconds": max(end - self.start, 1e-9),
            "completed": sum(len(v) for v in self.latencies.values()),
            "errors": dict(self.errors),
            "latencies_ms": dict(self.latencies),
            "positions": self.positions,
        }


def announce_window(start: float, deadline: float) -> None:
    """Tells the harness (on stdout) when the measured window opens and
    closes, so it can read CPU counters at those instants."""
    print(f"window {start} {deadline}", flush=True)


def _header(token: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
        headers["Cookie"] = f"appeals_session={token}"  # the dashboard's session
    return headers


async def _command_client(
    recorder: Recorder, connection: Connection, plans: list[Lifecycle], client: int
) -> None:
    config = recorder.config
    host = f"{config.host}:{config.port}"
    receipt_headers = _header(config.tokens.get("intake"))
    for use in range(config.max_requests):
        plan = plans[use % len(plans)]
        body = plan.receipt_body(use * config.clients + client)
        request = build_request("POST", "/appeals", host, receipt_headers, body)
        appeal_id = await _send_command(recorder, connection, "receive", request)
        for step in plan.steps:
            if appeal_id is None:
                break  # refused: abandon this appeal, start the next
            path = f"/appeals/{appeal_id}/{step.command}"
            headers = _header(config.tokens.get(step.role))
            request = build_request("POST", path, host, headers, step.body)
            appeal_id = await _send_command(recorder, connection, step.command, request)
        if recorder.stopped:
            return


async def _send_command(
    recorder: Recorder, connection: Connection, label: str, request: bytes
) -> str | None:
    """Sends one command; the appeal's id if it was carried out."""
    if not recorder.may_send():
        return None
    began = time.monotonic()
    answer = await connection.send(request)
    ended = time.monotonic()
    ok = answer.status in (200, 201)
    recorder.done(label, began, ended, None if ok else f"HTTP {answer.status}")
    if not ok:
        return None
    body = orjson.loads(answer.body)
    position = body.get("position")
    recording = recorder.config.record_positions and began >= recorder.start
    if recording and isinstance(position, int):
        recorder.positions.append((ended, position))
    appeal_id: str = body["id"]
    return appeal_id


async def _get_client(recorder: Recorder, connection: Connection, offset: int) -> None:
    config = recorder.config
    host = f"{config.host}:{config.port}"
    requests = [
        (label, build_request("GET", path, host, _header(config.tokens.get(token))))
        for label, path, token in config.paths
    ]
    index = offset
    while recorder.may_send():
        label, request = requests[index % len(requests)]
        index += 1
        began = time.monotonic()
        answer = await connection.send(request)
        ended = time.monotonic()
        ok = answer.status == 200
        recorder.done(label, began, ended, None if ok else f"HTTP {answer.status}")


async def _phases(config: LoadConfig, connections: list[Connection]) -> dict[str, Any]:
    """Each label's paths in turn, each with its own warm-up and window, on
    the same connections: one process measures every endpoint."""
    labels = list(dict.fromkeys(label for label, _, _ in config.paths))
    results = {}
    for label in labels:
        phase = replace(
            config, kind="get", paths=tuple(p for p in config.paths if p[0] == label)
        )
        recorder = Recorder(phase)
        await asyncio.gather(
            *(_get_client(recorder, c, i) for i, c in enumerate(connections))
        )
        results[label] = recorder.result()
    return {"phases": results}


async def run(config: LoadConfig) -> dict[str, Any]:
    """Runs the configured load and returns what it measured."""
    connections = [
        await Connection.open(config.host, config.port) for _ in range(config.clients)
    ]
    if config.kind == "get-phases":
        try:
            return await _phases(config, connections)
        finally:
            for connection in connections:
                await connection.close()
    plans = lifecycles(config.seed, POOL) if config.kind == "commands" else []
    recorder = Recorder(config)  # the clock starts once the bodies are ready
    announce_window(recorder.start, recorder.deadline)
    if config.kind == "commands":
        shares = [plans[i :: config.clients] for i in range(config.clients)]
        tasks = [
            _command_client(recorder, c, share, i)
            for i, (c, share) in enumerate(zip(connections, shares, strict=True))
        ]
    elif config.kind == "get":
        tasks = [_get_client(recorder, c, i) for i, c in enumerate(connections)]
    else:
        raise ValueError(f"unknown workload {config.kind!r}")
    try:
        await asyncio.gather(*tasks)
    finally:
        for connection in connections:
            await connection.close()
    return recorder.result()


def main(argv: list[str]) -> int:
    config = LoadConfig.load(Path(argv[0]))
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    result = runner(run(config))
    Path(argv[1]).write_bytes(orjson.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
