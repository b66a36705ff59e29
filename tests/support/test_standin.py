"""Tests for tests/support/cell0_standin.py: start it in every role/mode, check its answers.

Run from the repository root:  python3 -m unittest tests/support/test_standin.py -v
"""
from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "cell0_standin.py"
FIXTURES = Path(os.path.normpath(HERE / "../../../shared/fixtures/cell0-os/responses"))
HOST = "127.0.0.1"
ROLES = ("gateway", "cell0d", "ollama", "signal")


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def fixture_body(name: str) -> bytes:
    rec = fixture(name)
    return (rec["body_raw"] if rec.get("body_raw") is not None else rec["body"]).encode()


def fetch(port: int, path: str, method: str = "GET", data: Any = None,
          headers: dict[str, str] | None = None, timeout: float = 5.0) -> tuple[int, Any, bytes]:
    """(status, headers, body) via urllib; HTTP errors are answers too."""
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=body, method=method,
                                 headers=dict(headers or {}, **({"Content-Type": "application/json"}
                                                                if body else {})))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def raw_connect(port: int, timeout: float = 3.0) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=timeout)


@unittest.skipUnless(FIXTURES.is_dir(), f"captured fixtures not found at {FIXTURES}")
class StandinCase(unittest.TestCase):
    def start(self, role: str, *args: str, expect_ready: bool = True) -> dict[str, Any]:
        proc = subprocess.Popen([sys.executable, str(SCRIPT), role, "--port", "0", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(self.stop, proc)
        self.proc = proc
        deadline = time.monotonic() + 10
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
        if not expect_ready:
            return {"line": line, "proc": proc}
        self.assertTrue(line.startswith(b"READY {") and line.endswith(b"}\n"), line)
        info = json.loads(line[len(b"READY "):])
        self.assertEqual(info["role"], role)
        return info

    @staticmethod
    def stop(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
        proc.stdout.close()
        proc.stderr.close()

    def assert_replays(self, port: int, path: str, name: str) -> None:
        status, headers, body = fetch(port, path)
        rec = fixture(name)
        self.assertEqual(status, rec["status"], path)
        self.assertEqual(body, fixture_body(name), path)
        self.assertEqual(headers["Content-Type"], rec["headers"]["content-type"], path)
        self.assertEqual(int(headers["Content-Length"]), len(body), path)


class GatewayTests(StandinCase):
    def test_healthy_replays_captured_responses(self) -> None:
        port = self.start("gateway")["port"]
        for path, name in (("/health", "gateway-GET-health"), ("/api/health", "gateway-GET-api-health"),
                           ("/api/status", "gateway-GET-api-status"), ("/docs", "gateway-GET-docs")):
            self.assert_replays(port, path, name)
        self.assertTrue(json.loads(fetch(port, "/health")[2])["python"])

    def test_fastify_404_names_the_route(self) -> None:
        port = self.start("gateway")["port"]
        status, headers, body = fetch(port, "/x")
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body), {"message": "Route GET:/x not found", "error": "Not Found",
                                            "statusCode": 404})
        status, _, body = fetch(port, "/api/chat/completions", "POST", {"x": 1})
        self.assertEqual((status, json.loads(body)["message"]),
                         (404, "Route POST:/api/chat/completions not found"))

    def test_degraded(self) -> None:
        port = self.start("gateway", "--mode", "degraded")["port"]
        self.assert_replays(port, "/health", "gateway-cell0d-crashed-GET-health")
        self.assert_replays(port, "/api/status", "gateway-cell0d-crashed-GET-api-status")
        health = json.loads(fetch(port, "/health")[2])
        self.assertEqual((health["status"], health["python"]), ("healthy", False))
        self.assertEqual(json.loads(fetch(port, "/api/health")[2])["components"]["python_bridge"], "degraded")

    def test_external(self) -> None:
        port = self.start("gateway", "--mode", "external")["port"]
        for path, name in (("/health", "gateway-external-cell0d-GET-health"),
                           ("/api/health", "gateway-external-cell0d-GET-api-health"),
                           ("/api/status", "gateway-external-cell0d-GET-api-status"),
                           ("/docs", "gateway-GET-docs")):
            self.assert_replays(port, path, name)

    def test_keep_alive_and_head(self) -> None:
        port = self.start("gateway")["port"]
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        self.addCleanup(conn.close)
        for _ in range(2):
            conn.request("GET", "/health")
            resp = conn.getresponse()
            self.assertEqual((resp.status, resp.version), (200, 11))
            self.assertEqual(resp.read(), fixture_body("gateway-GET-health"))
        conn.request("HEAD", "/health")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("Content-Length"), str(len(fixture_body("gateway-GET-health"))))
        self.assertEqual(resp.read(), b"")

    def test_sigterm_exits_zero_promptly(self) -> None:
        info = self.start("gateway")
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=3), 0)
        self.assertEqual(self.proc.stdout.read(), b"")  # nothing but the READY line on stdout
        with self.assertRaises(ConnectionRefusedError):
            raw_connect(info["port"]).close()

    def test_explicit_and_missing_fixture_dir(self) -> None:
        port = self.start("gateway", "--fixtures", str(FIXTURES))["port"]
        self.assert_replays(port, "/health", "gateway-GET-health")
        started = self.start("gateway", "--fixtures", "/nonexistent/dir", expect_ready=False)
        self.assertEqual(started["line"], b"")
        self.assertNotEqual(started["proc"].wait(timeout=5), 0)
        self.assertIn(b"fixture", started["proc"].stderr.read())

    def test_mode_must_suit_role(self) -> None:
        started = self.start("gateway", "--mode", "dev", expect_ready=False)
        self.assertEqual(started["proc"].wait(timeout=5), 2)  # argparse usage error


