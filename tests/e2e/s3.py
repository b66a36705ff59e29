"""Peers of the S3 repository tests: s3rver (npm, installed by .ci/deps), an S3-compatible
server on loopback; a recording proxy in front of it that can also refuse requests; and the
aws CLI (Debian's awscli) reading the same bucket."""
from __future__ import annotations

import http.client
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tests.e2e.deployment import SOURCE_ROOT

BUCKET = "cell0ctl"
# s3rver's one account; it does not check signatures, the C++ tests check them against botocore.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}
AWS = "/usr/bin/aws"  # not a pyenv shim of the same name


class S3rver:
    """s3rver on 127.0.0.1 and a port of its choosing, with the bucket BUCKET."""

    def __init__(self) -> None:
        script = SOURCE_ROOT / "tests/support/s3/node_modules/s3rver/bin/s3rver.js"
        node = shutil.which("node")
        if node is None or not script.exists():
            raise RuntimeError("node or s3rver is missing: run `bash .ci/deps`")
        self.data = Path(tempfile.mkdtemp(prefix="cell0ctl-s3rver-"))
        # s3rver's continuation tokens are DES-encrypted, which OpenSSL 3 keeps in its legacy provider.
        self.process = subprocess.Popen(
            [node, "--openssl-legacy-provider", str(script), "--directory", str(self.data),
             "--address", "127.0.0.1", "--port", "0", "--silent", "--configure-bucket", BUCKET],
            stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if match:
                self.url = f"http://127.0.0.1:{match.group(1)}"
                return
            if not line:
                break
        self.close()
        raise RuntimeError("s3rver did not say which port it listens on")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.data, ignore_errors=True)


class Proxy:
    """Forwards every request to `upstream`, records "METHOD /path" in order, and answers 403
    AccessDenied to the requests whose "METHOD /path" matches `refuse` instead."""

    def __init__(self, upstream: str) -> None:
        self.requests: list[str] = []
        self.refuse: re.Pattern[str] | None = None
        host, port = upstream.removeprefix("http://").split(":")
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def forward(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length) if length else None
                line = f"{self.command} {self.path.split('?')[0]}"
                proxy.requests.append(line)
                if proxy.refuse is not None and proxy.refuse.search(line):
                    answer = (b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
                              b"<Message>refused by the test</Message></Error>")
                    self.send_response(403)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")}
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                connection.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def aws(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The aws CLI against `endpoint`, with s3rver's credentials and no configuration of this host."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(CREDENTIALS)
    environment["AWS_CONFIG_FILE"] = os.devnull
    environment["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    environment["AWS_DEFAULT_REGION"] = "us-east-1"
    return subprocess.run([AWS, "--endpoint-url", endpoint, *args], capture_output=True, text=True,
                          env=environment, timeout=60)


def objects(endpoint: str, prefix: str) -> dict[str, int]:
    """Key (relative to `prefix`) -> size of the objects under s3://BUCKET/prefix/, by the aws CLI."""
    result = aws(endpoint, "s3", "ls", "--recursive", f"s3://{BUCKET}/{prefix}/")
    if result.returncode not in (0, 1):  # 1: nothing there
        raise AssertionError(result.stderr)
    listed: dict[str, int] = {}
    for line in result.stdout.splitlines():
        _date, _time, size, key = line.split(None, 3)
        listed[key.removeprefix(prefix + "/")] = int(size)
    return listed
