"""``deploy/nginx/appeals.conf`` in front of a real ``appeals serve``, where
nginx is installed: TLS on loopback (a certificate made for the test), the
service's own RFC 9457 413 for a body a little over APPEALS_BODY_LIMIT,
nginx's for one far over it, an attachment-sized upload let through on the
attachments route only, and an X-Request-ID on every proxied answer."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.machine import missing
from tests.support.server import free_port, intake_token, served

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx" / "appeals.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        missing(
            "the nginx test needs nginx's binary (apt-get install nginx-light; "
            "scripts/setup --dev does it as root)"
        )
    return found


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def site(folder: Path, upstream: int, https: int, http: int) -> Path:
    """The shipped site, moved to this test's ports and certificate, inside a
    main configuration that keeps everything in ``folder``."""
    cert, key = certificate(folder)
    text = CONF.read_text()
    text = text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    text = text.replace("/etc/ssl/appeals/fullchain.pem", str(cert))
    text = text.replace("/etc/ssl/appeals/privkey.pem", str(key))
    text = re.sub(r"listen \[::\]:\d+[^;]*;", "", text)  # loopback v4 only
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl;")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};")
    (folder / "site.conf").write_text(text)
    user = "user root;\n" if os.geteuid() == 0 else ""  # temp files in folder
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "worker_processes 1;\nevents {}\nhttp {\n"
        f"  access_log {folder}/access.log;\n"
        f"  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        f"  include {folder}/site.conf;\n}}\n"
    )
    return main


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(nginx's https base URL, the service's token)."""
    binary = nginx_binary()
    env = {"APPEALS_DATABASE_URL": f"sqlite:///{tmp_path / 'appeals.sqlite3'}"}
    env["APPEALS_BLOB_STORE"] = str(tmp_path / "blobs")
    token = intake_token(env)
    with served(env) as base:
        upstream = int(base.rsplit(":", 1)[1])
        https, http = free_port(), free_port()
        config = site(tmp_path, upstream, https, http)
        checked = subprocess.run(
            [binary, "-t", "-c", str(config)], capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        process = subprocess.Popen(
            [binary, "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"https://127.0.0.1:{https}"
        try:
            deadline = time.monotonic() + 20
            while True:
                assert process.poll() is None, (tmp_path / "error.log").read_text()
                try:
                    httpx.get(url + "/healthz", verify=False, timeout=1)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            yield url, token
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_the_service_behind_nginx(nginx: tuple[str, str]) -> None:
    url, token = nginx
    with httpx.Client(base_url=url, verify=False, timeout=30) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.headers["X-Request-ID"]  # nginx's id, carried through
        mine = client.get("/healthz", headers={"X-Request-ID": "req-0001"})
        assert mine.headers["X-Request-ID"] == "req-0001"
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        # A little over APPEALS_BODY_LIMIT (64 KiB): the service's own problem.
        over = client.post("/appeals", headers=auth, content=b" " * 100_000)
        assert over.status_code == 413
        assert over.headers["Content-Type"].startswith("application/problem+json")
        # Far over it: nginx stops it before the service sees it.
        far = client.post("/appeals", headers=auth, content=b" " * 300_000)
        assert far.status_code == 413
        assert far.headers["Content-Type"].startswith("text/html")
        # The attachments route takes an attachment's size (up to 21m); the
        # appeal does not exist, so the service answers, not nginx.
        upload = client.post(
            "/appeals/00000000-0000-4000-8000-000000000000/attachments",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("a.pdf", b"%PDF-1.4\n" + b"0" * 2_000_000)},
        )
        assert upload.headers["Content-Type"].startswith("application/problem+json")
        assert upload.status_code in (404, 422)
    plain = httpx.get(url.replace("https", "http"), timeout=5)
    assert plain.status_code >= 400  # TLS only on that port
