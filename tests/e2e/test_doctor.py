"""End-to-end tests of `cell0ctl doctor`: the built binary against a Cell 0 deployment made of
real files and stand-ins that replay the real services' captured responses, healthy and in
each of the ways the real Cell 0 breaks."""
from __future__ import annotations

import json
import os
import signal
import unittest
import xml.etree.ElementTree as ElementTree

from tests.e2e.deployment import API_KEY, MODEL, TOKEN, Deployment, fixtures_available

PROBLEMS = ("warn", "fail", "unknown")


@unittest.skipUnless(fixtures_available(), "../shared/fixtures absent: end-to-end tests skipped")
class DoctorTest(unittest.TestCase):
    def setUp(self) -> None:
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)

    def problems(self, checks: dict[str, dict]) -> dict[str, str]:
        return {i: f"{c['status']}: {c['summary']}" for i, c in checks.items() if c["status"] in PROBLEMS}

    def assertStatus(self, checks: dict[str, dict], check_id: str, status: str, code: str | None = None) -> dict:
        check = checks[check_id]
        self.assertEqual(status, check["status"], f"{check_id}: {check['summary']}")
        if code is not None:
            self.assertEqual(code, check["code"], f"{check_id}: {check['summary']}")
        return check

    # --- healthy -------------------------------------------------------------------------

    def test_healthy_deployment_has_no_problem_and_exits_0(self) -> None:
        self.deployment.start_healthy()
        status, report, checks = self.deployment.doctor()
        self.assertEqual({}, self.problems(checks))
        self.assertEqual(0, status)
        self.assertEqual("ok", report["status"])
        for check_id in ("home.exists", "install.python-env", "install.cell0d-imports", "config.auth",
                         "perms.home", "perms.secrets", "process.gateway", "process.cell0d",
                         "ports.gateway", "ports.cell0d", "ports.metrics", "ports.ollama", "ports.signal",
                         "gateway.health", "cell0d.health", "cell0d.deep", "cell0d.ready",
                         "metrics.series", "ollama.reachable", "ollama.model-present", "signal.health",
                         "data.memory-vectors", "data.sessions"):
            self.assertStatus(checks, check_id, "ok")
        self.assertIn("child of gateway pid", checks["process.cell0d"]["summary"])
        self.assertIn(MODEL, checks["ollama.model-present"]["summary"])

    def test_json_report_has_the_documented_shape(self) -> None:
        self.deployment.start_healthy()
        _, report, _ = self.deployment.doctor()
        self.assertEqual(["tool", "version", "schema_version", "command", "status", "duration_ms",
                          "summary", "checks"], list(report))
        self.assertEqual("cell0ctl", report["tool"])
        self.assertEqual("doctor", report["command"])
        self.assertEqual(["ok", "warn", "fail", "skip", "unknown"], list(report["summary"]))
        self.assertEqual(len(report["checks"]), sum(report["summary"].values()))
        for check in report["checks"]:
            self.assertEqual(["id", "title", "status", "summary", "details", "remediation", "code",
                              "duration_ms", "blocked_by", "measurements"], list(check))
        latency = [m for m in report["checks"][[c["id"] for c in report["checks"]].index("gateway.health")]
                   ["measurements"] if m["name"] == "latency"]
        self.assertEqual("ms", latency[0]["unit"])

    # --- services down or broken ------------------------------------------------------------

    def test_nothing_running_names_the_root_causes_and_blocks_the_rest(self) -> None:
        self.deployment.write("logs/cell0d.log",
                              (fixtures_path("live-runs/cell0d-debian-py311-import-crash.txt")))
        status, _, checks = self.deployment.doctor()
        self.assertEqual(2, status)
        self.assertStatus(checks, "process.gateway", "fail", "GATEWAY_NOT_RUNNING")
        cell0d = self.assertStatus(checks, "process.cell0d", "fail", "CELL0D_NOT_RUNNING")
        self.assertIn("NameError: name 'AuthenticationManager' is not defined", cell0d["summary"])
        self.assertIn("engine/security/auth.py", cell0d["details"])
        for check_id, root in (("gateway.health", "process.gateway"), ("cell0d.health", "process.cell0d"),
                               ("cell0d.deep", "process.cell0d"), ("cell0d.ready", "process.cell0d"),
                               ("metrics.series", "process.cell0d")):
            self.assertStatus(checks, check_id, "skip")
            self.assertEqual([root], checks[check_id]["blocked_by"], check_id)
        self.assertStatus(checks, "ollama.reachable", "fail", "OLLAMA_UNREACHABLE")
        self.assertStatus(checks, "ollama.model-present", "skip")
        self.assertEqual(["ollama.reachable"], checks["ollama.model-present"]["blocked_by"])

    def test_gateway_says_healthy_while_its_bridge_is_degraded(self) -> None:
        self.deployment.start_gateway(mode="degraded")
        self.deployment.start_ollama()
        self.deployment.start_signal()
        status, _, checks = self.deployment.doctor()
        self.assertEqual(2, status)
        check = self.assertStatus(checks, "gateway.health", "fail", "GATEWAY_BRIDGE_DEGRADED")
        self.assertIn("says \"healthy\"", check["summary"])
        self.assertStatus(checks, "process.cell0d", "fail", "CELL0D_NOT_RUNNING")

    def test_cell0d_started_beside_the_gateway_is_flagged(self) -> None:
        self.deployment.start_gateway(mode="external")
        self.deployment.start_cell0d()
        self.deployment.start_ollama()
        self.deployment.start_signal()
        status, _, checks = self.deployment.doctor()
        self.assertEqual(0, status, self.problems(checks))
        self.assertStatus(checks, "process.cell0d", "warn", "CELL0D_NOT_GATEWAY_CHILD")
        self.assertStatus(checks, "gateway.health", "warn", "GATEWAY_BRIDGE_DETACHED")
        self.assertStatus(checks, "cell0d.health", "ok")

    def test_two_cell0d_processes_are_a_failure(self) -> None:
        self.deployment.start_healthy()
        self.deployment.standin("cell0d", "--mode", "refuse", "--port", "0")
        status, _, checks = self.deployment.doctor()
        self.assertEqual(2, status)
        self.assertStatus(checks, "process.cell0d", "fail", "CELL0D_DUPLICATE")

    def test_cell0d_alive_after_sigterm_holding_the_metrics_port(self) -> None:
        self.deployment.start_gateway()
        daemon = self.deployment.start_cell0d(mode="after-sigterm")
        os.kill(daemon.pid, signal.SIGTERM)  # ignored, as the real daemon does
        status, _, checks = self.deployment.doctor()
        self.assertEqual(2, status)
        check = self.assertStatus(checks, "process.cell0d", "fail", "CELL0D_HUNG_AFTER_SIGTERM")
        self.assertIn(f"kill -9 {daemon.pid}", check["remediation"])

    def test_refusing_cell0d_port(self) -> None:
        self.deployment.start_gateway()
        self.deployment.start_cell0d(mode="refuse", metrics=False)
        _, _, checks = self.deployment.doctor()
        self.assertStatus(checks, "process.cell0d", "warn", "CELL0D_NOT_LISTENING")
        self.assertStatus(checks, "cell0d.health", "fail", "CELL0D_UNREACHABLE")

    def test_black_holed_endpoint_is_unknown_within_the_deadline(self) -> None:
        self.deployment.start_gateway()
        self.deployment.start_cell0d(mode="blackhole")
        self.deployment.start_ollama()
        self.deployment.start_signal()
        status, report, checks = self.deployment.doctor("--timeout", "1s")
        self.assertEqual(3, status)
        self.assertEqual("unknown", checks["cell0d.health"]["status"])
        self.assertIn(checks["cell0d.health"]["code"], ("CELL0D_TIMEOUT", "TIMEOUT"))
        self.assertStatus(checks, "cell0d.deep", "skip")
        self.assertEqual(["cell0d.health"], checks["cell0d.deep"]["blocked_by"])

    def test_slow_and_dripping_endpoints_are_unknown(self) -> None:
        self.deployment.start_gateway(mode="slow")
        self.deployment.standin("ollama", "--mode", "drip")
        status, _, checks = self.deployment.doctor("gateway", "ollama", "--timeout", "1s")
        self.assertEqual(3, status)
        self.assertEqual("unknown", checks["gateway.health"]["status"])
        self.assertEqual("unknown", checks["ollama.reachable"]["status"])

    def test_garbage_answer_is_a_failure(self) -> None:
        self.deployment.start_gateway(mode="garbage")
        _, _, checks = self.deployment.doctor("gateway.health")
        self.assertStatus(checks, "gateway.health", "fail", "GATEWAY_BAD_ANSWER")

    def test_missing_model(self) -> None:
        self.deployment.start_ollama("qwen2.5:7b:4683087332")
        status, _, checks = self.deployment.doctor("ollama")
        self.assertEqual(2, status)
        check = self.assertStatus(checks, "ollama.model-present", "fail", "OLLAMA_MODEL_MISSING")
        self.assertEqual(f"ollama pull {MODEL}", check["remediation"])
        self.assertIn("qwen2.5:7b", check["details"])

    def test_signal_answers_204_or_200(self) -> None:
        for health_status in (204, 200):
            with self.subTest(health_status=health_status):
                process = self.deployment.start_signal(health_status)
                _, _, checks = self.deployment.doctor("signal.health")
                check = self.assertStatus(checks, "signal.health", "ok")
                self.assertIn(str(health_status), check["summary"])
                process.stop()
                self.deployment.processes.remove(process)

    def test_port_held_by_another_process_names_it(self) -> None:
        squatter = self.deployment.squatter("portal")
        _, _, checks = self.deployment.doctor("ports")
        check = self.assertStatus(checks, "ports.portal", "fail", "PORT_HELD_BY_OTHER")
        self.assertIn(f"pid {squatter.pid}", check["summary"])
        self.assertIn("http.server", check["summary"])
        self.assertIn(f"kill {squatter.pid}", check["remediation"])

    # --- files -------------------------------------------------------------------------

    def test_bad_permissions(self) -> None:
        os.chmod(self.deployment.home / "cell0.json", 0o644)
        os.chmod(self.deployment.home / "runtime", 0o755)
        _, _, checks = self.deployment.doctor("perms")
        check = self.assertStatus(checks, "perms.secrets", "fail", "SECRETS_NOT_PRIVATE")
        self.assertEqual(f"chmod 600 {self.deployment.home / 'cell0.json'}", check["remediation"])
        check = self.assertStatus(checks, "perms.home", "fail", "HOME_NOT_PRIVATE")
        self.assertEqual(f"chmod 700 {self.deployment.home / 'runtime'}", check["remediation"])

    def test_plaintext_secret_store_fails_without_showing_secrets(self) -> None:
        self.deployment.write("tpv_store.enc", json.dumps({"openai": {"value": "sk-live-SECRET-in-store"}}))
        result = self.deployment.cell0ctl("doctor", "perms")
        self.assertEqual(2, result.returncode)
        self.assertIn("tpv_store.enc is plaintext JSON: 1 secret", result.stdout)
        self.assertNotIn("sk-live-SECRET-in-store", result.stdout + result.stderr)

    def test_stale_pid_file(self) -> None:
        self.deployment.write("cell0d.pid", "4194000\n")
        _, _, checks = self.deployment.doctor("process.pidfile")
        self.assertStatus(checks, "process.pidfile", "warn", "PIDFILE_STALE")

    def test_malformed_cell0_json_is_located_and_blocks_its_dependents(self) -> None:
        self.deployment.write("cell0.json", '{\n  "agent": {\n    "provider": "ollama"\n    "model": "x"\n  }\n}\n')
        status, _, checks = self.deployment.doctor("config")
        self.assertEqual(2, status)
        check = self.assertStatus(checks, "config.parse", "fail", "CONFIG_SYNTAX")
        self.assertIn(f"{self.deployment.home / 'cell0.json'}:4:5:", check["summary"])
        for check_id in ("config.auth", "config.bind", "config.model"):
            self.assertEqual(["config.parse"], checks[check_id]["blocked_by"])

    def test_python_environment_traps(self) -> None:
        self.deployment.python_package("fastapi", "0.92.0")
        _, _, checks = self.deployment.doctor("install.python-env")
        self.assertStatus(checks, "install.python-env", "warn", "FASTAPI_TOO_OLD")
        self.deployment.python_package("fastapi", None)
        _, _, checks = self.deployment.doctor("install.python-env")
        self.assertStatus(checks, "install.python-env", "fail", "PYTHON_DEPS_MISSING")

    def test_import_crash_on_python_before_3_14(self) -> None:
        self.deployment.auth_py(fixed=False)
        _, _, checks = self.deployment.doctor("install.cell0d-imports")
        check = self.assertStatus(checks, "install.cell0d-imports", "fail", "CELL0D_IMPORT_NAMEERROR")
        self.assertIn("auth.py:6", check["summary"])
        self.assertIn("from __future__ import annotations", check["remediation"])

    def test_empty_vector_files_from_the_bootstrap(self) -> None:
        self.deployment.write("runtime/memory/social.vec", "")
        _, _, checks = self.deployment.doctor("data.memory-vectors")
        self.assertStatus(checks, "data.memory-vectors", "warn", "VECTORS_EMPTY")

    # --- output, secrets, exit codes ------------------------------------------------------

    def test_secrets_never_reach_any_output_unless_asked(self) -> None:
        self.deployment.start_healthy()
        self.deployment.cell0_json({"agent": {"provider": "anthropic", "apiKey": API_KEY},
                                    "gateway": {"auth": {"mode": "token", "token": TOKEN}}})
        for fmt in ("text", "json", "junit"):
            result = self.deployment.cell0ctl("--format", fmt, "-vv", "doctor")
            for secret in (API_KEY, TOKEN):
                self.assertNotIn(secret, result.stdout + result.stderr, fmt)
        result = self.deployment.cell0ctl("--show-secrets", "doctor", "config")
        self.assertIn(API_KEY, result.stdout)

    def test_junit_output_is_valid_and_counts(self) -> None:
        os.chmod(self.deployment.home / "cell0.json", 0o644)
        result = self.deployment.cell0ctl("--format", "junit", "doctor", "perms", "config")
        suite = ElementTree.fromstring(result.stdout).find("testsuite")
        assert suite is not None
        self.assertEqual("1", suite.get("failures"))
        failure = suite.find("testcase[@name='perms.secrets']/failure")
        assert failure is not None
        self.assertEqual("SECRETS_NOT_PRIVATE", failure.get("type"))

    def test_fail_on_warn_exits_1(self) -> None:
        self.deployment.write("runtime/memory/social.vec", "")
        self.assertEqual(0, self.deployment.cell0ctl("doctor", "data").returncode)
        self.assertEqual(1, self.deployment.cell0ctl("doctor", "data", "--fail-on", "warn").returncode)

    def test_usage_and_configuration_errors(self) -> None:
        result = self.deployment.cell0ctl("doctor", "olama")
        self.assertEqual(64, result.returncode)
        self.assertIn("unknown check or group 'olama'", result.stderr)
        self.assertIn("did you mean 'ollama'", result.stderr)
        self.assertEqual(64, self.deployment.cell0ctl("doctor", "--timeout", "soon").returncode)
        self.assertEqual(64, self.deployment.cell0ctl("--format", "sarif", "doctor").returncode)
        self.deployment.settings["checks"]["resources.cpu"] = {"min": "many"}
        result = self.deployment.cell0ctl("doctor", "resources.cpu")
        self.assertEqual(78, result.returncode)
        self.assertIn("cell0ctl.yaml:", result.stdout)
        self.assertIn("checks.resources.cpu.min: expected a number, got 'many'", result.stdout)
        self.deployment.settings["bogus"] = 1
        result = self.deployment.cell0ctl("doctor")
        self.assertEqual(78, result.returncode)
        self.assertIn("unknown setting 'bogus'", result.stderr)

    def test_list_shows_every_check_with_what_it_touches(self) -> None:
        result = self.deployment.cell0ctl("--format", "json", "doctor", "--list")
        checks = json.loads(result.stdout)
        ids = [c["id"] for c in checks]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertIn("ollama.model-present", ids)
        self.assertTrue(all(c["touches"] for c in checks))

    def test_verbose_says_where_values_came_from(self) -> None:
        result = self.deployment.cell0ctl("-v", "doctor", "home")
        self.assertIn(f"cell0 home {self.deployment.home} (from --cell0-home)", result.stderr)
        self.assertRegex(result.stderr, r"endpoint cell0d http://127\.0\.0\.1:\d+ \(from .*cell0ctl\.yaml:\d+:\d+\)")
        result = self.deployment.cell0ctl("-v", "--log-format", "json", "doctor", "home")
        lines = [json.loads(line) for line in result.stderr.splitlines()]
        self.assertTrue(all(line["level"] == "info" for line in lines))


def fixtures_path(relative: str) -> str:
    from tests.e2e.deployment import FIXTURES
    return (FIXTURES / relative).read_text()


if __name__ == "__main__":
    unittest.main()
