"""End-to-end tests of `cell0ctl validate-config`: the built binary on real files in temporary
folders, every output format parsed as its consumer would, exit statuses, local resolution of
remote `$ref`s (never the network), and a sample of the JSON Schema Test Suite run through the
command line, as the conformance suite is run with `--schema`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from tests.e2e.deployment import CELL0CTL, FIXTURES, SHARED

SUITE = SHARED / "json-schema-test-suite"

SCHEMA = {
    "type": "object",
    "properties": {
        "gateway": {
            "type": "object",
            "properties": {"port": {"type": "integer", "maximum": 65535}, "host": {"type": "string"}},
            "additionalProperties": False,
        },
        "agent": {"type": "object"},
    },
    "required": ["gateway", "agent"],
}

INVALID_YAML = """\
gateway:
  port: "8080"
  hots: example.org
agnet: {}
"""
INVALID_JSON = '{\n  "gateway": {"port": 70000},\n  "agent": {}\n}\n'
VALID_YAML = "gateway:\n  port: 8080\n  host: example.org\nagent: {}\n"
VALID_JSON = '{"gateway": {"port": 1}, "agent": {}}\n'

EXPECTED_INVALID_TEXT = [
    "bad.json:2:23: error: /gateway/port: 70000 is greater than the maximum 65535 [schema/maximum]",
    "bad.yaml:1:1: error: /: property 'agent' is required [schema/required]",
    "  hint: 'agnet' is present: did you mean 'agent'?",
    "bad.yaml:2:9: error: /gateway/port: expected integer, got a quoted number (string) [schema/type]",
    "  hint: this number is quoted: write 8080 without quotes",
    "bad.yaml:3:3: error: /gateway/hots: property 'hots' is not allowed [schema/additionalProperties]",
    "  hint: did you mean 'host'?",
]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GITHUB_ACTIONS", "CELL0CTL_CONFIG", "NO_COLOR")}
    env.update(NO_COLOR="1", LC_ALL="C.UTF-8")
    env.update(extra)
    return env


class ValidateCase(unittest.TestCase):
    def setUp(self) -> None:
        if not (os.path.isfile(CELL0CTL) and os.access(CELL0CTL, os.X_OK)):
            self.fail(f"CELL0CTL={CELL0CTL} is not an executable file")
        self.dir = Path(tempfile.mkdtemp(prefix="cell0ctl-validate-"))
        self.addCleanup(shutil.rmtree, self.dir)
        self.home = self.dir / "home"
        self.home.mkdir()

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def run_cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([CELL0CTL, *args], capture_output=True, text=True, timeout=60, cwd=self.dir,
                              env=env or clean_env(HOME=str(self.home)))

    def write_examples(self) -> None:
        self.write("schema.json", json.dumps(SCHEMA, indent=2))
        self.write("bad.yaml", INVALID_YAML)
        self.write("bad.json", INVALID_JSON)
        self.write("good.yaml", VALID_YAML)
        self.write("good.json", VALID_JSON)

    def validate(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return self.run_cli("validate-config", "--schema", "schema.json", *args, env=env)


class TextAndExitTest(ValidateCase):
    def test_valid_files_exit_0(self) -> None:
        self.write_examples()
        result = self.validate("good.yaml", "good.json")
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertEqual("2 files checked: 0 errors, 0 warnings\n", result.stdout)

    def test_invalid_files_give_exact_positions_and_hints_and_exit_2(self) -> None:
        self.write_examples()
        result = self.validate("bad.json", "bad.yaml", "good.yaml")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertEqual(EXPECTED_INVALID_TEXT + ["3 files checked: 4 errors, 0 warnings"],
                         result.stdout.splitlines())

    def test_folders_are_searched_and_skip_node_modules_git_and_venvs(self) -> None:
        self.write_examples()
        self.write("conf/a.yml", "gateway: {port: x}\nagent: {}\n")
        self.write("conf/.env", "A=1\n")
        self.write("conf/notes.txt", "not config\n")
        self.write("conf/node_modules/x.json", "{")
        self.write("conf/.git/config.json", "{")
        self.write("conf/venv/pyvenv.cfg", "home = /usr\n")
        self.write("conf/venv/lib.json", "{")
        result = self.validate("--format", "json", "conf")
        report = json.loads(result.stdout)
        self.assertEqual(["conf/.env", "conf/a.yml"], [f["file"] for f in report["files"]])
        self.assertEqual(2, result.returncode)
        self.assertEqual(["/: property 'agent' is required", "/: property 'gateway' is required",
                          "/gateway/port: expected integer, got string"],
                         sorted(f["message"] for f in report["findings"]))

    def test_syntax_errors_and_duplicate_keys(self) -> None:
        self.write_examples()
        self.write("dup.yaml", "gateway: {}\nagent: {}\ngateway: {}\n")
        self.write("broken.json", '{"gateway": {}, "agent": [1, }\n')
        result = self.validate("dup.yaml", "broken.json")
        self.assertEqual(2, result.returncode)
        lines = result.stdout.splitlines()
        self.assertIn("dup.yaml:3:1: error: duplicate key 'gateway' (previously defined at dup.yaml:1:1) "
                      "[duplicate-key]", lines)
        self.assertTrue(any(line.startswith("broken.json:1:") and line.endswith("[syntax]") for line in lines),
                        lines)

    def test_missing_file_is_an_error_finding(self) -> None:
        self.write_examples()
        result = self.validate("absent.yaml", "good.yaml")
        self.assertEqual(2, result.returncode)
        self.assertIn("absent.yaml: error: no such file or folder [read]", result.stdout.splitlines())

    def test_without_schema_a_named_file_of_no_kind_gets_a_warning(self) -> None:
        self.write("x.yaml", "a: 1\n")
        result = self.run_cli("validate-config", "x.yaml")
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual("x.yaml: warning: not a Cell 0 config file of a known kind: not checked "
                         "[unknown-kind]", result.stdout.splitlines()[0])
        self.assertEqual(2, self.run_cli("validate-config", "--strict", "x.yaml").returncode)

    def test_a_folder_scan_skips_files_of_no_kind_but_not_broken_ones(self) -> None:
        self.write("conf/response.json", '{"status": "ok", "uptime": 3}\n')
        self.write("conf/broken.yaml", "a: [1,\n")
        result = self.run_cli("validate-config", "--strict", "conf")
        self.assertEqual(2, result.returncode, result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(any(line.startswith("conf/broken.yaml:") and line.endswith("[syntax]")
                            for line in lines), lines)
        self.assertNotIn("response.json", result.stdout)
        self.assertEqual("1 file checked: 1 error, 1 warning (1 skipped; -v lists them and why)", lines[-1])
        verbose = self.run_cli("-v", "validate-config", "conf")
        self.assertIn("conf/response.json: skipped: not a Cell 0 config file", verbose.stdout.splitlines())
        report = json.loads(self.run_cli("--format", "json", "validate-config", "conf").stdout)
        self.assertEqual(1, report["summary"]["skipped"])
        self.assertEqual([{"file": "conf/response.json", "reason": "not a Cell 0 config file"}],
                         report["skipped"])

    def test_usage_errors_exit_64(self) -> None:
        self.write_examples()
        cases = {
            "no path": ["validate-config"],
            "unknown kind": ["validate-config", "--kind", "no-such-kind", "good.yaml"],
            "export of an unknown kind": ["validate-config", "--export-schema", "no-such-kind"],
            "unknown format": ["--format", "nagios", "validate-config", "--schema", "schema.json", "good.yaml"],
            "bad draft": ["validate-config", "--schema", "schema.json", "--default-draft", "4", "good.yaml"],
            "bad ref map": ["validate-config", "--schema", "schema.json", "--ref-map", "nodir", "good.yaml"],
            "missing schema": ["validate-config", "--schema", "absent.json", "good.yaml"],
        }
        for name, args in cases.items():
            result = self.run_cli(*args)
            with self.subTest(case=name):
                self.assertEqual(64, result.returncode, result.stdout + result.stderr)
                self.assertIn("cell0ctl: error: ", result.stderr)
        listing = self.run_cli("validate-config", "--export-schema", "no-such-kind")
        self.assertIn("unknown kind", listing.stderr)

    def test_bad_cell0ctl_configuration_exits_78(self) -> None:
        self.write_examples()
        self.write("cell0ctl.yaml", "no_such_setting: 1\n")
        result = self.run_cli("--config", "cell0ctl.yaml", "validate-config", "--schema", "schema.json",
                              "good.yaml")
        self.assertEqual(78, result.returncode, result.stderr)


class FormatTest(ValidateCase):
    def test_json(self) -> None:
        self.write_examples()
        result = self.validate("--format", "json", "bad.yaml", "good.json")
        report = json.loads(result.stdout)
        self.assertEqual(["tool", "version", "schema_version", "command", "status", "duration_ms", "summary",
                          "files", "skipped", "findings"], list(report))
        self.assertEqual("validate-config", report["command"])
        self.assertEqual("fail", report["status"])
        self.assertEqual({"files": 2, "errors": 3, "warnings": 0, "skipped": 0}, report["summary"])
        self.assertEqual(["fail", "ok"], [f["status"] for f in report["files"]])
        first = report["findings"][0]
        self.assertEqual(["file", "line", "column", "severity", "message", "rule_id", "hint"], list(first))
        self.assertEqual(("bad.yaml", 1, 1, "error", "schema/required"),
                         (first["file"], first["line"], first["column"], first["severity"], first["rule_id"]))

    def test_global_format_before_the_command(self) -> None:
        self.write_examples()
        result = self.run_cli("--format", "json", "validate-config", "--schema", "schema.json", "good.json")
        self.assertEqual("ok", json.loads(result.stdout)["status"])

    def test_github_annotations(self) -> None:
        self.write_examples()
        result = self.validate("--format", "github", "bad.yaml")
        self.assertEqual(2, result.returncode)
        self.assertEqual([
            "::error file=bad.yaml,line=1,col=1,title=schema/required::/: property 'agent' is required"
            "%0Ahint: 'agnet' is present: did you mean 'agent'?",
            "::error file=bad.yaml,line=2,col=9,title=schema/type::/gateway/port: expected integer, got a "
            "quoted number (string)%0Ahint: this number is quoted: write 8080 without quotes",
            "::error file=bad.yaml,line=3,col=3,title=schema/additionalProperties::/gateway/hots: property "
            "'hots' is not allowed%0Ahint: did you mean 'host'?",
        ], result.stdout.splitlines())

    def test_github_is_chosen_inside_github_actions(self) -> None:
        self.write_examples()
        env = clean_env(HOME=str(self.home), GITHUB_ACTIONS="true")
        result = self.validate("bad.yaml", env=env)
        self.assertTrue(result.stdout.startswith("::error file=bad.yaml,line=1,col=1,"), result.stdout)
        explicit = self.validate("--format", "text", "bad.yaml", env=env)
        self.assertEqual(EXPECTED_INVALID_TEXT[1], explicit.stdout.splitlines()[0])
        self.write("x.yaml", "a: 1\n")
        warning = self.run_cli("validate-config", "x.yaml", env=env)
        self.assertTrue(warning.stdout.startswith("::warning file=x.yaml,title=unknown-kind::"), warning.stdout)

    def test_junit(self) -> None:
        self.write_examples()
        result = self.validate("--format", "junit", "bad.yaml", "good.json", "bad.json")
        self.assertEqual(2, result.returncode)
        root = ElementTree.fromstring(result.stdout)
        suite = root.find("testsuite")
        self.assertEqual(("3", "2"), (suite.get("tests"), suite.get("failures")))
        cases = {case.get("name"): case for case in suite.findall("testcase")}
        self.assertEqual(["bad.yaml", "good.json", "bad.json"], list(cases))
        self.assertIsNone(cases["good.json"].find("failure"))
        failure = cases["bad.yaml"].find("failure")
        self.assertEqual("schema/required", failure.get("type"))
        self.assertIn("bad.yaml:3:3: error: /gateway/hots", failure.text)

    def test_sarif(self) -> None:
        self.write_examples()
        result = self.validate("--format", "sarif", "bad.yaml", "good.json")
        self.assertEqual(2, result.returncode)
        sarif = json.loads(result.stdout)
        self.assertEqual("2.1.0", sarif["version"])
        run = sarif["runs"][0]
        self.assertEqual("cell0ctl", run["tool"]["driver"]["name"])
        rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
        self.assertEqual(["schema/required", "schema/type", "schema/additionalProperties"], rules)
        self.assertEqual(3, len(run["results"]))
        for result_ in run["results"]:
            self.assertEqual(rules[result_["ruleIndex"]], result_["ruleId"])
            self.assertEqual("error", result_["level"])
        location = run["results"][1]["locations"][0]["physicalLocation"]
        self.assertEqual({"uri": "bad.yaml"}, location["artifactLocation"])
        self.assertEqual({"startLine": 2, "startColumn": 9}, location["region"])


class ResolutionTest(ValidateCase):
    REF_SCHEMA = {"type": "object", "properties": {"port": {"$ref": "https://example.com/schemas/port.json"}}}
    PORT = {"$id": "https://example.com/schemas/port.json", "type": "integer", "maximum": 65535}

    def setUp(self) -> None:
        super().setUp()
        self.write("schema.json", json.dumps(self.REF_SCHEMA))
        self.write("vendor/port.json", json.dumps(self.PORT))
        self.write("ids/nested/anything.json", json.dumps(self.PORT))
        self.write("p.yaml", "port: 70000\n")

    def test_a_remote_ref_is_never_fetched(self) -> None:
        result = self.validate("p.yaml")
        self.assertEqual(64, result.returncode, result.stdout)
        self.assertIn("cannot resolve 'https://example.com/schemas/port.json'", result.stderr)
        self.assertIn("--ref-map", result.stderr)
        self.assertIn("--schema-dir", result.stderr)

    def test_ref_map(self) -> None:
        result = self.validate("--ref-map", "https://example.com/schemas/=vendor", "p.yaml")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertEqual("p.yaml:1:7: error: /port: 70000 is greater than the maximum 65535 [schema/maximum]",
                         result.stdout.splitlines()[0])

    def test_schema_dir_finds_the_id(self) -> None:
        result = self.validate("--schema-dir", "ids", "p.yaml")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("[schema/maximum]", result.stdout)


class DraftTest(ValidateCase):
    # Draft-07 ignores the 2020-12 keyword `prefixItems`; `items` as an array is draft-07 only.
    SCHEMA = {"items": [{"type": "integer"}]}

    def test_draft_07_from_schema_keyword(self) -> None:
        self.write("schema.json", json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", **self.SCHEMA}))
        self.write("d.json", '["x"]\n')
        result = self.validate("d.json")
        self.assertEqual(2, result.returncode, result.stdout + result.stderr)
        self.assertIn("d.json:1:2: error: /0: expected integer, got string", result.stdout)

    def test_default_draft(self) -> None:
        self.write("schema.json", json.dumps(self.SCHEMA))
        self.write("d.json", '["x"]\n')
        self.assertEqual(2, self.validate("--default-draft", "7", "d.json").returncode)
        # Under 2020-12, an array `items` is not a schema: the schema is unusable or accepts.
        self.assertNotEqual(2, self.validate("d.json").returncode)

    def test_strict_formats(self) -> None:
        self.write("schema.json", json.dumps({"format": "ipv4"}))
        self.write("d.json", '"999.1.1.1"\n')
        self.assertEqual(0, self.validate("d.json").returncode)
        self.assertEqual(2, self.validate("--strict-formats", "d.json").returncode)


@unittest.skipUnless((SUITE / "tests" / "draft2020-12").is_dir(), "../shared/json-schema-test-suite absent")
class ConformanceSampleTest(ValidateCase):
    """Each test of three files of the suite through the CLI: one process per group of tests,
    each test's data in its own file, the per-file status of --format json compared with `valid`."""

    def test_required_properties_and_ref(self) -> None:
        remotes = SUITE / "remotes"
        count = 0
        for name in ("required.json", "properties.json", "ref.json"):
            groups = json.loads((SUITE / "tests" / "draft2020-12" / name).read_text(encoding="utf-8"))
            for g, group in enumerate(groups):
                folder = self.dir / f"{name}-{g}"
                (folder / "data").mkdir(parents=True)
                (folder / "schema.json").write_text(json.dumps(group["schema"]), encoding="utf-8")
                expected = {}
                for t, test in enumerate(group["tests"]):
                    data = folder / "data" / f"{t:03}.json"
                    data.write_text(json.dumps(test["data"]), encoding="utf-8")
                    expected[str(data.relative_to(self.dir))] = test["valid"]
                result = self.run_cli("--format", "json", "validate-config",
                                      "--schema", str(folder / "schema.json"),
                                      "--ref-map", f"http://localhost:1234/={remotes}",
                                      str(folder.relative_to(self.dir) / "data"))
                with self.subTest(file=name, group=group["description"]):
                    self.assertIn(result.returncode, (0, 2), result.stderr)
                    report = json.loads(result.stdout)
                    got = {f["file"]: f["status"] == "ok" for f in report["files"]}
                    self.assertEqual(expected, got)
                    self.assertEqual(0 if all(expected.values()) else 2, result.returncode)
                count += len(expected)
        self.assertGreater(count, 100)