class Cell0dTests(StandinCase):
    ROUTES = (("/health", "GET-health"), ("/health/deep", "GET-health-deep"), ("/ready", "GET-ready"),
              ("/live", "GET-live"), ("/api/status", "GET-api-status"), ("/api/agents", "GET-api-agents"),
              ("/api/mlx/status", "GET-api-mlx-status"), ("/openapi.json", "GET-openapi-json"),
              ("/api/docs", "GET-api-docs"))

    def test_healthy_replays_production_captures(self) -> None:
        info = self.start("cell0d", "--metrics-port", "0")
        for path, suffix in self.ROUTES:
            self.assert_replays(info["port"], path, "cell0d-prod-" + suffix)
        self.assertEqual(fetch(info["port"], "/api/docs")[0], 404)
        status, headers, body = fetch(info["port"], "/nope")
        self.assertEqual((status, body, headers["Content-Type"]), (404, b'{"detail":"Not Found"}',
                                                                   "application/json"))
        self.assertEqual(headers["Server"], "uvicorn")

    def test_config_reports_bound_ports(self) -> None:
        info = self.start("cell0d", "--metrics-port", "0")
        config = json.loads(fetch(info["port"], "/api/config")[2])
        self.assertEqual(config["environment"], "production")
        self.assertEqual(config["ports"], {"http": info["port"], "websocket": 18801,
                                           "metrics": info["metrics_port"]})

    def test_metrics_port(self) -> None:
        info = self.start("cell0d", "--metrics-port", "0")
        for path in ("/metrics", "/", "/anything"):
            status, headers, body = fetch(info["metrics_port"], path)
            self.assertEqual(status, 200)
            self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
            self.assertEqual(body, fixture_body("cell0d-prod-metrics18802-GET-metrics"))
        self.assertNotIn(b"cell0_", body)

    def test_metrics_cell0_series(self) -> None:
        info = self.start("cell0d", "--metrics-port", "0", "--metrics-cell0-series")
        text = fetch(info["metrics_port"], "/metrics")[2].decode()
        self.assertIn("# TYPE cell0_uptime_seconds gauge\ncell0_uptime_seconds ", text)
        self.assertIn('cell0_agents_active{agent_type="default"} 0.0', text)
        self.assertIn("process_max_fds 20000.0", text)

    def test_no_metrics_port_unless_asked(self) -> None:
        self.assertIsNone(self.start("cell0d")["metrics_port"])

    def test_dev(self) -> None:
        port = self.start("cell0d", "--mode", "dev")["port"]
        for path, suffix in self.ROUTES:
            self.assert_replays(port, path, "cell0d-" + suffix)
        self.assertEqual(json.loads(fetch(port, "/health")[2])["environment"], "development")
        status, headers, _ = fetch(port, "/api/docs")
        self.assertEqual((status, headers["Content-Type"]), (200, "text/html; charset=utf-8"))

    def test_request_id_echoed_and_405(self) -> None:
        port = self.start("cell0d")["port"]
        _, headers, _ = fetch(port, "/health", headers={"X-Request-ID": "abc123"})
        self.assertEqual(headers["x-request-id"], "abc123")
        status, _, body = fetch(port, "/health", "POST", {})
        self.assertEqual((status, body), (405, b'{"detail":"Method Not Allowed"}'))

    def test_after_sigterm(self) -> None:
        info = self.start("cell0d", "--mode", "after-sigterm", "--metrics-port", "0")
        with self.assertRaises(ConnectionRefusedError):
            raw_connect(info["port"]).close()
        expected = fixture_body("cell0d-after-sigterm-metrics18802-GET-metrics")
        self.assertEqual(fetch(info["metrics_port"], "/metrics")[2], expected)
        self.proc.send_signal(signal.SIGTERM)
        with self.assertRaises(subprocess.TimeoutExpired):
            self.proc.wait(timeout=0.7)
        self.assertEqual(fetch(info["metrics_port"], "/metrics")[2], expected)
        self.proc.kill()
        self.assertEqual(self.proc.wait(timeout=3), -signal.SIGKILL)

    def test_failure_mode_keeps_metrics_normal(self) -> None:
        info = self.start("cell0d", "--mode", "refuse", "--metrics-port", "0")
        with self.assertRaises(ConnectionRefusedError):
            raw_connect(info["port"]).close()
        self.assertEqual(fetch(info["metrics_port"], "/metrics")[0], 200)


