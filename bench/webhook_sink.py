"""A webhook receiver for the outbox measurement: answers every delivery
204 at once and keeps, for each, ``time.monotonic()`` and the log position
its ``X-Appeals-Delivery`` header names (``SUBSCRIBER:POSITION``).

``python -m bench.webhook_sink PORT_FILE RESULT.json --stop-file F`` binds a
free port on 127.0.0.1, writes it to PORT_FILE, and serves until the stop
file appears (or ``--seconds`` pass); then writes ``{"deliveries": [[t,
position], ...]}``. CLOCK_MONOTONIC is one clock for every process on the
machine, so these instants compare with the load generator's.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson


class Sink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Delivery)
        self.deliveries: list[tuple[float, int]] = []
        self.lock = threading.Lock()


class Delivery(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the deliverer reuses its connection
    server: Sink

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        now = time.monotonic()
        _, _, position = (self.headers.get("X-Appeals-Delivery") or "").rpartition(":")
        if position.isdigit():
            with self.server.lock:
                self.server.deliveries.append((now, int(position)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook_sink")
    parser.add_argument("port_file", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--stop-file", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    sink = Sink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    args.port_file.write_text(str(sink.server_address[1]))
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline and not args.stop_file.exists():
        time.sleep(0.1)
    sink.shutdown()
    with sink.lock:
        deliveries = list(sink.deliveries)
    args.result.write_bytes(orjson.dumps({"deliveries": deliveries}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
