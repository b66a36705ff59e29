"""The deployment examples in contrib/ against the tools that read them and the built binary.

systemd units go through `systemd-analyze verify`, the alert rules through `promtool check
rules` and `promtool test rules`, the Kubernetes CronJob and the cron file are parsed and
checked field by field, and every cell0ctl command line in them must use only options the built
binary lists in its --help. Run from the repository root:

    CELL0CTL=build/cli/cell0ctl python3 -m unittest -v tests.e2e.test_contrib

A missing tool (systemd-analyze, promtool, PyYAML) or CELL0CTL skips only the tests that need
it, with a message saying so.
"""
from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from tests.e2e.test_docs import clean_env, help_options, help_subcommands

try:
    import yaml
except ImportError:  # python3-yaml
    yaml = None

ROOT = Path(__file__).resolve().parents[2]
CONTRIB = ROOT / "contrib"
SYSTEMD = CONTRIB / "systemd"
UNITS = ("cell0ctl-backup.service", "cell0ctl-backup.timer",
         "cell0ctl-backup-verify.service", "cell0ctl-backup-verify.timer")
CRON_FILE = CONTRIB / "cron" / "cell0ctl-backup"
CRONJOB_FILE = CONTRIB / "k8s" / "backup-cronjob.yaml"
RULES_FILE = CONTRIB / "prometheus" / "cell0ctl-backup.rules.yml"
RULES_TEST_FILE = CONTRIB / "prometheus" / "cell0ctl-backup.rules.test.yml"
ALERTS = {"CellZeroBackupStale", "CellZeroBackupFailed", "CellZeroBackupMetricsMissing",
          "CellZeroBackupRestoreUntested"}
INSTALLED_BINARY = "/usr/bin/cell0ctl"

BINARY = os.environ.get("CELL0CTL", "")
NO_BINARY = "CELL0CTL is not set: set it to the built binary (CELL0CTL=build/cli/cell0ctl) to run these tests"


@functools.lru_cache(maxsize=None)
def help_of(*command: str) -> str:
    """What `cell0ctl COMMAND... --help` prints."""
    with tempfile.TemporaryDirectory(prefix="cell0ctl-contrib-") as home:
        result = subprocess.run([BINARY, *command, "--help"], capture_output=True, text=True,
                                timeout=60, env=clean_env(home), cwd=home)
    if result.returncode != 0:
        raise AssertionError(f"cell0ctl {' '.join(command)} --help exited {result.returncode}: "
                             f"{result.stderr.strip()}")
    return result.stdout


def options_of(*command: str) -> frozenset[str]:
    return frozenset(help_options(help_of(*command))[0])


class CommandLineCase(unittest.TestCase):
    def assertCell0ctlCommand(self, words: list[str], where: str) -> None:
        """`words` is `cell0ctl backup [SUBCOMMAND] ...` with options the binary accepts there:
        its own, the `backup` command's (for a subcommand) and the global ones."""
        self.assertGreaterEqual(len(words), 2, where)
        self.assertEqual("cell0ctl", Path(words[0]).name, f"{where}: {shlex.join(words)}")
        self.assertEqual("backup", words[1], f"{where}: {shlex.join(words)}")
        if not BINARY:
            return
        path = ["backup"]
        if len(words) > 2 and not words[2].startswith("-"):
            self.assertIn(words[2], help_subcommands(help_of("backup")),
                          f"{where}: cell0ctl backup has no subcommand {words[2]}")
            path.append(words[2])
        accepted = options_of() | options_of(*path[:1]) | options_of(*path)
        for word in words:
            flag = word.split("=", 1)[0]
            if flag.startswith("-"):
                self.assertIn(flag, accepted,
                              f"{where}: cell0ctl {' '.join(path)} does not accept {flag}")


def option_value(words: list[str], flag: str) -> str | None:
    for i, word in enumerate(words[:-1]):
        if word == flag:
            return words[i + 1]
    return None


# --- systemd -----------------------------------------------------------------------------------