class OllamaTests(StandinCase):
    def test_default_model_and_endpoints(self) -> None:
        port = self.start("ollama")["port"]
        self.assertEqual(fetch(port, "/")[2], b"Ollama is running")
        self.assertEqual(json.loads(fetch(port, "/api/version")[2]), {"version": "0.5.7"})
        status, headers, body = fetch(port, "/api/tags")
        self.assertEqual((status, headers["Content-Type"]), (200, "application/json; charset=utf-8"))
        (model,) = json.loads(body)["models"]
        self.assertEqual((model["name"], model["model"], model["size"]), ("llama3.2:3b", "llama3.2:3b",
                                                                          2019393189))
        self.assertEqual(len(model["digest"]), 64)
        self.assertEqual(set(model["details"]), {"parent_model", "format", "family", "families",
                                                 "parameter_size", "quantization_level"})
        self.assertEqual(json.loads(fetch(port, "/api/ps")[2]), {"models": []})
        self.assertEqual(fetch(port, "/api/nope")[0], 404)

    def test_generate(self) -> None:
        port = self.start("ollama")["port"]
        request = {"model": "llama3.2:3b", "prompt": "Say hi", "stream": False, "options": {"num_predict": 64}}
        status, _, body = fetch(port, "/api/generate", "POST", request)
        answer = json.loads(body)
        self.assertEqual(status, 200)
        self.assertEqual((answer["model"], answer["done"], answer["done_reason"]), ("llama3.2:3b", True, "stop"))
        self.assertTrue(answer["response"])
        for key in ("created_at", "total_duration", "load_duration", "prompt_eval_count", "eval_count"):
            self.assertIn(key, answer)
        (loaded,) = json.loads(fetch(port, "/api/ps")[2])["models"]
        self.assertEqual(loaded["name"], "llama3.2:3b")
        self.assertIn("expires_at", loaded)
        self.assertEqual(loaded["size_vram"], 2019393189)
        short = json.loads(fetch(port, "/api/generate", "POST", dict(request, options={"num_predict": 2}))[2])
        self.assertEqual((short["eval_count"], short["done_reason"]), (2, "length"))

    def test_generate_unknown_model(self) -> None:
        port = self.start("ollama")["port"]
        status, _, body = fetch(port, "/api/generate", "POST", {"model": "x", "prompt": "hi", "stream": False})
        self.assertEqual((status, json.loads(body)), (404, {"error": 'model "x" not found, try pulling it first'}))

    def test_model_options(self) -> None:
        port = self.start("ollama", "--model", "mistral", "--model", "qwen2.5:7b:4683087332",
                          "--loaded", "mistral")["port"]
        models = json.loads(fetch(port, "/api/tags")[2])["models"]
        self.assertEqual([(m["name"], m["size"]) for m in models],
                         [("mistral:latest", 2019393189), ("qwen2.5:7b", 4683087332)])
        self.assertEqual([m["name"] for m in json.loads(fetch(port, "/api/ps")[2])["models"]], ["mistral:latest"])
        status, _, body = fetch(port, "/api/generate", "POST", {"model": "mistral", "prompt": "hi", "stream": False})
        self.assertEqual((status, json.loads(body)["model"]), (200, "mistral"))


