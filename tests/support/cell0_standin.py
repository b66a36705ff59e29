#!/usr/bin/env python3
"""Stand-in for Cell 0 OS's network services, for cell0ctl's end-to-end tests.

It replays REAL responses captured from a running Cell 0 OS (the JSON records in
shared/fixtures/cell0-os/responses/, see that tree's README.md, section "responses/"):
the captured status, headers (minus hop-by-hop ones) and the exact body bytes
(``body_raw``).  Nothing is copied into this repository; the records are read at start-up
from ``--fixtures DIR`` (default: <repo>/../shared/fixtures/cell0-os/responses).

    python3 tests/support/cell0_standin.py ROLE --port PORT [--mode MODE] [options]

Put ROLE right after the script path: cell0ctl recognises processes by their command
line (``... cell0_standin.py gateway`` looks like ``cell0 gateway``; ``cell0d`` is matched
anywhere in a python argv).

Roles (real port) and their own modes:
  gateway (18789)  healthy (default)  gateway-*                  python:true, bridge "ok"
                   degraded           gateway-cell0d-crashed-*   python:false, bridge "degraded"
                   external           gateway-external-cell0d-*  (missing records: gateway-*)
                   Unknown routes: fastify's captured 404 with "Route METHOD:/path not found".
  cell0d (18800, metrics 18802 with --metrics-port)
                   healthy (default)  cell0d-prod-* (else cell0d-*), /api/config reports
                                      the ports really bound; unknown path -> captured 404
                   dev                cell0d-* (development: /api/docs is Swagger HTML)
                   after-sigterm      HTTP port closed (refused), metrics still served from
                                      cell0d-after-sigterm-*, SIGTERM/SIGINT ignored
                   --metrics-cell0-series appends cell0_* series to the Prometheus text.
  ollama (11434)   healthy only; a model list built from --model, per Ollama's REST docs.
  signal (8080)    signal-cli-rest-api: /v1/health 204 (or --health-status 200),
                   /v1/about, /v1/accounts (--account).

Failure modes for every role (for cell0d: the HTTP port only, metrics stay normal):
  slow       the role's default mode, each response delayed by --delay seconds (3)
  blackhole  accept and read, never answer, never close
  drip       "200 OK" + "Content-Length: 1000", then the body one byte per second
  reset      accept, then close with RST (SO_LINGER 1,0)
  refuse     nothing listens (with --port 0 a free port is picked and reported)
  garbage    200 application/json with the truncated body '{"status": "healthy"'

Once every socket is bound it prints one line to stdout, ``READY {"port": P,
"metrics_port": M|null, "role": ..., "mode": ..., "pid": ...}``, and serves until
SIGTERM/SIGINT (exit 0).  Only 127.0.0.1 is bound.  Logs go to stderr with --verbose.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import socket
import shlex
import socketserver
import subprocess
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

HOST = "127.0.0.1"
DEFAULT_FIXTURES = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "../../../shared/fixtures/cell0-os/responses"))
ROLE_MODES = {"gateway": ("healthy", "degraded", "external"),
              "cell0d": ("healthy", "dev", "after-sigterm"),
              "ollama": ("healthy",), "signal": ("healthy",)}
FAILURE_MODES = ("slow", "blackhole", "drip", "reset", "refuse", "garbage")
RAW_MODES = ("blackhole", "drip", "reset")
SKIP_HEADERS = {"date", "content-length", "connection", "keep-alive", "transfer-encoding"}
GIN_JSON = "application/json; charset=utf-8"  # Go/gin (ollama, signal-cli-rest-api)
GIN_404 = b"404 page not found"

GATEWAY_ROUTES = {"/health": "GET-health", "/api/health": "GET-api-health",
                  "/api/status": "GET-api-status", "/docs": "GET-docs", "/glassbox/": "GET-glassbox"}
GATEWAY_PREFIXES = {"healthy": ["gateway-"], "degraded": ["gateway-cell0d-crashed-", "gateway-"],
                    "external": ["gateway-external-cell0d-", "gateway-"]}
CELL0D_ROUTES = {"/health": "GET-health", "/health/deep": "GET-health-deep", "/ready": "GET-ready",
                 "/live": "GET-live", "/api/status": "GET-api-status", "/api/config": "GET-api-config",
                 "/api/agents": "GET-api-agents", "/api/mlx/status": "GET-api-mlx-status",
                 "/openapi.json": "GET-openapi-json", "/api/docs": "GET-api-docs"}
CELL0D_PREFIXES = {"healthy": ["cell0d-prod-", "cell0d-"], "dev": ["cell0d-"],
                   "after-sigterm": ["cell0d-after-sigterm-", "cell0d-"]}
CELL0_SERIES = ("# HELP cell0_uptime_seconds Cell 0 daemon uptime in seconds\n"
                "# TYPE cell0_uptime_seconds gauge\ncell0_uptime_seconds {uptime:.1f}\n"
                "# HELP cell0_agents_active Number of active agents\n"
                "# TYPE cell0_agents_active gauge\ncell0_agents_active{{agent_type=\"default\"}} 0.0\n")
DRIP_BODY = b'{"status":"healthy"}'.ljust(1000)
DRIP_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             b"Content-Length: 1000\r\nConnection: close\r\n\r\n")
OLLAMA_DEFAULT_MODEL = ("llama3.2:3b", 2019393189)
OLLAMA_REPLY = "Hello! I am a local model served by Ollama. How can I help you today?"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


App = Callable[[str, str, Message, bytes], Reply]  # (method, target, headers, body) -> Reply


def compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def json_reply(obj: Any, status: int = 200, ctype: str = GIN_JSON) -> Reply:
    return Reply(status, compact(obj), [("Content-Type", ctype)])


class Fixtures:
    """The captured response records in the shared fixture directory."""

    def __init__(self, directory: str) -> None:
        self.dir = Path(directory)

    def first(self, prefixes: list[str], suffix: str) -> dict[str, Any]:
        """The record PREFIX+SUFFIX.json for the first prefix that has one (e.g. prod, then dev)."""
        for path in (self.dir / f"{prefix}{suffix}.json" for prefix in prefixes):
            if path.is_file():
                return json.loads(path.read_text(encoding="utf-8"))
        raise FileNotFoundError(f"no fixture {'|'.join(prefixes)}{suffix}.json in {self.dir}")


def record_body(rec: dict[str, Any]) -> bytes:
    if rec.get("body_raw") is not None:
        return rec["body_raw"].encode()
    body = rec.get("body")
    return (body if isinstance(body, str) else json.dumps(body)).encode()


def replay(rec: dict[str, Any], body: bytes | None = None, status: int | None = None) -> Reply:
    headers = [(k, v) for k, v in rec["headers"].items() if k not in SKIP_HEADERS]
    return Reply(status or rec["status"], record_body(rec) if body is None else body, headers)


def route(target: str) -> str:
    return urlsplit(target).path or "/"


# --- roles -------------------------------------------------------------------------------

def gateway_app(fx: Fixtures, mode: str) -> App:
    prefixes = GATEWAY_PREFIXES[mode]
    routes = {path: replay(fx.first(prefixes, suffix)) for path, suffix in GATEWAY_ROUTES.items()}
    not_found = fx.first(prefixes, "GET-nonexistent")

    def app(method: str, target: str, headers: Message, body: bytes) -> Reply:
        if method in ("GET", "HEAD") and route(target) in routes:
            return routes[route(target)]
        message = dict(not_found["body"], message=f"Route {method}:{target} not found")
        return replay(not_found, compact(message))
    return app


def cell0d_app(fx: Fixtures, mode: str, ports: dict[str, int | None]) -> App:
    prefixes = CELL0D_PREFIXES["dev" if mode == "dev" else "healthy"]
    records = {path: fx.first(prefixes, suffix) for path, suffix in CELL0D_ROUTES.items()}
    not_found = fx.first(prefixes, "GET-api-health")  # a captured FastAPI 404

    def app(method: str, target: str, headers: Message, body: bytes) -> Reply:
        path = route(target)
        rec = records.get(path)
        if rec is None:
            reply = replay(not_found)
        elif method not in ("GET", "HEAD"):
            reply = replay(not_found, b'{"detail":"Method Not Allowed"}', 405)
            reply.headers.insert(0, ("allow", "GET"))
        elif path == "/api/config":  # report the ports really bound, for discovery tests
            config = json.loads(record_body(rec))
            config["ports"]["http"] = ports["port"]
            if ports["metrics_port"]:
                config["ports"]["metrics"] = ports["metrics_port"]
            reply = replay(rec, compact(config))
        else:
            reply = replay(rec)
        request_id = headers.get("X-Request-ID") or uuid.uuid4().hex[:8]  # cell0d echoes it
        reply.headers = [(k, request_id if k == "x-request-id" else v) for k, v in reply.headers]
        return reply
    return app


def metrics_app(fx: Fixtures, mode: str, cell0_series: bool) -> App:
    rec = fx.first(CELL0D_PREFIXES.get(mode, CELL0D_PREFIXES["healthy"]), "metrics18802-GET-metrics")
    started = time.monotonic()

    def app(method: str, target: str, headers: Message, body: bytes) -> Reply:
        text = record_body(rec)
        if cell0_series:
            text += CELL0_SERIES.format(uptime=time.monotonic() - started).encode()
        return replay(rec, text)  # prometheus_client answers the same on every path
    return app


def parse_model(spec: str) -> tuple[str, int]:
    """``NAME[:TAG][:SIZE_BYTES]``; a purely numeric last part is the size."""
    name, size = spec, OLLAMA_DEFAULT_MODEL[1]
    head, sep, tail = spec.rpartition(":")
    if sep and head and tail.isdigit():
        name, size = head, int(tail)
    return (name if ":" in name else f"{name}:latest"), size


def ollama_model(name: str, size: int) -> dict[str, Any]:
    base, _, tag = name.partition(":")
    family = re.match(r"[a-z]*", base).group(0) or base  # llama3.2 -> llama
    params = re.fullmatch(r"(\d+(?:\.\d+)?)([bm])", tag, re.IGNORECASE)
    return {"name": name, "model": name, "modified_at": "2025-01-20T10:15:42.591286134Z",
            "size": size, "digest": hashlib.sha256(name.encode()).hexdigest(),
            "details": {"parent_model": "", "format": "gguf", "family": family, "families": [family],
                        "parameter_size": (params.group(1) + params.group(2).upper()) if params
                        else f"{size / 0.6e9:.1f}B",
                        "quantization_level": "Q4_K_M"}}


def now_rfc3339(delta: float = 0.0) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=delta)).isoformat().replace("+00:00", "Z")


def ollama_app(specs: list[str], preloaded: list[str]) -> App:
    models = dict(parse_model(spec) for spec in specs) if specs else dict([OLLAMA_DEFAULT_MODEL])
    loaded: dict[str, str] = {}  # name -> expires_at (keep_alive 5 m; never actually unloaded)
    lock = threading.Lock()
    loaded.update((parse_model(spec)[0], now_rfc3339(300)) for spec in preloaded)

    def generate(body: bytes) -> Reply:
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return json_reply({"error": "invalid character in request body"}, 400)
        if not isinstance(req, dict) or not req.get("model"):
            return json_reply({"error": "model is required"}, 400)
        name = parse_model(str(req["model"]))[0]
        if name not in models:
            return json_reply({"error": f'model "{req["model"]}" not found, try pulling it first'}, 404)
        with lock:
            loaded[name] = now_rfc3339(300)
        base = {"model": req["model"], "created_at": now_rfc3339()}
        prompt = str(req.get("prompt") or "")
        if not prompt:  # an empty prompt only loads the model
            return json_reply(dict(base, response="", done=True, done_reason="load"))
        words, reason = OLLAMA_REPLY.split(" "), "stop"
        limit = (req.get("options") or {}).get("num_predict")
        if isinstance(limit, int) and 0 < limit < len(words):
            words, reason = words[:limit], "length"
        tokens = [w if i == 0 else " " + w for i, w in enumerate(words)]
        stats = {"done": True, "done_reason": reason, "context": list(range(1, len(tokens) + 9)),
                 "total_duration": 412_000_000, "load_duration": 21_000_000,
                 "prompt_eval_count": len(prompt.split()) + 8, "prompt_eval_duration": 38_000_000,
                 "eval_count": len(tokens), "eval_duration": 18_000_000 * len(tokens)}
        if req.get("stream", True) is False:
            return json_reply(dict(base, response="".join(tokens), **stats))
        lines = [dict(base, response=t, done=False) for t in tokens] + [dict(base, response="", **stats)]
        ndjson = b"".join(compact(line) + b"\n" for line in lines)
        return Reply(200, ndjson, [("Content-Type", "application/x-ndjson")])

    def app(method: str, target: str, headers: Message, body: bytes) -> Reply:
        path, get = route(target), method in ("GET", "HEAD")
        if path == "/" and get:
            return Reply(200, b"Ollama is running", [("Content-Type", "text/plain; charset=utf-8")])
        if path == "/api/version" and get:
            return json_reply({"version": "0.5.7"})
        if path == "/api/tags" and get:
            return json_reply({"models": [ollama_model(n, s) for n, s in models.items()]})
        if path == "/api/ps" and get:
            with lock:
                running = [(n, models.get(n, OLLAMA_DEFAULT_MODEL[1]), exp) for n, exp in loaded.items()]
            return json_reply({"models": [dict(ollama_model(n, size), expires_at=exp, size_vram=size)
                                          for n, size, exp in running]})
        if path == "/api/generate" and method == "POST":
            return generate(body)
        return Reply(404, GIN_404, [("Content-Type", "text/plain")])
    return app


def signal_app(health_status: int, accounts: list[str]) -> App:
    about = {"versions": ["v1", "v2"], "build": 2, "mode": "json-rpc", "version": "0.92",
             "capabilities": {"v2/send": ["quotes", "mentions"]}}

    routes = {"/v1/health": Reply(health_status), "/v1/about": json_reply(about),
              "/v1/accounts": json_reply(accounts)}  # upstream's health answer is 204 No Content

    def app(method: str, target: str, headers: Message, body: bytes) -> Reply:
        reply = routes.get(route(target)) if method in ("GET", "HEAD") else None
        return reply or Reply(404, GIN_404, [("Content-Type", "text/plain")])
    return app


def garbage_app(method: str, target: str, headers: Message, body: bytes) -> Reply:
    return Reply(200, b'{"status": "healthy"', [("Content-Type", "application/json")])


# --- servers -----------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are closed after this
    server: "Server"

    def dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if self.server.delay:
            time.sleep(self.server.delay)
        reply = self.server.app(self.command, self.path, self.headers, body)
        no_body = reply.status in (204, 304)
        self.send_response_only(reply.status)  # no automatic Server header: replay the captured one
        self.send_header("Date", self.date_time_string())
        for name, value in reply.headers:
            self.send_header(name, value)
        if not no_body:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD" and not no_body:
            self.wfile.write(reply.body)
        self.wfile.flush()
        self.log_request(reply.status)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = dispatch

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"[{self.server.server_port}] {self.address_string()} {format % args}\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, app: App, delay: float, verbose: bool) -> None:
        self.app, self.delay, self.verbose = app, delay, verbose
        super().__init__((HOST, port), Handler)

    def server_bind(self) -> None:  # skip HTTPServer's reverse-DNS lookup of the host
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


def listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    return sock


def unused_port(port: int) -> int:
    """The port to report for a port nobody listens on (a free one when 0)."""
    if port:
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def raw_connection(conn: socket.socket, mode: str) -> None:
    try:
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "blackhole":
            while conn.recv(65536):
                pass
        elif mode == "drip":
            conn.settimeout(2.0)
            head = b""
            try:
                while b"\r\n\r\n" not in head and (chunk := conn.recv(65536)):
                    head += chunk
            except TimeoutError:
                pass
            conn.sendall(DRIP_HEAD)
            for i in range(len(DRIP_BODY)):
                conn.sendall(DRIP_BODY[i:i + 1])
                time.sleep(1.0)
    except OSError:
        pass
    finally:
        conn.close()


def serve_raw(sock: socket.socket, mode: str) -> None:
    def accept_loop() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            if mode == "reset":
                raw_connection(conn, mode)
            else:
                threading.Thread(target=raw_connection, args=(conn, mode), daemon=True).start()
    threading.Thread(target=accept_loop, daemon=True).start()


# --- main --------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cell 0 OS service stand-in replaying captured responses.")
    parser.add_argument("role", choices=sorted(ROLE_MODES))
    parser.add_argument("--port", type=int, required=True, help="main port; 0 picks a free one")
    parser.add_argument("--mode", default="healthy")
    parser.add_argument("--fixtures", default=DEFAULT_FIXTURES, help="captured responses directory")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds per response in mode slow")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    parser.add_argument("--metrics-port", type=int, help="cell0d: Prometheus exporter port (0: free)")
    parser.add_argument("--metrics-cell0-series", action="store_true", help="cell0d: add cell0_* series")
    parser.add_argument("--model", action="append", default=[], help="ollama: NAME[:TAG][:SIZE_BYTES]")
    parser.add_argument("--loaded", action="append", default=[], help="ollama: model listed by /api/ps")
    parser.add_argument("--health-status", type=int, choices=(200, 204), default=204, help="signal")
    parser.add_argument("--account", action="append", default=[], help="signal: registered number")
    parser.add_argument("--child", metavar="ARGS",
                        help="gateway: start a cell0d stand-in as its child process, as the real "
                             "gateway's PythonBridge does; ARGS are extra options for it")
    args = parser.parse_args(argv)
    if args.mode not in ROLE_MODES[args.role] + FAILURE_MODES:
        parser.error(f"mode {args.mode!r} is not valid for {args.role}; choose from "
                     f"{', '.join(ROLE_MODES[args.role] + FAILURE_MODES)}")
    return args


def build_app(args: argparse.Namespace, fx: Fixtures, ports: dict[str, int | None]) -> App:
    if args.mode == "garbage":
        return garbage_app
    mode = args.mode if args.mode in ROLE_MODES[args.role] else "healthy"
    if args.role == "gateway":
        return gateway_app(fx, mode)
    if args.role == "cell0d":
        return cell0d_app(fx, mode, ports)
    if args.role == "ollama":
        return ollama_app(args.model, args.loaded)
    return signal_app(args.health_status, args.account or ["+15550001111"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fx = Fixtures(args.fixtures)
    ports: dict[str, Any] = {"port": None, "metrics_port": None}
    try:
        app = build_app(args, fx, ports)
        with_metrics = args.role == "cell0d" and args.metrics_port is not None
        metrics = metrics_app(fx, args.mode, args.metrics_cell0_series) if with_metrics else None
    except (OSError, ValueError, KeyError) as exc:
        print(f"cell0_standin: cannot load fixtures: {exc}", file=sys.stderr)
        return 2
    servers: list[Server] = []
    sockets: list[socket.socket] = []
    try:
        if args.mode in ("refuse", "after-sigterm"):
            ports["port"] = unused_port(args.port)
        elif args.mode in RAW_MODES:
            sockets.append(listen(args.port))
            ports["port"] = sockets[0].getsockname()[1]
        else:
            servers.append(Server(args.port, app, args.delay if args.mode == "slow" else 0.0, args.verbose))
            ports["port"] = servers[0].server_port
        if metrics is not None:
            servers.append(Server(args.metrics_port, metrics, 0.0, args.verbose))
            ports["metrics_port"] = servers[-1].server_port
    except OSError as exc:
        print(f"cell0_standin: cannot bind: {exc}", file=sys.stderr)
        return 1
    for sock in sockets:
        serve_raw(sock, args.mode)
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    child: subprocess.Popen[str] | None = None
    if args.role == "gateway" and args.child is not None:
        child = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "cell0d", "--port", "0",
             "--fixtures", args.fixtures, *shlex.split(args.child)],
            stdout=subprocess.PIPE, text=True)
        line = child.stdout.readline() if child.stdout else ""
        if not line.startswith("READY "):
            print("cell0_standin: the cell0d child did not start", file=sys.stderr)
            child.kill()
            return 1
        ports["child"] = json.loads(line[6:])

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # after-sigterm: like the hung daemon, the process outlives SIGTERM; only SIGKILL ends it.
        signal.signal(signum, signal.SIG_IGN if args.mode == "after-sigterm" else lambda *_: stop.set())
    ready = dict(ports, role=args.role, mode=args.mode, pid=os.getpid())
    sys.stdout.write(f"READY {json.dumps(ready)}\n")
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    if child is not None:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    for server in servers:
        server.shutdown()
        server.server_close()
    for sock in sockets:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
