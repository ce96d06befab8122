"""The reads section: each read endpoint's latency at the history's size.

After the rebuilds the views are current, so the service answers from the
full history: the real ``appeals serve`` on the history database, with an
admin token (reads everything, so no request is refused for scope). Each
endpoint is measured on its own, cycling through a sample of appeals,
enterprises and units drawn at random from the history; ``read_clients``
clients (1 by default: the latency of a request on an otherwise idle
server, without queueing).
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson

from bench import processes
from bench.cluster import Cluster
from bench.history import months_after
from bench.loadgen import LoadConfig
from bench.plan import Plan
from bench.rebuilds import DATABASE
from bench.stats import percentile
from bench.tokens import make_tokens

SAMPLE = 300
SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLE_QUERY = """
SELECT originator_id, state FROM {table}
WHERE topic = 'Appeal.Received' ORDER BY random() LIMIT %s
"""


@dataclass
class ReadRun:
    endpoint: str
    round: int
    throughput: float
    p50: float
    p99: float
    completed: int
    errors: dict[str, int]


@dataclass(frozen=True)
class Samples:
    appeals: list[str]
    usccs: list[str]
    units: list[str]


def draw_samples(cluster: Cluster, seed: int) -> Samples:
    with cluster.server.connect(DATABASE) as connection:
        table = "appeals_events"
        rows = connection.execute(SAMPLE_QUERY.format(table=table), (SAMPLE,))
        appeals, usccs = [], []
        for originator_id, state in rows.fetchall():
            appeals.append(str(originator_id))
            usccs.append(str(orjson.loads(bytes(state))["uscc"]))
        units = [
            str(row[0])
            for row in connection.execute(
                "SELECT DISTINCT unit FROM view_appeal_list WHERE unit IS NOT NULL"
            ).fetchall()
        ]
    Random(seed).shuffle(units)
    return Samples(appeals, usccs, units)


def endpoints(samples: Samples) -> dict[str, list[str]]:
    """Endpoint name -> the paths to cycle through."""
    units = samples.units or [""]
    return {
        "GET /appeals/{id}": [f"/appeals/{a}" for a in samples.appeals],
        "GET /appeals/{id}/history": [f"/appeals/{a}/history" for a in samples.appeals],
        "GET /appeals (list, newest 50)": ["/appeals?limit=50"],
        "GET /appeals?unit=&status= (filtered list)": [
            "/appeals?"
            + urlencode({"unit": unit, "status": "in_progress,assigned", "limit": 50})
            for unit in units
        ],
        "GET /enterprises/{uscc}/ledger": [
            f"/enterprises/{uscc}/ledger" for uscc in samples.usccs
        ],
        "GET /reports/category-month": ["/reports/category-month"],
        "GET /reports/timeliness": ["/reports/timeliness"],
        "GET /reports/accountability": ["/reports/accountability"],
        "GET /reports/overdue": ["/reports/overdue"],
        "GET /reports/trend (response rate, the default 6 months)": [
            "/reports/trend?indicator=response_rate"
        ],
        "GET /reports/trend (median first-response hours by unit, 12 months)": [
            "/reports/trend?"
            + urlencode(
                {
                    "indicator": "first_response_hours",
                    "group_by": "unit",
                    "from": month_before(this_month(), 11),
                    "to": this_month(),
                }
            )
        ],
        "GET /reports/hotspots (30 days)": ["/reports/hotspots"],
        "GET /assessments/{month}/preview": [
            f"/assessments/{this_month()}/preview?group_by=unit"
        ],
        "GET Open311 requests.json": ["/open311/v2/requests.json"],
        "GET /dashboard (overview page)": ["/dashboard"],
    }


def this_month() -> str:
    """The service's current month (its clock is the real one), Shanghai."""
    return datetime.now(SHANGHAI).strftime("%Y-%m")


def month_before(month: str, count: int) -> str:
    """The month ``count`` months before ``month`` (both ``YYYY-MM``)."""
    year, number = (int(part) for part in month.split("-"))
    return months_after(date(year, number, 1), -count).strftime("%Y-%m")


"""Endpoints this version of the service does not have are skipped (and
listed in the report)."""


def auth_headers(token: str) -> dict[str, str]:
    """The token as the API takes it and as the dashboard's session cookie
    (each ignores the other)."""
    return {"Authorization": f"Bearer {token}", "Cookie": f"appeals_session={token}"}


def _status(port: int, path: str, token: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=auth_headers(token))
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class ReadSection:
    def __init__(self, cluster: Cluster, plan: Plan, work: Path) -> None:
        self.cluster = cluster
        self.plan = plan
        self.work = work
        self.url = cluster.url(DATABASE)
        self.starts = processes.StartLog()
        self.skipped: dict[str, str] = {}

    def run(self, progress: Callable[[str], None]) -> list[ReadRun]:
        tokens = make_tokens(self.url)
        wanted = endpoints(draw_samples(self.cluster, seed=7))
        runs: list[ReadRun] = []
        log = self.work / "reads.server.log"
        with processes.service(
            "appeals", self.url, self.plan.workers, log, self.starts
        ) as (port, _):
            for name, paths in list(wanted.items()):
                status = _status(port, paths[0], tokens["admin"])
                if status != 200:
                    self.skipped[name] = f"HTTP {status}"
                    del wanted[name]
            for number in range(1, self.plan.rounds + 1):
                progress(f"reads round {number}: {len(wanted)} endpoints")
                runs += self._measure(port, tokens, wanted, number)
        return runs

    def _measure(
        self,
        port: int,
        tokens: dict[str, str],
        wanted: dict[str, list[str]],
        number: int,
    ) -> list[ReadRun]:
        """Every endpoint in turn, in one load generator process."""
        plan = self.plan
        config = LoadConfig(
            host="127.0.0.1",
            port=port,
            kind="get-phases",
            clients=plan.read_clients,
            warmup=plan.read_warmup,
            duration=plan.read_duration,
            max_requests=plan.max_requests,
            tokens={"admin": tokens["admin"]},
            paths=tuple(
                (name, path, "admin")
                for name, paths in wanted.items()
                for path in paths
            ),
        )
        config_file = self.work / f"reads_{number}.json"
        result_file = self.work / f"reads_{number}.result.json"
        config.dump(config_file)
        per_endpoint = plan.read_warmup + plan.read_duration
        processes.run_child(
            "bench.loadgen",
            [str(config_file), str(result_file)],
            self.work / f"reads_{number}.log",
            timeout=len(wanted) * (per_endpoint + 30) + 60,
        )
        phases: dict[str, Any] = orjson.loads(result_file.read_bytes())["phases"]
        runs = []
        for name, result in phases.items():
            values = result["latencies_ms"].get(name, [])
            runs.append(
                ReadRun(
                    endpoint=name,
                    round=number,
                    throughput=result["completed"] / result["seconds"],
                    p50=percentile(values, 0.5),
                    p99=percentile(values, 0.99),
                    completed=result["completed"],
                    errors=result["errors"],
                )
            )
        return runs