def unit_settings(path: Path) -> dict[str, list[tuple[str, str]]]:
    """The [Section] Key=value lines of a unit file, by section (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            sections[section] = []
        else:
            key, _, value = line.partition("=")
            sections[section].append((key.strip(), value.strip()))
    return sections


def values(settings: list[tuple[str, str]], key: str) -> list[str]:
    return [value for name, value in settings if name == key]


class SystemdTest(CommandLineCase):
    @unittest.skipUnless(BINARY, NO_BINARY)
    @unittest.skipUnless(shutil.which("systemd-analyze"),
                         "systemd-analyze is not installed (apt install systemd): units not verified")
    def test_systemd_analyze_verifies_the_units_without_a_warning(self) -> None:
        # verify wants every ExecStart= program to exist: the built binary stands in for the
        # installed one. --man=no: the man pages are not installed on a build host.
        with tempfile.TemporaryDirectory(prefix="cell0ctl-units-") as folder:
            copies = []
            for name in UNITS:
                text = (SYSTEMD / name).read_text(encoding="utf-8")
                copy = Path(folder) / name
                copy.write_text(text.replace(INSTALLED_BINARY, str(Path(BINARY).resolve())),
                                encoding="utf-8")
                copies.append(str(copy))
            result = subprocess.run(["systemd-analyze", "verify", "--man=no", *copies],
                                    capture_output=True, text=True, timeout=120)
        ours = [line for line in (result.stdout + result.stderr).splitlines()
                if any(name in line for name in UNITS)]
        self.assertEqual([], ours)
        self.assertEqual(0, result.returncode, result.stderr)

    def test_the_timers_are_persistent_and_spread(self) -> None:
        for name in ("cell0ctl-backup.timer", "cell0ctl-backup-verify.timer"):
            with self.subTest(unit=name):
                timer = unit_settings(SYSTEMD / name)["Timer"]
                self.assertEqual(1, len(values(timer, "OnCalendar")))
                self.assertEqual(["true"], values(timer, "Persistent"))
                self.assertEqual(1, len(values(timer, "RandomizedDelaySec")))
                install = unit_settings(SYSTEMD / name)["Install"]
                self.assertEqual(["timers.target"], values(install, "WantedBy"))

    def test_the_services_are_hardened_oneshots_that_may_write_where_they_write(self) -> None:
        for name in ("cell0ctl-backup.service", "cell0ctl-backup-verify.service"):
            with self.subTest(unit=name):
                service = unit_settings(SYSTEMD / name)["Service"]
                for key, value in (("Type", "oneshot"), ("ProtectSystem", "strict"),
                                   ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
                                   ("IOSchedulingClass", "idle")):
                    self.assertEqual([value], values(service, key), key)
                writable = " ".join(values(service, "ReadWritePaths")).split()
                commands = values(service, "ExecStart") + values(service, "ExecStartPost")
                self.assertTrue(commands)
                for command in commands:
                    words = shlex.split(command)
                    self.assertEqual(INSTALLED_BINARY, words[0])
                    self.assertCell0ctlCommand(words, name)
                    # ProtectSystem=strict: what the command writes must be in ReadWritePaths.
                    self.assertIn(option_value(words, "--repo"), writable)
                    metrics = option_value(words, "--metrics-file")
                    if metrics:
                        self.assertTrue(metrics.endswith(".prom"), metrics)
                        self.assertIn(str(Path(metrics).parent), writable)

    def test_prune_runs_only_after_the_backup_and_keeps_something(self) -> None:
        service = unit_settings(SYSTEMD / "cell0ctl-backup.service")["Service"]
        self.assertEqual(1, len(values(service, "ExecStart")))
        [prune] = values(service, "ExecStartPost")
        words = shlex.split(prune)
        self.assertEqual(["backup", "prune"], words[1:3])
        self.assertTrue(any(word.startswith("--keep-") for word in words))


# --- cron --------------------------------------------------------------------------------------

CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))  # minute hour dom month dow


def valid_cron_field(field: str, low: int, high: int) -> bool:
    """A numeric cron(8) field: *, N, N-M, with /step, comma-separated."""
    for part in field.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not match:
            return False
        numbers = [int(n) for n in match.group(2, 3) if n is not None]
        if any(n < low or n > high for n in numbers) or (match.group(4) == "0"):
            return False
        if len(numbers) == 2 and numbers[0] > numbers[1]:
            return False
    return True


def valid_schedule(schedule: str) -> bool:
    fields = schedule.split()
    return len(fields) == 5 and all(valid_cron_field(f, *r) for f, r in zip(fields, CRON_RANGES))


class CronTest(CommandLineCase):
    def jobs(self) -> list[tuple[list[str], str, str]]:
        """(time fields, user, command) of each job line; environment lines are checked here."""
        jobs = []
        for number, line in enumerate(CRON_FILE.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if re.match(r"^[A-Z_]+=", line):
                continue
            fields = line.split(None, 6)
            self.assertEqual(7, len(fields), f"line {number}: 5 time fields, user, command")
            jobs.append((fields[:5], fields[5], fields[6]))
        return jobs

    def test_the_environment_sets_a_path_with_usr_bin(self) -> None:
        text = CRON_FILE.read_text(encoding="utf-8")
        path = re.search(r"(?m)^PATH=(.*)$", text)
        self.assertIsNotNone(path)
        self.assertIn("/usr/bin", path.group(1).split(":"))

    def test_each_job_is_a_schedule_a_user_and_cell0ctl_commands(self) -> None:
        jobs = self.jobs()
        self.assertEqual(2, len(jobs))
        for times, user, command in jobs:
            with self.subTest(command=command[:60]):
                self.assertTrue(valid_schedule(" ".join(times)), times)
                self.assertRegex(user, r"^[a-z_][a-z0-9_-]*$")
                self.assertNotIn("%", command, "cron turns % into a newline")
                self.assertNotIn("flock", command, "cell0ctl locks the repository itself")
                for part in command.split("&&"):
                    self.assertCell0ctlCommand(shlex.split(part), CRON_FILE.name)

    def test_the_schedule_checker_rejects_what_cron_rejects(self) -> None:
        self.assertTrue(valid_schedule("*/15 0-6,22 1 * 0"))
        for bad in ("17 2 * *", "60 2 * * *", "17 24 * * *", "17 2 0 * *", "17 2 * 13 *",
                    "17 2 * * 8", "*/0 * * * *", "5-1 * * * *", "@daily x y z w"):
            with self.subTest(schedule=bad):
                self.assertFalse(valid_schedule(bad))


# --- Kubernetes --------------------------------------------------------------------------------

# What a leaked credential looks like: an AWS access key id, or a long base64 run.
SECRET_LITERAL = re.compile(r"AKIA[0-9A-Z]{16}|(?<![\w/+])[A-Za-z0-9/+]{40}(?![\w/+])")


@unittest.skipUnless(yaml, "PyYAML is not installed (apt install python3-yaml): the CronJob was not parsed")
class CronJobTest(CommandLineCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.text = CRONJOB_FILE.read_text(encoding="utf-8")
        documents = [d for d in yaml.safe_load_all(cls.text) if d]
        cls.cronjob = next(d for d in documents if d.get("kind") == "CronJob")
        cls.documents = documents
        cls.job = cls.cronjob["spec"]["jobTemplate"]["spec"]
        cls.pod = cls.job["template"]["spec"]
        cls.containers = cls.pod.get("initContainers", []) + cls.pod["containers"]

    def test_it_is_a_batch_v1_cronjob_that_never_overlaps_or_hangs(self) -> None:
        self.assertEqual("batch/v1", self.cronjob["apiVersion"])
        spec = self.cronjob["spec"]
        self.assertTrue(valid_schedule(spec["schedule"]), spec["schedule"])
        self.assertEqual("Forbid", spec["concurrencyPolicy"])
        self.assertIsInstance(spec["startingDeadlineSeconds"], int)
        self.assertGreater(spec["startingDeadlineSeconds"], 0)
        self.assertIsInstance(self.job["backoffLimit"], int)
        self.assertIsInstance(self.job["activeDeadlineSeconds"], int)
        self.assertGreater(self.job["activeDeadlineSeconds"], 0)
        self.assertEqual("Never", self.pod["restartPolicy"])

    def test_it_runs_as_non_root(self) -> None:
        self.assertIs(True, self.pod["securityContext"]["runAsNonRoot"])
        for container in self.containers:
            self.assertIs(False, container["securityContext"]["allowPrivilegeEscalation"])

    def test_every_container_runs_cell0ctl_backup_against_s3(self) -> None:
        for container in self.containers:
            with self.subTest(container=container["name"]):
                words = [str(word) for word in container["command"] + container.get("args", [])]
                self.assertCell0ctlCommand(words, container["name"])
                self.assertTrue(option_value(words, "--repo").startswith("s3://"))
        self.assertEqual(["backup"], self.containers[0]["command"][1:2])
        self.assertEqual(["backup", "prune"], self.containers[-1]["command"][1:3])

    def test_the_cell0_home_is_the_pvc_and_the_recipients_a_mounted_object(self) -> None:
        volumes = {volume["name"]: volume for volume in self.pod["volumes"]}
        backup = self.containers[0]
        mounts = {mount["mountPath"]: mount["name"] for mount in backup["volumeMounts"]}
        home = mounts["/home/cell0/.cell0"]
        self.assertEqual("cell0-home", volumes[home]["persistentVolumeClaim"]["claimName"])
        recipients = option_value([str(w) for w in backup["command"]], "--age-recipients-file")
        self.assertIsNotNone(recipients)
        folder = str(Path(recipients).parent)
        self.assertIn(folder, mounts)
        self.assertTrue({"secret", "configMap"} & volumes[mounts[folder]].keys())

    def test_credentials_come_from_a_secret_and_no_secret_is_written_down(self) -> None:
        for container in self.containers:
            env = {item["name"]: item for item in container["env"]}
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                with self.subTest(container=container["name"], variable=name):
                    self.assertNotIn("value", env[name])
                    self.assertIn("secretKeyRef", env[name]["valueFrom"])
            for name, item in env.items():
                if re.search(r"SECRET|PASSWORD|TOKEN|KEY", name):
                    self.assertNotIn("value", item, f"{name} is written in the manifest")
        self.assertFalse([d for d in self.documents if d.get("kind") == "Secret"])
        self.assertEqual([], SECRET_LITERAL.findall(self.text))

    def test_the_secret_detector_finds_a_leaked_key(self) -> None:
        self.assertTrue(SECRET_LITERAL.search("value: AKIAIOSFODNN7EXAMPLE"))
        self.assertTrue(SECRET_LITERAL.search("value: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))


# --- Prometheus --------------------------------------------------------------------------------

@unittest.skipUnless(shutil.which("promtool"), "promtool is not installed (apt install prometheus): rules not checked")
class PrometheusRulesTest(unittest.TestCase):
    def promtool(self, *args: str) -> None:
        result = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120,
                                cwd=RULES_FILE.parent)
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)

    def test_promtool_check_rules(self) -> None:
        self.promtool("check", "rules", RULES_FILE.name)

    def test_promtool_test_rules(self) -> None:
        self.promtool("test", "rules", RULES_TEST_FILE.name)

    @unittest.skipUnless(yaml, "PyYAML is not installed (apt install python3-yaml)")
    def test_each_alert_is_tested_and_says_what_to_run(self) -> None:
        rules = [rule for group in yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["groups"]
                 for rule in group["rules"]]
        self.assertEqual(ALERTS, {rule["alert"] for rule in rules})
        tests = yaml.safe_load(RULES_TEST_FILE.read_text(encoding="utf-8"))["tests"]
        firing = {case["alertname"] for test in tests for case in test["alert_rule_test"]
                  if case["exp_alerts"]}
        silent = {case["alertname"] for test in tests for case in test["alert_rule_test"]
                  if not case["exp_alerts"]}
        self.assertEqual(ALERTS, firing, "an alert no test fires")
        self.assertEqual(ALERTS, silent, "an alert no test keeps silent")
        for rule in rules:
            with self.subTest(alert=rule["alert"], severity=rule["labels"]["severity"]):
                self.assertIn(rule["labels"]["severity"], ("warning", "critical"))
                self.assertTrue(rule["annotations"]["summary"])
                self.assertRegex(rule["annotations"]["description"], r"`(systemctl|cell0ctl) [^`]+`")


# --- README ------------------------------------------------------------------------------------

class ReadmeTest(unittest.TestCase):
    def test_the_readme_describes_every_file(self) -> None:
        readme = (CONTRIB / "README.md").read_text(encoding="utf-8")
        for path in sorted(CONTRIB.rglob("*")):
            if path.is_file() and path.name != "README.md":
                with self.subTest(file=path.name):
                    self.assertIn(path.name, readme)


if __name__ == "__main__":
    unittest.main()