if __name__ == "__main__":
    unittest.main()


CLEAN_CELL0_JSON = """\
{"agent": {"provider": "ollama", "model": "ollama/llama3.3"},
 "gateway": {"port": 18789, "bind": "loopback", "auth": {"mode": "token", "token": "9f86d081884c7d65"}},
 "channels": {"telegram": {"enabled": true, "dmPolicy": "pairing"}, "googleChat": {"enabled": false}},
 "meta": {"version": "1.2.0"}}
"""

# The defects reference/cell0-os.md documents in the shipped files: (file, line, rule).
DEFECTS = [
    ("k8s/03-deployment.yaml", 91, "probe-path"),
    ("k8s/03-deployment.yaml", 100, "probe-path"),
    ("k8s/03-deployment.yaml", 109, "probe-path"),
    ("k8s/03-deployment.yaml", 64, "unread-variable"),
    ("helm/cell0/values.yaml", 153, "probe-path"),
    ("helm/cell0/values.yaml", 164, "probe-path"),
    ("helm/cell0/values.yaml", 175, "probe-path"),
    ("helm/cell0/values.yaml", 70, "metrics-port-setting"),
    ("helm/cell0/values.yaml", 206, "metrics-port-setting"),
    ("helm/cell0/values.yaml", 240, "placeholder-secret"),
    ("k8s/01-configmap.yaml", 17, "unread-variable"),
    ("k8s/02-secrets.yaml", 18, "placeholder-secret"),
    ("k8s/02-secrets.yaml", 19, "placeholder-secret"),
    ("cell0/k8s/secrets.yaml", 12, "placeholder-secret"),
    ("docker-compose.yml", 21, "placeholder-secret"),
    ("docker-compose.yml", 29, "probe-path"),
    ("cell0/docker-compose.full.yml", 47, "unread-variable"),
    ("packaging/docker/docker-compose.yml", 21, "unread-variable"),
    ("cell0/config/tool_profiles.yaml", 13, "risk-level-crash"),
    ("cell0/config/tool_profiles.yaml", 268, "ungrouped-tool"),
    ("cell0/config/production/app_config.yaml", 47, "unresolved-variable"),
    ("cell0/config/production/app_config.yaml", 106, "metrics-port-setting"),
    ("cell0/config/staging/app_config.yaml", 47, "placeholder-secret"),
    ("cell0/integrations/signal_config.yaml", 11, "placeholder-secret"),
    ("cell0/.env.signal.example", 9, "placeholder-secret"),
    ("cell0/integrations/google_chat_config.yaml", 9, "unresolved-variable"),
    ("cell0/integrations/google_chat_config.yaml", 32, "port-conflict"),
    ("cell0/monitoring/alerting/alertmanager.yml", 6, "unresolved-variable"),
    ("cell0/docker/prometheus.yml", 25, "metrics-port"),
    ("cell0/monitoring/prometheus.yml", 11, "rule-file-missing"),
    ("cell0/monitoring/alerting/cell0-alerts.yml", 25, "alert-enum-label"),
    ("cell0/monitoring/alerting/cell0-alerts.yml", 66, "alert-unknown-metric"),
    ("cell0/monitoring/alerting/cell0-alerts.yml", 165, "alert-unknown-metric"),
    ("cell0/monitoring/alerting/cell0-alerts.yml", 196, "alert-histogram-name"),
]