class SignalTests(StandinCase):
    def test_endpoints(self) -> None:
        port = self.start("signal")["port"]
        status, _, body = fetch(port, "/v1/health")
        self.assertEqual((status, body), (204, b""))
        self.assertEqual(json.loads(fetch(port, "/v1/about")[2]),
                         {"versions": ["v1", "v2"], "build": 2, "mode": "json-rpc", "version": "0.92",
                          "capabilities": {"v2/send": ["quotes", "mentions"]}})
        self.assertEqual(json.loads(fetch(port, "/v1/accounts")[2]), ["+15550001111"])

    def test_options(self) -> None:
        port = self.start("signal", "--health-status", "200", "--account", "+1", "--account", "+2")["port"]
        status, headers, body = fetch(port, "/v1/health")
        self.assertEqual((status, body, headers["Content-Length"]), (200, b"", "0"))
        self.assertEqual(json.loads(fetch(port, "/v1/accounts")[2]), ["+1", "+2"])


class FailureModeTests(StandinCase):
    PROBES = {"gateway": "/health", "cell0d": "/health", "ollama": "/api/version", "signal": "/v1/about"}

    def test_slow(self) -> None:
        for role, path in self.PROBES.items():
            with self.subTest(role=role):
                port = self.start(role, "--mode", "slow", "--delay", "0.4")["port"]
                began = time.monotonic()
                status, _, body = fetch(port, path)
                self.assertGreaterEqual(time.monotonic() - began, 0.35)
                self.assertEqual(status, 200)
                json.loads(body)

    def test_garbage(self) -> None:
        for role, path in self.PROBES.items():
            with self.subTest(role=role):
                port = self.start(role, "--mode", "garbage")["port"]
                status, headers, body = fetch(port, path + "?x")
                self.assertEqual((status, headers["Content-Type"], body),
                                 (200, "application/json", b'{"status": "healthy"'))
                with self.assertRaises(ValueError):
                    json.loads(body)

    def test_refuse(self) -> None:
        for role in ROLES:
            with self.subTest(role=role):
                info = self.start(role, "--mode", "refuse")
                self.assertGreater(info["port"], 0)
                with self.assertRaises(ConnectionRefusedError):
                    raw_connect(info["port"]).close()
                self.assertIsNone(self.proc.poll())

    def test_reset(self) -> None:
        for role in ROLES:
            with self.subTest(role=role):
                port = self.start(role, "--mode", "reset")["port"]
                with self.assertRaises(ConnectionResetError):  # in connect() or in recv()
                    with raw_connect(port) as sock:
                        sock.recv(1024)
                with self.assertRaises((ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
                    conn = http.client.HTTPConnection(HOST, port, timeout=3)
                    try:
                        conn.request("GET", "/health")
                        conn.getresponse()
                    finally:
                        conn.close()

    def test_blackhole(self) -> None:
        for role in ("gateway", "cell0d"):
            with self.subTest(role=role):
                port = self.start(role, "--mode", "blackhole")["port"]
                with raw_connect(port, timeout=0.5) as sock:
                    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                    with self.assertRaises(TimeoutError):
                        sock.recv(1024)  # neither an answer nor EOF
                with self.assertRaises(TimeoutError):
                    fetch(port, "/health", timeout=0.5)

    def test_drip(self) -> None:
        port = self.start("signal", "--mode", "drip")["port"]
        with raw_connect(port, timeout=3) as sock:
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                self.assertTrue(chunk)
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"))
            self.assertIn(b"Content-Length: 1000", head)
            deadline = time.monotonic() + 2.2
            while time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    body += sock.recv(4096)
                except TimeoutError:
                    break
            self.assertTrue(1 <= len(body) <= 4, body)
        with self.assertRaises(TimeoutError):
            fetch(port, "/v1/health", timeout=0.5)  # each byte comes 1 s apart


if __name__ == "__main__":
    unittest.main()
