"""A Cell 0 deployment for end-to-end tests of the built cell0ctl binary.

It lays out a real Cell 0 home (files and modes as Cell 0 writes them, healthy unless a test
breaks something), a Cell 0 checkout with the interpreter cell0d runs with (a real venv), and
starts stand-ins of the gateway, cell0d, Ollama and signal-cli on free loopback ports
(tests/support/cell0_standin.py, which replays responses captured from the real services).
cell0ctl is pointed at all of it with a configuration file of its own, as an operator would.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SOURCE_ROOT = Path(os.environ.get("CELL0CTL_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
STANDIN = SOURCE_ROOT / "tests" / "support" / "cell0_standin.py"
SHARED = Path(os.environ.get("CELL0CTL_SHARED", SOURCE_ROOT.parent / "shared"))
FIXTURES = SHARED / "fixtures" / "cell0-os"
CELL0CTL = os.environ.get("CELL0CTL", str(SOURCE_ROOT / "build" / "cli" / "cell0ctl"))

MODEL = "llama3.2:3b"
TOKEN = "e2e-gateway-token-0123456789abcdef"
API_KEY = "sk-e2e-PLACEHOLDER-not-a-real-key"

# What the bootstrap and the gateway create, with Cell 0's real modes (shared/fixtures
# home-sample/MANIFEST.tsv), minus its defects: folders 0700, secret files 0600, vector
# files holding JSON arrays.
HOME_DIRS = ["identity", "identity/keys", "identity/certs", "runtime", "runtime/sessions",
             "runtime/logs", "runtime/memory", "runtime/cron", "library", "snapshots", "workspace",
             "credentials", "kernel", "kernel/policies", "logs"]
VECTOR_SLUGS = ["suggestions", "recently-active", "social", "productivity", "utilities", "travel",
                "finance", "creativity", "information-reading", "entertainment", "other", "hidden"]


def fixtures_available() -> bool:
    return (FIXTURES / "responses").is_dir()


class Process:
    """A stand-in process and the ports it reported in its READY line."""

    def __init__(self, argv: list[str]) -> None:
        self.popen = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True, start_new_session=True)
        line = self.popen.stdout.readline() if self.popen.stdout else ""
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"stand-in did not start: {argv}")
        self.ready: dict[str, Any] = json.loads(line[6:])

    @property
    def port(self) -> int:
        return int(self.ready["port"])

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            # The whole session: a gateway stand-in has a cell0d child.
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.popen.wait(timeout=10)
        if self.popen.stdout:
            self.popen.stdout.close()


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Deployment:
    """A temporary Cell 0 installation; use as a context manager."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="cell0ctl-e2e-"))
        self.home = self.tmp / "home" / ".cell0"
        self.root = self.tmp / "cell0-os"
        self.processes: list[Process] = []
        self.endpoints: dict[str, str] = {}
        self.settings: dict[str, Any] = {
            "cell0_root": str(self.root),
            "checks": {
                # The test machine is smaller than Cell 0's documented minimum.
                "resources.cpu": {"min": 1},
                "resources.memory": {"min_total": "1GiB"},
                "resources.disk": {"warn_below": "100MiB", "fail_below": "10MiB"},
                "resources.open-files": {"min": 256},
            },
        }
        # Every endpoint on a port nothing listens on until a stand-in takes it.
        for name in ("gateway", "portal", "cell0d", "websocket", "metrics", "ollama", "signal"):
            self.endpoints[name] = f"http://127.0.0.1:{free_port()}"
        self.lay_out_home()
        self.lay_out_checkout()

    # --- files -------------------------------------------------------------------------

    def write(self, relative: str, content: str | bytes, mode: int = 0o600) -> Path:
        path = self.home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
        os.chmod(path, mode)
        return path

    def cell0_json(self, config: dict[str, Any], mode: int = 0o600) -> Path:
        return self.write("cell0.json", json.dumps(config, indent=2) + "\n", mode)

    def lay_out_home(self) -> None:
        self.home.mkdir(parents=True)
        os.chmod(self.home, 0o700)
        for directory in HOME_DIRS:
            (self.home / directory).mkdir(parents=True, exist_ok=True)
            os.chmod(self.home / directory, 0o700)
        self.cell0_json({
            "agent": {"provider": "ollama", "model": f"ollama/{MODEL}"},
            "gateway": {"port": 18789, "bind": "loopback", "auth": {"mode": "token", "token": TOKEN}},
            "channels": {"signal": {"enabled": True, "dmPolicy": "pairing"}},
            "meta": {"version": "1.2.0", "lastModified": "2026-11-25T08:13:24.818Z"},
        })
        for slug in VECTOR_SLUGS:
            self.write(f"runtime/memory/{slug}.vec", "[]")
        self.write("runtime/goals.json", "[]")
        self.write("runtime/ethics-log.jsonl", '{"decision":"allow"}\n')
        self.write("runtime/logs/cell0.log", "[2026-11-25T08:00:00Z] [INFO] bootstrap\n")
        self.write("identity/identity.json", '{"uuid":"cell0-e2e","version":"1.2.0"}')
        if fixtures_available():
            for session in sorted((FIXTURES / "home-sample/.cell0/runtime/sessions").glob("*.json")):
                self.write(f"runtime/sessions/{session.name}", session.read_bytes())
        self.write("logs/cell0d.log", "2026-11-25 08:13:55 | INFO | cell0.daemon | started\n")

    def lay_out_checkout(self) -> None:
        """A Cell 0 checkout as far as cell0ctl looks: cell0d.py, auth.py and <root>/.venv
        with fastapi and uvicorn importable (small stand-in packages in a real venv)."""
        (self.root / "cell0/engine/security").mkdir(parents=True)
        (self.root / "cell0/cell0d.py").write_text("# cell0d\n")
        self.auth_py(fixed=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.root / ".venv")],
                       check=True)
        self.python_package("fastapi", "0.115.11")
        self.python_package("uvicorn", "0.32.0")

    def python_package(self, name: str, version: str | None) -> None:
        site = next((self.root / ".venv/lib").glob("python3*/site-packages"))
        package = site / name
        if version is None:
            shutil.rmtree(package, ignore_errors=True)
            return
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text(f'__version__ = "{version}"\n')

    def auth_py(self, fixed: bool) -> None:
        """engine/security/auth.py as shipped (an annotation naming a class defined later,
        which Python < 3.14 evaluates at import) or with the fix."""
        head = "from __future__ import annotations\n" if fixed else ""
        (self.root / "cell0/engine/security/auth.py").write_text(
            head + "from typing import Optional\n\n"
            "class AuthenticationContext:\n    pass\n\n"
            "_auth_manager: Optional[AuthenticationManager] = None\n\n"
            "class AuthenticationManager:\n    pass\n")

    # --- services ------------------------------------------------------------------------

    def standin(self, role: str, *args: str, endpoint: str | None = None) -> Process:
        argv = [sys.executable, str(STANDIN), role, "--fixtures", str(FIXTURES / "responses")]
        name = endpoint or role
        port = self.endpoints[name].rsplit(":", 1)[1] if name in self.endpoints else "0"
        if "--port" not in args:
            argv += ["--port", port]
        process = Process(argv + list(args))
        self.processes.append(process)
        return process

    def start_healthy(self) -> None:
        """The gateway with its own cell0d child, Ollama with the model, signal-cli."""
        metrics_port = self.endpoints["metrics"].rsplit(":", 1)[1]
        cell0d_port = self.endpoints["cell0d"].rsplit(":", 1)[1]
        self.start_gateway(child=f"--port {cell0d_port} --metrics-port {metrics_port} "
                                 "--metrics-cell0-series")
        self.start_ollama()
        self.start_signal()

    def start_gateway(self, mode: str = "healthy", child: str | None = None) -> Process:
        args = ["--mode", mode]
        if child is not None:
            args += ["--child", child]
        return self.standin("gateway", *args)

    def start_cell0d(self, mode: str = "healthy", metrics: bool = True) -> Process:
        args = ["--mode", mode]
        if metrics:
            args += ["--metrics-port", self.endpoints["metrics"].rsplit(":", 1)[1],
                     "--metrics-cell0-series"]
        return self.standin("cell0d", *args)

    def start_ollama(self, *models: str) -> Process:
        args: list[str] = []
        for model in models or (f"{MODEL}:2019393189",):
            args += ["--model", model]
        return self.standin("ollama", *args)

    def start_signal(self, health_status: int = 204) -> Process:
        return self.standin("signal", "--health-status", str(health_status))

    def squatter(self, endpoint: str) -> subprocess.Popen[bytes]:
        """Another program on a Cell 0 port: Python's own http.server."""
        port = self.endpoints[endpoint].rsplit(":", 1)[1]
        popen = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", port],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 cwd=self.tmp, start_new_session=True)
        deadline = time.monotonic() + 10
        import socket
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", int(port))) == 0:
                    break
            time.sleep(0.05)

        class Stopper:
            def stop(self) -> None:
                popen.kill()
                popen.wait()
        self.processes.append(Stopper())  # type: ignore[arg-type]
        return popen

    # --- cell0ctl --------------------------------------------------------------------------

    def config_file(self) -> Path:
        settings = dict(self.settings)
        settings["endpoints"] = self.endpoints
        path = self.tmp / "cell0ctl.yaml"
        # JSON is YAML: no YAML writer needed.
        path.write_text(json.dumps(settings, indent=2))
        return path

    def cell0ctl(self, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 30) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith(("CELL0", "OLLAMA_HOST")) or k == "CELL0CTL"}
        environment["HOME"] = str(self.tmp / "home")
        environment["NO_COLOR"] = "1"
        environment.update(env or {})
        argv = [CELL0CTL, "--config", str(self.config_file()), "--cell0-home", str(self.home), *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=environment)

    def doctor(self, *args: str, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, dict[str, Any]]]:
        """Runs `doctor --format json`; returns the exit status, the report and the checks by id."""
        result = self.cell0ctl("--format", "json", "doctor", *args, **kwargs)
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"not JSON: {result.stdout!r}\nstderr: {result.stderr}") from exc
        return result.returncode, report, {c["id"]: c for c in report["checks"]}

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "Deployment":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