@unittest.skipUnless(FIXTURES.is_dir(), f"{FIXTURES} is absent (set CELL0CTL_SHARED)")
class Cell0KindsTest(ValidateCase):
    """Without --schema: each Cell 0 file is checked as its detected kind, schema and rules."""

    def fixtures_report(self, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
        result = self.run_cli("--format", "json", "validate-config", *args, str(FIXTURES))
        return result, json.loads(result.stdout)

    def test_every_config_and_manifest_fixture_gets_a_kind_and_a_result(self) -> None:
        result, report = self.fixtures_report()
        self.assertEqual(2, result.returncode, result.stderr)
        files = {str(Path(f["file"]).relative_to(FIXTURES)): f for f in report["files"]}
        self.assertGreaterEqual(len(files), 50)
        self.assertEqual([], [name for name, f in files.items() if not f["kind"]])
        expected = {
            "home-sample/.cell0/cell0.json": "cell0.json",
            "cell0/config/production/app_config.yaml": "app-config",
            "cell0/config/tool_profiles.yaml": "tool-profiles",
            "cell0/integrations/signal_config.yaml": "signal-config",
            "cell0/integrations/google_chat_config.yaml": "google-chat-config",
            "cell0/skills/examples/hello_world/skill.yaml": "skill",
            "cell0/.env.signal.example": "dotenv",
            "k8s/03-deployment.yaml": "k8s-manifest",
            "helm/cell0/values.yaml": "helm-values",
            "helm/cell0/Chart.yaml": "helm-chart",
            "cell0/monitoring/prometheus.yml": "prometheus",
            "cell0/monitoring/alerting/cell0-alerts.yml": "alert-rules",
            "docker-compose.yml": "docker-compose",
        }
        for name, kind in expected.items():
            with self.subTest(file=name):
                self.assertEqual(kind, files[name]["kind"])
        # Captured responses and Helm templates are skipped, each with its reason; no warning.
        skipped = {str(Path(f["file"]).relative_to(FIXTURES)): f["reason"] for f in report["skipped"]}
        self.assertTrue(any(name.startswith("responses/") for name in skipped))
        self.assertTrue(skipped["helm/cell0/templates/deployment.yaml"].startswith("Helm templates"))
        self.assertEqual([], [f for f in report["findings"] if f["rule_id"] in ("unknown-kind", "syntax")])

    def test_the_documented_defects_are_found_at_their_line(self) -> None:
        result, report = self.fixtures_report()
        self.assertEqual(2, result.returncode)
        found = {(str(Path(f["file"]).relative_to(FIXTURES)), f["line"], f["rule_id"]) for f in report["findings"]}
        for defect in DEFECTS:
            with self.subTest(defect=defect):
                self.assertIn(defect, found)

    def test_text_points_at_file_line_col(self) -> None:
        result = self.run_cli("validate-config", str(FIXTURES / "cell0/docker/prometheus.yml"))
        self.assertEqual(2, result.returncode)
        self.assertTrue(result.stdout.startswith(f"{FIXTURES}/cell0/docker/prometheus.yml:25:26: error: "),
                        result.stdout)
        self.assertIn("[metrics-port]", result.stdout.splitlines()[0])

    def test_a_clean_cell0_json_exits_0(self) -> None:
        self.write(".cell0/cell0.json", CLEAN_CELL0_JSON)
        result = self.run_cli("validate-config", "--strict", ".cell0/cell0.json")
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertEqual("1 file checked: 0 errors, 0 warnings\n", result.stdout)

    def test_schema_errors_of_a_kind_have_hints(self) -> None:
        self.write(".cell0/cell0.json", CLEAN_CELL0_JSON.replace('"port": 18789', '"prot": 18789'))
        result = self.run_cli("validate-config", ".cell0/cell0.json")
        self.assertEqual(2, result.returncode, result.stdout + result.stderr)
        self.assertIn("did you mean 'port'?", result.stdout)

    def test_kind_forces_the_kind(self) -> None:
        self.write("gateway-settings.json", '{"meta": {"version": "1.2.0"}}\n')
        unknown = self.run_cli("--format", "json", "validate-config", "gateway-settings.json")
        self.assertEqual(["unknown-kind"], [f["rule_id"] for f in json.loads(unknown.stdout)["findings"]])
        forced = self.run_cli("--format", "json", "validate-config", "--kind", "cell0.json",
                              "gateway-settings.json")
        self.assertEqual(0, forced.returncode, forced.stdout)
        self.assertEqual("cell0.json", json.loads(forced.stdout)["files"][0]["kind"])
        wrong = self.run_cli("validate-config", "--kind", "prometheus", "gateway-settings.json")
        self.assertEqual(2, wrong.returncode, wrong.stdout)
        self.assertIn("[schema/", wrong.stdout)

    def test_strict_fails_on_warnings(self) -> None:
        path = str(FIXTURES / "k8s/01-configmap.yaml")
        self.assertEqual(0, self.run_cli("validate-config", path).returncode)
        self.assertEqual(2, self.run_cli("validate-config", "--strict", path).returncode)

    def test_env_file_resolves_variables(self) -> None:
        path = str(FIXTURES / "cell0/integrations/google_chat_config.yaml")

        def unresolved_lines(*args: str) -> list[int]:
            result = self.run_cli("--format", "json", "validate-config", *args, path)
            return [f["line"] for f in json.loads(result.stdout)["findings"]
                    if f["rule_id"] == "unresolved-variable"]

        self.assertIn(9, unresolved_lines())
        self.write("ci.env", "GOOGLE_PROJECT_ID=cell0-prod\n")
        with_env = unresolved_lines("--env-file", "ci.env")
        self.assertNotIn(9, with_env)
        self.assertIn(15, with_env)

    def test_exported_schema_is_a_schema_that_validates(self) -> None:
        exported = self.run_cli("validate-config", "--export-schema", "cell0.json")
        self.assertEqual(0, exported.returncode, exported.stderr)
        schema = json.loads(exported.stdout)
        self.assertEqual("urn:cell0ctl:schemas:cell0:cell0.json", schema["$id"])
        self.write("cell0.schema.json", exported.stdout)
        result = self.run_cli("validate-config", "--schema", "cell0.schema.json",
                              str(FIXTURES / "home-sample/.cell0/cell0.json"))
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.write("bad.json", CLEAN_CELL0_JSON.replace('"port": 18789', '"port": "x"'))
        self.assertEqual(2, self.run_cli("validate-config", "--schema", "cell0.schema.json", "bad.json").returncode)
        no_schema = self.run_cli("validate-config", "--export-schema", "helm-template")
        self.assertEqual(64, no_schema.returncode)
        self.assertIn("has no schema", no_schema.stderr)
