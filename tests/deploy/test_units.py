"""The deployment kit agrees with the application: every systemd unit's
``ExecStart`` is a command ``appeals`` parses and runs the service the unit
says; the environment file's variables are ones the application reads and
configure the PostgreSQL layout the units assume; nginx proxies to the API
unit's address with size and time limits that fit the service's own; the
Dockerfile's commands parse too."""

from __future__ import annotations

import argparse
import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from appeals.cli import escalate, projections, serve, webhooks
from appeals.cli.main import build_parser
from appeals.infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
APPEALS_BIN = "/opt/appeals/venv/bin/appeals"

SERVICES = {
    "appeals-api.service": serve.run_serve,
    "appeals-projections.service": projections.run_worker,
    "appeals-scheduler.service": escalate.run_escalate,
    "appeals-webhooks.service": webhooks.run_deliver,
}


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name, encoding="utf-8")
    return parser


def parsed(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed by the real command line; a usage error fails."""
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exit:
        pytest.fail(f"appeals {' '.join(argv)} does not parse (exit {exit.code})")


def exec_start(name: str) -> list[str]:
    return shlex.split(unit(name)["Service"]["ExecStart"])


def environment_file() -> dict[str, str]:
    env = {}
    for line in (DEPLOY / "appeals.env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    return env


def test_there_is_a_unit_for_each_service() -> None:
    assert {p.name for p in UNITS.glob("*.service")} == set(SERVICES)
    target = unit("appeals.target")
    assert target["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_unit_runs_its_command_as_the_service_user(name: str) -> None:
    argv = exec_start(name)
    assert argv[0] == APPEALS_BIN
    assert parsed(argv[1:]).run is SERVICES[name]
    service = unit(name)["Service"]
    assert (service["User"], service["Group"]) == ("appeals", "appeals")
    assert service["EnvironmentFile"] == "/etc/appeals/appeals.env"
    assert service["Restart"] == "on-failure"
    assert service["ReadWritePaths"] == service["WorkingDirectory"]
    assert unit(name)["Install"]["WantedBy"] == "appeals.target"


def test_the_environment_file_sets_up_the_postgresql_layout() -> None:
    env = environment_file()
    sources = "\n".join(p.read_text() for p in (ROOT / "appeals").rglob("*.py"))
    unread = [key for key in env if f'"{key}"' not in sources]
    assert unread == [], f"variables the application never reads: {unread}"
    configured = Settings.from_env(env)
    assert configured.database.engine == "postgres"
    assert configured.database.pg_schema == "appeals"  # deploy/postgres
    assert not configured.create_tables
    # The other three units run what would otherwise run inside the API.
    assert not configured.projections.run_in_server
    assert not configured.scheduler_in_server
    assert not configured.webhooks_in_server
    assert configured.blob_store.startswith("/var/lib/appeals/")


def nginx() -> str:
    text = (DEPLOY / "nginx" / "appeals.conf").read_text()
    return re.sub(r"#[^\n]*", "", text)


def directive(text: str, name: str) -> list[str]:
    return re.findall(rf"(?m)^\s*{name}\s+([^;]+);", text)


def size(value: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024, "g": 1024**3}
    number, unit_ = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()  # type: ignore[union-attr]
    return int(number) * units.get(unit_, 1)


def seconds(value: str) -> float:
    number, unit_ = re.fullmatch(r"(\d+)(ms|s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[unit_]


def location(text: str, pattern: str) -> str:
    """The body of the ``location`` block whose match is ``pattern``."""
    start = text.index(f"location {pattern} {{")
    return text[start : text.index("}", start)]


def test_nginx_proxies_to_the_api_unit() -> None:
    api = parsed(exec_start("appeals-api.service")[1:])
    text = nginx()
    upstream = text[text.index("upstream appeals_api") :]
    upstream = upstream[: upstream.index("}")]
    assert directive(upstream, "server") == [f"{api.host}:{api.port}"]
    assert set(directive(text, "proxy_pass")) == {"http://appeals_api"}
    assert "443 ssl" in text
    assert directive(text, "ssl_protocols") == ["TLSv1.2 TLSv1.3"]


def test_nginx_limits_fit_the_service() -> None:
    configured = Settings.from_env(environment_file())
    text = nginx()
    server_block = text[text.index("listen 443") :]
    # JSON bodies: the service's own 413 answers, up to twice its limit.
    # (the server block's own, before its locations)
    general = size(directive(server_block, "client_max_body_size")[0])
    assert configured.body_limit <= general <= 2 * configured.body_limit
    # Attachments: the limit and the multipart form's few bytes, not more.
    pattern = "^/appeals/[^/]+/attachments$"
    attachments = location(text, f"~ {pattern}")
    [upload] = [size(v) for v in directive(attachments, "client_max_body_size")]
    assert configured.attachment_limit < upload <= 1.1 * configured.attachment_limit
    assert re.search(pattern, "/appeals/0b7e5a6e-4a0e-4d36/attachments")
    assert not re.search(pattern, "/appeals/0b7e5a6e-4a0e-4d36/comment")
    assert (
        "/appeals/{appeal_id}/attachments"
        in (ROOT / "appeals" / "http" / "attachments.py").read_text()
    )
    # Time: nginx waits for a client no longer than the service would, and
    # for the service longer than a report's wait for its view.
    request_timeout = configured.server.request_timeout
    for name in ("client_header_timeout", "client_body_timeout"):
        assert seconds(directive(server_block, name)[0]) <= request_timeout
    assert seconds(directive(text, "proxy_read_timeout")[0]) > (
        configured.projections.max_wait
    )
    upstream = text[text.index("upstream appeals_api") :]
    [idle] = directive(upstream[: upstream.index("}")], "keepalive_timeout")
    assert seconds(idle) < configured.server.keep_alive


def test_the_dockerfile_commands_parse() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    entry = re.search(r'(?m)^ENTRYPOINT \["(\w+)"\]', text)
    assert entry is not None
    assert entry.group(1) == "appeals"
    command = re.search(r"(?m)^CMD (\[.*\])$", text)
    assert command is not None
    assert parsed(json.loads(command.group(1))).run is serve.run_serve
    commands = re.findall(r"appeal-ledger ([a-z]+(?: run)?)\n", text)
    assert len(commands) == 4  # the three services and init
    for line in commands:
        parsed(line.split())
    assert "NOT TESTED HERE" in text


def test_the_operations_guide_walks_through_every_file_of_the_kit() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file():
            name = path.relative_to(ROOT).as_posix()
            named = (name, path.name, path.stem)  # appeals-api(.service)
            assert any(n in guide for n in named), f"the guide never names {name}"
    for name in SERVICES:
        assert name.removesuffix(".service") in guide
    for command in ("appeals init", "setup.sh", "nginx -t", "systemctl enable"):
        assert command in guide


def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify``: no unknown key, no bad value, the command
    executable (the units' /opt path swapped for this checkout's)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    here = str(Path(sys.executable).parent / "appeals")
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace(APPEALS_BIN, here))
    done = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
