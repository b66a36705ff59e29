"""End-to-end tests of cell0ctl's HTTP client as operators meet it: the proxy environment is
honoured (and no_proxy), and TLS certificates are verified."""
from __future__ import annotations

import http.server
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import unittest
from pathlib import Path

from tests.e2e.deployment import FIXTURES, Deployment, fixtures_available


def captured_body(name: str) -> bytes:
    import json
    record = json.loads((FIXTURES / "responses" / f"{name}.json").read_text())
    return record["body_raw"].encode()


class Recorder(http.server.ThreadingHTTPServer):
    """Answers every request with the gateway's captured /api/health, recording request lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        body = captured_body("gateway-GET-api-health")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler) -> None:  # noqa: N805
                self.lines.append(handler.requestline)
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json; charset=utf-8")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            def log_message(handler, *args: object) -> None:  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@unittest.skipUnless(fixtures_available(), "../shared/fixtures absent: end-to-end tests skipped")
class HttpClientTest(unittest.TestCase):
    def setUp(self) -> None:
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)

    def test_proxy_environment_is_honoured(self) -> None:
        proxy = Recorder()
        self.addCleanup(proxy.stop)
        gateway = self.deployment.endpoints["gateway"]
        # The proxy answers for a gateway that does not run here: no process gate.
        _, _, checks = self.deployment.doctor("gateway.health", "--skip", "process",
                                              env={"http_proxy": proxy.url})
        self.assertEqual("ok", checks["gateway.health"]["status"], checks["gateway.health"]["summary"])
        # A proxy is sent the absolute URL.
        self.assertEqual([f"GET {gateway}/api/health HTTP/1.1"], proxy.lines)

    def test_no_proxy_bypasses_the_proxy(self) -> None:
        proxy = Recorder()
        self.addCleanup(proxy.stop)
        self.deployment.start_gateway()
        _, _, checks = self.deployment.doctor("gateway.health",
                                              env={"http_proxy": proxy.url, "no_proxy": "127.0.0.1"})
        self.assertEqual("ok", checks["gateway.health"]["status"])
        self.assertEqual([], proxy.lines)

    @unittest.skipUnless(shutil.which("openssl"), "openssl missing")
    def test_tls_certificates_are_verified(self) -> None:
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", str(tmp / "key.pem"),
                        "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
        server = Recorder()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.addCleanup(server.stop)
        url = f"https://127.0.0.1:{server.server_address[1]}"
        result = self.deployment.cell0ctl("--endpoint", f"gateway={url}", "doctor", "gateway.health")
        self.assertEqual(2, result.returncode, result.stdout + result.stderr)
        self.assertIn("TLS handshake or certificate verification failed", result.stdout)
        self.assertEqual([], server.lines)


if __name__ == "__main__":
    unittest.main()
