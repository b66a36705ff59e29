"""The man pages and shell completions against the binary they describe.

Everything an operator reads in man/ or gets from a TAB in completions/ is compared with what
the built binary really says (--help, --list, --version, its errors and exit statuses), and the
completions are run in the shells themselves. Run from the repository root:

    CELL0CTL=build/cli/cell0ctl python3 -m unittest -v tests.e2e.test_docs

Without CELL0CTL every test is skipped, with a message saying so; a shell or groff that is not
installed skips only the tests that need it.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAN_MAIN = ROOT / "man" / "cell0ctl.1"
MAN_DOCTOR = ROOT / "man" / "cell0ctl-doctor.1"
MAN_VALIDATE = ROOT / "man" / "cell0ctl-validate-config.1"
MAN_BACKUP = ROOT / "man" / "cell0ctl-backup.1"
MAN_RESTORE = ROOT / "man" / "cell0ctl-restore.1"
MAN_PAGES = (MAN_MAIN, MAN_DOCTOR, MAN_VALIDATE, MAN_BACKUP, MAN_RESTORE)
BASH_FILE = ROOT / "completions" / "cell0ctl.bash"
ZSH_FILE = ROOT / "completions" / "_cell0ctl"
FISH_FILE = ROOT / "completions" / "cell0ctl.fish"
COMPLETION_FILES = (BASH_FILE, ZSH_FILE, FISH_FILE)

BINARY = os.environ.get("CELL0CTL", "")
NO_BINARY = "CELL0CTL is not set: set it to the built binary (CELL0CTL=build/cli/cell0ctl) to run these tests"

# Cell 0's and cell0ctl's own variables, removed so that the machine's setup cannot leak in.
LEAKY_VARIABLES = ("CELL0CTL_CONFIG", "CELL0_STATE_DIR", "CELL0_HOME", "CELL0_PORT", "CELL0_WS_PORT",
                   "CELL0_METRICS_PORT", "CELL0_GATEWAY_PORT", "OLLAMA_HOST")


# --- reading roff ----------------------------------------------------------------------------

def roff_plain(text: str) -> str:
    """The words of roff source as a reader sees them: no comments, font changes or escapes."""
    text = "\n".join(line for line in text.splitlines() if not line.startswith(('.\\"', "'\\\"")))
    text = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", text)  # \fB \fR \f(CW \f[B]
    text = text.replace("\\-", "-").replace("\\ ", " ").replace("\\~", " ")
    text = re.sub(r"\\[&%:c]", "", text)
    return text


def sections(source: str) -> dict[str, str]:
    """The source of each .SH section of a page, by name."""
    found: dict[str, str] = {}
    name = ""
    for line in source.splitlines():
        match = re.match(r'\.SH\s+"?([^"]*)"?\s*$', line)
        if match:
            name = match.group(1).replace("\\-", "-").strip()
            found[name] = ""
        elif name:
            found[name] += line + "\n"
    return found


def tagged_paragraphs(source: str) -> list[tuple[str, str]]:
    """The .TP paragraphs of `source`: (tag, first line of the body), as plain text."""
    lines = source.splitlines() + [""]
    found = []
    for i, line in enumerate(lines[:-2]):
        if re.match(r"\.TP(\s|$)", line):
            tag = re.sub(r"^\.(B|I|BR|RB|BI|IB|IR|RI)\s+", "", lines[i + 1])
            found.append((roff_plain(tag).replace('"', "").strip(), roff_plain(lines[i + 2]).strip()))
    return found


def tags(source: str) -> list[str]:
    return [tag for tag, _ in tagged_paragraphs(source)]


def mentions(text: str, word: str) -> bool:
    """Whether `word` (a flag, id or value) appears in `text` as a whole token."""
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


def fish_mentions(text: str, flag: str) -> bool:
    """Whether a fish completion file completes `flag`, written `-l name` or `-s x`."""
    if flag.startswith("--"):
        pattern = r"(?:-l|--long-option)\s+" + re.escape(flag[2:]) + r"(?![\w-])"
    else:
        pattern = r"(?:-s|--short-option)\s+" + re.escape(flag[1:]) + r"(?![\w-])"
    return re.search(pattern, text) is not None


# --- asking the binary -----------------------------------------------------------------------

def clean_env(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_VARIABLES}
    env.update(HOME=home, NO_COLOR="1", LC_ALL="C.UTF-8")
    return env


def help_options(help_text: str) -> tuple[list[str], dict[str, list[str]]]:
    """The flags of the Options section of CLI11 help, and the allowed values where it lists them
    (`--color WHEN:{auto,always,never}`)."""
    flags: list[str] = []
    values: dict[str, list[str]] = {}
    in_options = False
    for line in help_text.splitlines():
        if re.match(r"^\S.*:$", line):
            in_options = line.strip() == "Options:"
            continue
        if not in_options or not re.match(r"^\s+-", line):
            continue
        spec = re.split(r"\s{2,}", line.strip())[0]
        names = re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", spec.split(" ")[0])
        flags += names
        choice = re.search(r":\{([^}]*)\}", spec)
        if choice:
            for name in names:
                values[name] = choice.group(1).split(",")
    return flags, values


def help_exit_statuses(help_text: str) -> list[int]:
    """The exit statuses of the `Exit: 0 saved, 2 failed, ...` footer of a command's help."""
    footer = re.search(r"(?ms)^Exit:(.*?)(?:See |\Z)", help_text)
    return [int(status) for status in re.findall(r"(?<![\w-])(\d+) ", footer.group(1))] if footer else []


def help_subcommands(help_text: str) -> list[str]:
    commands = []
    in_section = False
    for line in help_text.splitlines():
        if re.match(r"^\S.*:$", line):
            in_section = line.strip() == "Subcommands:"
            continue
        if in_section and re.match(r"^\s+\S", line):
            commands.append(line.split()[0])
    return commands


@unittest.skipUnless(BINARY, NO_BINARY)
class DocsCase(unittest.TestCase):
    """Runs the binary in a clean environment with an empty home."""

    @classmethod
    def setUpClass(cls) -> None:
        binary = Path(BINARY)
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise AssertionError(f"CELL0CTL={BINARY} is not an executable file")
        cls.binary = str(binary.resolve())
        cls._home = tempfile.TemporaryDirectory(prefix="cell0ctl-docs-")
        cls.home = cls._home.name
        cls.man_main = MAN_MAIN.read_text(encoding="utf-8")
        cls.man_doctor = MAN_DOCTOR.read_text(encoding="utf-8")
        cls.man_validate = MAN_VALIDATE.read_text(encoding="utf-8")
        cls.man_backup = MAN_BACKUP.read_text(encoding="utf-8")
        cls.man_restore = MAN_RESTORE.read_text(encoding="utf-8")
        listed = cls.run_binary("doctor", "--list", "--format", "json")
        if listed.returncode != 0:
            raise AssertionError(f"doctor --list --format json exited {listed.returncode}: {listed.stderr}")
        cls.checks = json.loads(listed.stdout)
        cls.ids = [check["id"] for check in cls.checks]
        cls.groups = list(dict.fromkeys(check["group"] for check in cls.checks))

    @classmethod
    def tearDownClass(cls) -> None:
        cls._home.cleanup()

    @classmethod
    def run_binary(cls, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([cls.binary, *args], capture_output=True, text=True, timeout=60,
                              env=env or clean_env(cls.home), cwd=cls.home)

    def completion_text(self, path: Path) -> str:
        return path.read_text(encoding="utf-8")

    def kinds(self) -> list[str]:
        """The kinds validate-config knows, from the hint of its usage error for an unknown one."""
        result = self.run_binary("validate-config", "--kind", "no-such-kind", "x.yaml")
        prefix = "cell0ctl: hint: the known kinds are: "
        lines = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
        self.assertEqual(1, len(lines), result.stderr)
        return lines[0][len(prefix):].split(", ")


# --- (a) flags ---------------------------------------------------------------------------------

class FlagsTest(DocsCase):
    def flags_and_values(self, *args: str) -> tuple[list[str], dict[str, list[str]]]:
        result = self.run_binary(*args, "--help")
        self.assertEqual(0, result.returncode, result.stderr)
        flags, values = help_options(result.stdout)
        self.assertIn("--help", flags, f"could not read the options of {args or 'cell0ctl'} --help")
        return flags, values

    def assertDocumented(self, flags: list[str], page: Path, page_text: str, section: str) -> None:
        man = roff_plain(page_text)
        described = " ".join(tags(sections(page_text)[section]))
        for flag in flags:
            with self.subTest(flag=flag, file=page.name):
                self.assertTrue(mentions(man, flag), f"{flag} is not in {page.relative_to(ROOT)}")
                self.assertTrue(mentions(described, flag),
                                f"{flag} has no .TP paragraph in {section} of {page.relative_to(ROOT)}")
        for path in COMPLETION_FILES:
            text = self.completion_text(path)
            found = fish_mentions if path == FISH_FILE else mentions
            for flag in flags:
                with self.subTest(flag=flag, file=path.name):
                    self.assertTrue(found(text, flag), f"{flag} is not completed by {path.relative_to(ROOT)}")

    def test_global_flags_are_in_cell0ctl_1_and_every_completion(self) -> None:
        flags, _ = self.flags_and_values()
        for expected in ("-V", "--version", "--config", "--endpoint", "-q", "-v"):
            self.assertIn(expected, flags)
        self.assertDocumented(flags, MAN_MAIN, self.man_main, "GLOBAL OPTIONS")

    def test_doctor_flags_are_in_cell0ctl_doctor_1_and_every_completion(self) -> None:
        flags, _ = self.flags_and_values("doctor")
        for expected in ("--list", "--skip", "--fail-on", "--timeout"):
            self.assertIn(expected, flags)
        self.assertDocumented(flags, MAN_DOCTOR, self.man_doctor, "OPTIONS")

    def test_backup_flags_are_in_cell0ctl_backup_1_and_every_completion(self) -> None:
        flags: list[str] = []
        for args in (("backup",), ("backup", "list"), ("backup", "verify"), ("backup", "prune"), ("backup", "status")):
            found, _ = self.flags_and_values(*args)
            flags += [flag for flag in found if flag not in flags]
        for expected in ("--repo", "--lock-wait", "--dry-run", "--include", "--exclude", "--compression",
                         "--metrics-file", "--age-recipient", "--age-recipients-file", "--age-identity",
                         "--restore", "--scratch", "--keep-last", "--keep-daily", "--apply", "--max-age",
                         "--max-untested"):
            self.assertIn(expected, flags)
        self.assertDocumented(flags, MAN_BACKUP, self.man_backup, "OPTIONS")

    def test_validate_config_flags_are_in_its_man_page_and_every_completion(self) -> None:
        flags, values = self.flags_and_values("validate-config")
        for expected in ("--schema", "--ref-map", "--schema-dir", "--default-draft", "--strict",
                         "--strict-formats", "--kind", "--env-file", "--export-schema"):
            self.assertIn(expected, flags)
        self.assertEqual(["7", "2020-12"], values.get("--default-draft"))
        self.assertDocumented(flags, MAN_VALIDATE, self.man_validate, "OPTIONS")

    def test_validate_config_kinds_are_documented_and_completed_by_zsh(self) -> None:
        kinds = self.kinds()
        self.assertIn("cell0.json", kinds)
        zsh = self.completion_text(ZSH_FILE)
        self.assertIn(f"--kind=[check every file as this kind]:kind:({' '.join(kinds)})", zsh)
        with_schema = " ".join(k for k in kinds if k != "helm-template")
        self.assertIn(f"--export-schema=[print the JSON Schema of KIND]:kind:({with_schema})", zsh)
        self.assertEqual(kinds, tags(sections(self.man_validate)["KINDS"]))

    def test_validate_config_formats_are_documented_and_completed(self) -> None:
        result = self.run_binary("--format", "no-such-format", "validate-config", "x.yaml")
        self.assertEqual(64, result.returncode, result.stderr)
        match = re.search(r"use one of: (\S+)", result.stderr)
        self.assertIsNotNone(match, result.stderr)
        formats = match.group(1).split(",")
        self.assertEqual(["text", "json", "github", "junit", "sarif"], formats)
        self.assertEqual(formats, tags(sections(self.man_validate)["FORMATS"]))
        for value in formats + ["2020-12"]:
            for path in COMPLETION_FILES:
                with self.subTest(value=value, file=path.name):
                    self.assertTrue(mentions(roff_plain(path.read_text(encoding="utf-8")), value))

    def test_restore_flags_are_in_cell0ctl_restore_1_and_every_completion(self) -> None:
        flags, _ = self.flags_and_values("restore")
        for expected in ("--repo", "--lock-wait", "--to", "--only", "--dry-run", "--force", "--age-identity"):
            self.assertIn(expected, flags)
        self.assertDocumented(flags, MAN_RESTORE, self.man_restore, "OPTIONS")

    def test_backup_subcommands_are_documented_and_completed(self) -> None:
        result = self.run_binary("backup", "--help")
        subcommands = help_subcommands(result.stdout)
        self.assertEqual(["list", "verify", "prune", "copy", "status"], subcommands, result.stdout)
        documented = [tag.split()[0] for tag in tags(sections(self.man_backup)["SUBCOMMANDS"])]
        self.assertEqual(subcommands, documented, "SUBCOMMANDS of cell0ctl-backup(1): one .TP per subcommand")
        for path in COMPLETION_FILES:
            for subcommand in subcommands:
                with self.subTest(file=path.name, subcommand=subcommand):
                    self.assertTrue(mentions(self.completion_text(path), subcommand))

    def test_backup_and_restore_formats_are_documented_and_completed(self) -> None:
        for command, page in ((["backup", "list", "--repo", self.home], MAN_BACKUP),
                              (["restore", "--repo", self.home], MAN_RESTORE)):
            result = self.run_binary("--format", "no-such-format", *command)
            self.assertEqual(64, result.returncode, result.stderr)
            match = re.search(r"use one of: (\S+)", result.stderr)
            self.assertIsNotNone(match, result.stderr)
            for value in match.group(1).split(","):
                for path in (page, *COMPLETION_FILES):
                    with self.subTest(command=command[0], value=value, file=path.name):
                        self.assertTrue(mentions(roff_plain(path.read_text(encoding="utf-8")), value))

    def test_the_choices_of_options_are_documented_and_completed(self) -> None:
        _, top = self.flags_and_values()
        _, doctor = self.flags_and_values("doctor")
        choices = {**top, **doctor}
        for flag in ("--color", "--log-format", "--fail-on"):
            self.assertIn(flag, choices, f"{flag} no longer lists its values in --help")
        # doctor's formats, as its error names them.
        formats = self.run_binary("--format", "no-such-format", "doctor")
        self.assertEqual(64, formats.returncode, formats.stderr)
        match = re.search(r"use one of: (\S+)", formats.stderr)
        self.assertIsNotNone(match, formats.stderr)
        choices["--format"] = match.group(1).split(",")
        pages = {"--color": MAN_MAIN, "--log-format": MAN_MAIN, "--fail-on": MAN_DOCTOR,
                 "--format": MAN_DOCTOR}
        for flag, values in choices.items():
            for path in (*COMPLETION_FILES, pages.get(flag, MAN_MAIN)):
                text = roff_plain(path.read_text(encoding="utf-8"))
                for value in values:
                    with self.subTest(flag=flag, value=value, file=path.name):
                        self.assertTrue(mentions(text, value), f"{flag} {value} is not in {path.name}")

    def test_every_endpoint_name_and_default_port_is_documented_and_completed(self) -> None:
        result = self.run_binary("-v", "--cell0-home", self.home, "doctor", "home.exists")
        defaults = dict(re.findall(r"endpoint (\w+) http://127\.0\.0\.1:(\d+) \(from default\)", result.stderr))
        self.assertGreaterEqual(len(defaults), 7, result.stderr)
        documented = dict(tagged_paragraphs(sections(self.man_main)["GLOBAL OPTIONS"]))
        for name, port in defaults.items():
            with self.subTest(endpoint=name):
                self.assertIn(name, documented, f"cell0ctl(1) does not list the endpoint {name}")
                self.assertTrue(mentions(documented[name], port),
                                f"cell0ctl(1) does not give {name}'s default port {port}")
                for path in COMPLETION_FILES:
                    self.assertTrue(mentions(self.completion_text(path), name),
                                    f"{path.name} does not complete --endpoint {name}=")


# --- (b) checks --------------------------------------------------------------------------------

class ChecksTest(DocsCase):
    def test_every_check_and_group_is_in_cell0ctl_doctor_1(self) -> None:
        self.assertGreater(len(self.ids), 0)
        man = roff_plain(self.man_doctor)
        for name in self.ids + self.groups:
            with self.subTest(name=name):
                self.assertTrue(mentions(man, name), f"{name} is not in man/cell0ctl-doctor.1")

    def test_checks_section_describes_each_check_once_in_list_order(self) -> None:
        checks = sections(self.man_doctor)["CHECKS"]
        self.assertEqual(self.ids, tags(checks),
                         "CHECKS must have one `.TP` / `.B <id>` per check, in the order of doctor --list")
        # One .SS per group, in order, and each check under its own group's.
        by_group: dict[str, list[str]] = {}
        for part in re.split(r"(?m)^\.SS\s+", checks)[1:]:
            heading, _, body = part.partition("\n")
            by_group[roff_plain(heading).replace('"', "").split()[0]] = tags(body)
        self.assertEqual(self.groups, list(by_group), "CHECKS must have one .SS per group, in --list order")
        for group, ids in by_group.items():
            self.assertEqual([i for i in self.ids if i.split(".")[0] == group], ids, f".SS {group}")

    def test_static_fallback_of_every_completion_lists_every_check(self) -> None:
        for path in COMPLETION_FILES:
            text = self.completion_text(path)
            for check_id in self.ids:
                with self.subTest(file=path.name, check=check_id):
                    self.assertTrue(mentions(text, check_id),
                                    f"{check_id} is missing from the fallback list of {path.name}")


# --- (c) rendering -----------------------------------------------------------------------------

@unittest.skipUnless(BINARY, NO_BINARY)
class RenderTest(unittest.TestCase):
    def render(self, page: Path) -> list[tuple[list[str], subprocess.CompletedProcess]]:
        if shutil.which("groff"):
            commands = [["groff", "-man", "-ww", "-z", str(page)],
                        ["groff", "-man", "-ww", "-z", "-Tutf8", str(page)]]
        elif shutil.which("man"):
            commands = [["man", "--warnings", "-l", str(page)]]
        else:
            self.skipTest("neither groff nor man is installed: the man pages were not rendered")
        results = []
        for command in commands:
            env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat")
            results.append((command, subprocess.run(command, capture_output=True, text=True,
                                                     timeout=60, env=env)))
        return results

    def test_man_pages_render_without_warnings(self) -> None:
        for page in MAN_PAGES:
            for command, result in self.render(page):
                with self.subTest(command=" ".join(command[:-1]), page=page.name):
                    self.assertEqual("", result.stderr)
                    self.assertEqual(0, result.returncode)

    def test_man_pages_use_man_macros_and_have_their_sections(self) -> None:
        expected = {
            MAN_MAIN: ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "GLOBAL OPTIONS", "CONFIGURATION",
                       "ENDPOINT RESOLUTION", "CELL 0 HOME", "OUTPUT", "SECRETS", "EXIT STATUS",
                       "ENVIRONMENT", "FILES", "SEE ALSO"],
            MAN_DOCTOR: ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "CHECKS", "FORMATS", "EXIT STATUS",
                         "EXAMPLES", "SEE ALSO"],
            MAN_VALIDATE: ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "KINDS", "RULES", "FORMATS", "EXIT STATUS", "EXAMPLES",
                           "LIMITATIONS", "SEE ALSO"],
            MAN_BACKUP: ["NAME", "SYNOPSIS", "DESCRIPTION", "SNAPSHOT KINDS", "ENCRYPTION", "OPTIONS",
                         "SUBCOMMANDS", "RETENTION", "MONITORING", "REPOSITORY LAYOUT", "EXIT STATUS", "FILES",
                         "EXAMPLES", "LIMITATIONS", "SEE ALSO"],
            MAN_RESTORE: ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES",
                          "LIMITATIONS", "SEE ALSO"],
        }
        for page, names in expected.items():
            source = page.read_text(encoding="utf-8")
            with self.subTest(page=page.name):
                self.assertRegex(source, r"(?m)^\.TH ")
                self.assertNotRegex(source, r"(?m)^\.(Dd|Dt|Sh|Nm)\b", "mdoc macros in a man(7) page")
                self.assertEqual(names, list(sections(source)))
        main = MAN_MAIN.read_text(encoding="utf-8")
        for page in (MAN_DOCTOR, MAN_VALIDATE, MAN_BACKUP, MAN_RESTORE):
            with self.subTest(page=page.name):
                self.assertIn(r"\-".join(page.stem.split("-")) + " (1)", sections(main)["SEE ALSO"])
                self.assertIn("cell0ctl (1)", page.read_text(encoding="utf-8"))
        self.assertIn(r"cell0ctl\-restore (1)", sections(MAN_BACKUP.read_text(encoding="utf-8"))["SEE ALSO"])
        self.assertIn(r"cell0ctl\-backup (1)", sections(MAN_RESTORE.read_text(encoding="utf-8"))["SEE ALSO"])

    def test_every_man_page_is_installed(self) -> None:
        installed = re.findall(r"'([^']+\.1)'", (ROOT / "man" / "meson.build").read_text(encoding="utf-8"))
        pages = sorted(page.name for page in MAN_PAGES)
        self.assertEqual(pages, sorted(installed), "man/meson.build must install every page")
        self.assertEqual(pages, sorted(path.name for path in (ROOT / "man").glob("*.1")))


# --- (d) completion syntax -----------------------------------------------------------------------

@unittest.skipUnless(BINARY, NO_BINARY)
class CompletionSyntaxTest(unittest.TestCase):
    def check_syntax(self, shell: str, *args: str) -> None:
        if not shutil.which(shell):
            self.skipTest(f"{shell} is not installed: its completion file was not checked")
        result = subprocess.run([shell, *args], capture_output=True, text=True, timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual("", result.stderr)

    def test_bash_accepts_its_completion(self) -> None:
        self.check_syntax("bash", "-n", str(BASH_FILE))

    def test_zsh_accepts_its_completion(self) -> None:
        self.assertEqual("#compdef cell0ctl", ZSH_FILE.read_text(encoding="utf-8").splitlines()[0])
        self.check_syntax("zsh", "-n", str(ZSH_FILE))

    def test_fish_accepts_its_completion(self) -> None:
        self.check_syntax("fish", "--no-execute", str(FISH_FILE))


# --- (e) completion behaviour in bash ------------------------------------------------------------

@unittest.skipUnless(shutil.which("bash"), "bash is not installed: bash completion not exercised")
class BashCompletionTest(DocsCase):
    def setUp(self) -> None:
        self.bin_dir = tempfile.TemporaryDirectory(prefix="cell0ctl-path-")
        self.addCleanup(self.bin_dir.cleanup)
        os.symlink(self.binary, os.path.join(self.bin_dir.name, "cell0ctl"))

    def fake_binary(self, script: str) -> str:
        """A directory whose `cell0ctl` is a shell script, for PATH."""
        folder = tempfile.mkdtemp(prefix="cell0ctl-fake-")
        self.addCleanup(shutil.rmtree, folder)
        path = Path(folder) / "cell0ctl"
        path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return folder

    def complete(self, *words: str, path_dir: str | None = None) -> list[str]:
        """COMPREPLY of the function registered for cell0ctl, for the command line `words`
        (the last one being completed), as bash calls it on TAB."""
        line = " ".join(words)
        script = "\n".join([
            f"source {shlex.quote(str(BASH_FILE))}",
            "spec=$(complete -p cell0ctl) || exit 90",
            'fn=${spec#*-F }; fn=${fn%% *}',
            f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})",
            f"COMP_CWORD={len(words) - 1}",
            f"COMP_LINE={shlex.quote(line)}",
            "COMP_POINT=${#COMP_LINE}",
            "COMP_TYPE=9 COMP_KEY=9",
            f'"$fn" cell0ctl {shlex.quote(words[-1])} {shlex.quote(words[-2])}',
            "printf '%s\\n' \"${COMPREPLY[@]}\"",
        ])
        env = clean_env(self.home)
        env["PATH"] = (path_dir or self.bin_dir.name) + os.pathsep + env.get("PATH", "/usr/bin:/bin")
        result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                                text=True, timeout=60, env=env, cwd=self.home)
        self.assertEqual(0, result.returncode, result.stderr)
        return [reply for reply in result.stdout.splitlines() if reply]

    def test_format_values_after_doctor(self) -> None:
        replies = self.complete("cell0ctl", "doctor", "--format", "")
        self.assertIn("json", replies)
        self.assertIn("junit", replies)
        self.assertIn("text", replies)

    def test_format_value_written_with_equals(self) -> None:
        # bash splits `--format=ju` at `=` (COMP_WORDBREAKS).
        self.assertEqual(["junit"], self.complete("cell0ctl", "doctor", "--format", "=", "ju"))

    def test_check_ids_and_groups_as_arguments_of_doctor(self) -> None:
        replies = self.complete("cell0ctl", "doctor", "perm")
        self.assertIn("perms.home", replies)
        self.assertIn("perms.secrets", replies)
        self.assertIn("perms", replies)
        self.assertTrue(all(reply.startswith("perm") for reply in replies), replies)

    def test_every_check_is_offered(self) -> None:
        replies = self.complete("cell0ctl", "doctor", "")
        self.assertEqual(sorted(self.ids + self.groups), sorted(replies))

    def test_skip_completes_the_last_item_of_its_list(self) -> None:
        replies = self.complete("cell0ctl", "doctor", "--skip", "perms.home,da")
        self.assertIn("perms.home,data.logs", replies)
        self.assertTrue(all(reply.startswith("perms.home,data") for reply in replies), replies)

    def test_the_commands_and_the_global_flags(self) -> None:
        commands = help_subcommands(self.run_binary("--help").stdout)
        self.assertEqual(sorted(commands), sorted(self.complete("cell0ctl", "")))
        flags, _ = help_options(self.run_binary("--help").stdout)
        self.assertEqual(sorted(flags), sorted(self.complete("cell0ctl", "-")))
        doctor_flags, _ = help_options(self.run_binary("doctor", "--help").stdout)
        self.assertLessEqual(set(doctor_flags) | set(flags), set(self.complete("cell0ctl", "doctor", "-")))

    def test_option_values(self) -> None:
        self.assertEqual(["warn", "fail"], self.complete("cell0ctl", "doctor", "--fail-on", ""))
        self.assertEqual(["auto", "always", "never"], self.complete("cell0ctl", "--color", ""))
        self.assertEqual(["text", "json"], self.complete("cell0ctl", "--log-format", ""))
        self.assertIn("ollama=", self.complete("cell0ctl", "--endpoint", ""))
        Path(self.home, "cell0ctl-config.yaml").write_text("{}\n", encoding="utf-8")
        Path(self.home, "cell0ctl-folder").mkdir(exist_ok=True)
        self.assertIn("cell0ctl-config.yaml", self.complete("cell0ctl", "--config", "cell0ctl-c"))
        self.assertEqual(["cell0ctl-folder"], self.complete("cell0ctl", "--cell0-home", "cell0ctl-"))

    def test_validate_config_flags_values_and_paths(self) -> None:
        flags, _ = help_options(self.run_binary("--help").stdout)
        own, _ = help_options(self.run_binary("validate-config", "--help").stdout)
        self.assertEqual(sorted(set(own) | set(flags)), sorted(self.complete("cell0ctl", "validate-config", "-")))
        self.assertEqual(["text", "json", "github", "junit", "sarif"],
                         self.complete("cell0ctl", "validate-config", "--format", ""))
        self.assertEqual(["2020-12", "7"], self.complete("cell0ctl", "validate-config", "--default-draft", ""))
        kinds = self.kinds()
        self.assertEqual(kinds, self.complete("cell0ctl", "validate-config", "--kind", ""))
        self.assertEqual([k for k in kinds if k != "helm-template"],
                         self.complete("cell0ctl", "validate-config", "--export-schema", ""))
        Path(self.home, "cell0ctl-schema.json").write_text("{}\n", encoding="utf-8")
        Path(self.home, "cell0ctl-folder").mkdir(exist_ok=True)
        self.assertEqual(["cell0ctl-schema.json"],
                         self.complete("cell0ctl", "validate-config", "--schema", "cell0ctl-s"))
        self.assertEqual(["cell0ctl-folder"],
                         self.complete("cell0ctl", "validate-config", "--schema-dir", "cell0ctl-"))
        self.assertLessEqual({"cell0ctl-folder", "cell0ctl-schema.json"},
                             set(self.complete("cell0ctl", "validate-config", "cell0ctl-")))
        self.assertLessEqual({"cell0ctl-folder", "cell0ctl-schema.json"},
                             set(self.complete("cell0ctl", "validate-config", "--strict", "cell0ctl-")))

    def test_backup_offers_its_subcommands(self) -> None:
        subcommands = help_subcommands(self.run_binary("backup", "--help").stdout)
        self.assertEqual(["list", "verify", "prune", "copy", "status"], subcommands)
        self.assertEqual(subcommands, self.complete("cell0ctl", "backup", ""))
        self.assertEqual(subcommands, self.complete("cell0ctl", "-q", "backup", "--repo", "/tmp", ""))
        self.assertEqual(["verify"], self.complete("cell0ctl", "backup", "v"))
        self.assertEqual(["prune"], self.complete("cell0ctl", "backup", "p"))
        self.assertEqual(["status"], self.complete("cell0ctl", "backup", "--metrics-file", "m.prom", "s"))

    def test_backup_and_restore_offer_exactly_their_flags(self) -> None:
        flags, _ = help_options(self.run_binary("--help").stdout)
        for command in (["backup"], ["backup", "list"], ["backup", "verify"], ["backup", "prune"],
                        ["backup", "status"], ["restore"]):
            own, _ = help_options(self.run_binary(*command, "--help").stdout)
            with self.subTest(command=" ".join(command)):
                self.assertEqual(sorted(set(own) | set(flags)),
                                 sorted(self.complete("cell0ctl", *command, "-")))

    def test_repo_and_to_complete_directories(self) -> None:
        Path(self.home, "cell0ctl-config.yaml").write_text("{}\n", encoding="utf-8")
        Path(self.home, "cell0ctl-folder").mkdir(exist_ok=True)
        for words in (["backup", "--repo"], ["backup", "list", "--repo"], ["backup", "verify", "--repo"],
                      ["backup", "prune", "--repo"], ["backup", "status", "--repo"],
                      ["backup", "verify", "--scratch"], ["restore", "--repo"], ["restore", "--to"]):
            with self.subTest(words=" ".join(words)):
                self.assertEqual(["cell0ctl-folder"], self.complete("cell0ctl", *words, "cell0ctl-"))
        self.assertEqual(["cell0ctl-folder"], self.complete("cell0ctl", "backup", "--repo", "=", "cell0ctl-"))

    def test_metrics_and_key_files_complete_files(self) -> None:
        Path(self.home, "cell0ctl-metrics.prom").write_text("", encoding="utf-8")
        Path(self.home, "cell0ctl-folder").mkdir(exist_ok=True)
        for words in (["backup", "--metrics-file"], ["backup", "verify", "--metrics-file"],
                      ["backup", "prune", "--metrics-file"], ["backup", "--age-recipients-file"],
                      ["backup", "--age-identity"], ["backup", "verify", "--age-identity"],
                      ["restore", "--age-identity"]):
            with self.subTest(words=" ".join(words)):
                self.assertEqual(["cell0ctl-folder", "cell0ctl-metrics.prom"],
                                 sorted(self.complete("cell0ctl", *words, "cell0ctl-")))
        self.assertEqual(["cell0ctl-metrics.prom"],
                         self.complete("cell0ctl", "backup", "--metrics-file", "=", "cell0ctl-m"))

    def test_backup_and_restore_option_values(self) -> None:
        self.assertEqual(["text", "json"], self.complete("cell0ctl", "backup", "--format", ""))
        self.assertEqual(["text", "json"], self.complete("cell0ctl", "restore", "--format", ""))
        self.assertEqual([str(level) for level in range(1, 20)],
                         self.complete("cell0ctl", "backup", "--compression", ""))
        self.assertIn("30s", self.complete("cell0ctl", "restore", "--lock-wait", ""))
        self.assertEqual([], self.complete("cell0ctl", "backup", "--exclude", ""))
        self.assertEqual([], self.complete("cell0ctl", "backup", "--age-recipient", ""))
        for flag in ("--keep-last", "--keep-hourly", "--keep-daily", "--keep-weekly", "--keep-monthly",
                     "--keep-yearly"):
            with self.subTest(flag=flag):
                replies = self.complete("cell0ctl", "backup", "prune", flag, "")
                self.assertTrue(replies and all(reply.isdigit() for reply in replies), replies)
        self.assertEqual(["7", "14", "30"], self.complete("cell0ctl", "backup", "prune", "--keep-daily", ""))
        self.assertIn("26h", self.complete("cell0ctl", "backup", "status", "--max-age", ""))
        self.assertIn("8d", self.complete("cell0ctl", "backup", "status", "--max-untested", ""))
        # --apply is a flag: what follows it is not its value.
        self.assertEqual([], self.complete("cell0ctl", "backup", "prune", "--apply", ""))
        self.assertEqual(["--keep-daily"], self.complete("cell0ctl", "backup", "prune", "--apply", "--keep-d"))

    def test_snapshots_come_from_the_repository_on_the_line(self) -> None:
        work = Path(tempfile.mkdtemp(prefix="work-snapshots-", dir=self.home))
        (work / "home").mkdir()
        repo = work / "repo"
        created = self.run_binary("--format", "json", "--cell0-home", str(work / "home"),
                                  "backup", "--repo", str(repo))
        self.assertEqual(0, created.returncode, created.stderr)
        snapshot = json.loads(created.stdout)["snapshot"]["id"]
        for words in (["restore", "--repo", str(repo)], ["backup", "verify", "--repo", str(repo)],
                      ["backup", "--repo", str(repo), "verify"],
                      ["backup", "verify", "--restore", "--repo", str(repo)],
                      ["restore", "--age-identity", "key.txt", "--repo", str(repo)]):
            with self.subTest(words=" ".join(words)):
                self.assertEqual(["latest", snapshot], self.complete("cell0ctl", *words, ""))
        self.assertEqual([snapshot], self.complete("cell0ctl", "restore", "--repo", str(repo), snapshot[:4]))
        # Without a repository, `latest` still.
        self.assertEqual(["latest"], self.complete("cell0ctl", "restore", ""))

    def test_only_completes_paths_of_the_home(self) -> None:
        home = Path(tempfile.mkdtemp(prefix="work-only-", dir=self.home))
        (home / "runtime" / "memory").mkdir(parents=True)
        (home / "runtime" / "goals.json").write_text("{}\n", encoding="utf-8")
        line = ["cell0ctl", "--cell0-home", str(home), "restore"]
        self.assertEqual(["runtime/"], self.complete(*line, "--only", "run"))
        self.assertEqual(["runtime/goals.json", "runtime/memory/"],
                         sorted(self.complete(*line, "--only", "runtime/")))
        # --only takes every word after it.
        self.assertEqual(["runtime/"], self.complete(*line, "--only", "runtime/goals.json", "ru"))

    def test_checks_come_from_the_binary_at_completion_time(self) -> None:
        folder = self.fake_binary("cat <<'EOF'\n"
                                  '[\n  {\n    "group": "fake",\n    "id": "fake.check",\n'
                                  '    "title": "a check, with a comma"\n  }\n]\nEOF\n')
        self.assertEqual(["fake", "fake.check"], self.complete("cell0ctl", "doctor", "fa", path_dir=folder))

    def test_a_failing_binary_falls_back_to_the_static_list(self) -> None:
        folder = self.fake_binary("exit 1\n")
        replies = self.complete("cell0ctl", "doctor", "perm", path_dir=folder)
        self.assertIn("perms.home", replies)
        self.assertIn("perms.secrets", replies)


@unittest.skipUnless(shutil.which("fish"), "fish is not installed: fish completion not exercised")
class FishCompletionTest(DocsCase):
    def complete(self, line: str) -> list[str]:
        """What fish offers for `line` (candidates without their descriptions)."""
        folder = tempfile.mkdtemp(prefix="cell0ctl-path-")
        self.addCleanup(shutil.rmtree, folder)
        os.symlink(self.binary, os.path.join(folder, "cell0ctl"))
        env = clean_env(self.home)
        env["PATH"] = folder + os.pathsep + env.get("PATH", "/usr/bin:/bin")
        script = f"source {shlex.quote(str(FISH_FILE))}; complete -C{shlex.quote(line)}"
        result = subprocess.run(["fish", "--no-config", "-c", script], capture_output=True, text=True,
                                timeout=60, env=env, cwd=self.home)
        self.assertEqual(0, result.returncode, result.stderr)
        return [candidate.split("\t")[0] for candidate in result.stdout.splitlines()]

    def test_format_values_after_doctor(self) -> None:
        self.assertLessEqual({"text", "json", "junit"}, set(self.complete("cell0ctl doctor --format ")))

    def test_check_ids_and_groups_as_arguments_of_doctor(self) -> None:
        self.assertEqual(["perms", "perms.home", "perms.secrets", "perms.tpv-store"],
                         sorted(self.complete("cell0ctl doctor perm")))
        self.assertEqual(sorted(self.ids + self.groups), sorted(self.complete("cell0ctl doctor ")))

    def test_every_flag_of_help(self) -> None:
        flags, _ = help_options(self.run_binary("--help").stdout)
        doctor_flags, _ = help_options(self.run_binary("doctor", "--help").stdout)
        self.assertLessEqual(set(flags), set(self.complete("cell0ctl -")))
        self.assertLessEqual(set(flags) | set(doctor_flags), set(self.complete("cell0ctl doctor -")))

    def test_backup_and_restore(self) -> None:
        subcommands = help_subcommands(self.run_binary("backup", "--help").stdout)
        self.assertEqual(["list", "verify", "prune", "copy", "status"], subcommands)
        self.assertEqual(sorted(subcommands), sorted(self.complete("cell0ctl backup ")))
        flags, _ = help_options(self.run_binary("--help").stdout)
        for command in ("backup", "backup list", "backup verify", "backup prune", "backup status", "restore"):
            own, _ = help_options(self.run_binary(*command.split(), "--help").stdout)
            with self.subTest(command=command):
                self.assertEqual(sorted(set(own) | set(flags)),
                                 sorted(self.complete(f"cell0ctl {command} -")))
        Path(self.home, "cell0ctl-folder").mkdir(exist_ok=True)
        Path(self.home, "cell0ctl-file").write_text("", encoding="utf-8")
        self.assertEqual(["cell0ctl-folder/"], self.complete("cell0ctl backup --repo cell0ctl-"))
        self.assertEqual(["cell0ctl-folder/"], self.complete("cell0ctl restore --to cell0ctl-"))
        self.assertEqual(["cell0ctl-folder/"], self.complete("cell0ctl backup verify --scratch cell0ctl-"))
        for line in ("cell0ctl backup --metrics-file cell0ctl-", "cell0ctl backup prune --metrics-file cell0ctl-",
                     "cell0ctl backup --age-recipients-file cell0ctl-", "cell0ctl restore --age-identity cell0ctl-"):
            with self.subTest(line=line):
                self.assertEqual(["cell0ctl-file", "cell0ctl-folder/"], sorted(self.complete(line)))
        self.assertEqual(["14", "30", "7"], sorted(self.complete("cell0ctl backup prune --keep-daily ")))
        self.assertIn("latest", self.complete("cell0ctl backup verify --restore "))
        self.assertEqual(["json", "text"], sorted(self.complete("cell0ctl restore --format ")))
        self.assertIn("latest", self.complete("cell0ctl restore "))

    def test_validate_config(self) -> None:
        flags, _ = help_options(self.run_binary("--help").stdout)
        own, _ = help_options(self.run_binary("validate-config", "--help").stdout)
        self.assertEqual(sorted(set(own) | set(flags)), sorted(self.complete("cell0ctl validate-config -")))
        self.assertEqual(["github", "json", "junit", "sarif", "text"],
                         sorted(self.complete("cell0ctl validate-config --format ")))
        self.assertEqual(["2020-12", "7"], sorted(self.complete("cell0ctl validate-config --default-draft ")))
        Path(self.home, "cell0ctl-file").write_text("", encoding="utf-8")
        Path(self.home, "cell0ctl-folder").mkdir(exist_ok=True)
        self.assertEqual(["cell0ctl-file", "cell0ctl-folder/"],
                         sorted(self.complete("cell0ctl validate-config cell0ctl-")))
        self.assertEqual(["cell0ctl-folder/"], self.complete("cell0ctl validate-config --schema-dir cell0ctl-"))
        kinds = self.kinds()
        self.assertEqual(sorted(kinds), sorted(self.complete("cell0ctl validate-config --kind ")))
        self.assertEqual(sorted(k for k in kinds if k != "helm-template"),
                         sorted(self.complete("cell0ctl validate-config --export-schema ")))

    def test_commands_endpoints_and_skip_lists(self) -> None:
        commands = help_subcommands(self.run_binary("--help").stdout)
        self.assertEqual(sorted(commands), sorted(self.complete("cell0ctl ")))
        self.assertIn("ollama=", self.complete("cell0ctl --endpoint "))
        self.assertIn("perms.home,data.logs", self.complete("cell0ctl doctor --skip perms.home,da"))


# --- (f) version ---------------------------------------------------------------------------------

class VersionTest(DocsCase):
    def meson_version(self) -> str:
        project = re.search(r"project\((.*?)\)", (ROOT / "meson.build").read_text(encoding="utf-8"), re.S)
        self.assertIsNotNone(project)
        version = re.search(r"version\s*:\s*'([^']+)'", project.group(1))
        self.assertIsNotNone(version, "no version: in project() of meson.build")
        return version.group(1)

    def test_version_is_the_projects(self) -> None:
        for flag in ("--version", "-V"):
            result = self.run_binary(flag)
            with self.subTest(flag=flag):
                self.assertEqual(0, result.returncode, result.stderr)
                self.assertEqual(f"cell0ctl {self.meson_version()}\n", result.stdout)

    def test_man_pages_name_the_version(self) -> None:
        for page in MAN_PAGES:
            th = re.search(r'(?m)^\.TH\s+\S+\s+1\s+\S+\s+"([^"]*)"', page.read_text(encoding="utf-8"))
            with self.subTest(page=page.name):
                self.assertIsNotNone(th, "no .TH NAME 1 DATE \"SOURCE\"")
                self.assertEqual(f"cell0ctl {self.meson_version()}", th.group(1))


# --- (g) exit statuses and the rest of the contract ------------------------------------------------

class ContractTest(DocsCase):
    def documented_statuses(self, source: str) -> list[int]:
        return [int(tag) for tag in tags(sections(source)["EXIT STATUS"])]

    def test_cell0ctl_1_documents_exit_statuses_0_1_2_3_64_75_78(self) -> None:
        self.assertEqual([0, 1, 2, 3, 64, 75, 78], self.documented_statuses(self.man_main))

    def test_doctor_documents_the_statuses_it_can_exit_with(self) -> None:
        self.assertEqual([0, 1, 2, 3, 64, 78], self.documented_statuses(self.man_doctor))

    def test_the_binary_exits_as_documented(self) -> None:
        config = Path(self.home, "cpu.yaml")
        config.write_text("checks:\n  resources.cpu: {min: 100000}\n", encoding="utf-8")
        bad = Path(self.home, "bad.yaml")
        bad.write_text("no_such_setting: 1\n", encoding="utf-8")
        cpu = ["--config", str(config), "doctor"]
        cases = {
            "no command": ([], 64),
            "unknown command": (["no-such-command"], 64),
            "unknown check": (["doctor", "no-such-check"], 64),
            "unknown format": (["--format", "no-such-format", "doctor"], 64),
            "version": (["--version"], 0),
            "a warning": ([*cpu, "resources.cpu"], 0),
            "a warning with --fail-on warn": ([*cpu, "--fail-on", "warn", "resources.cpu"], 1),
            "a failure": (["--cell0-home", os.path.join(self.home, "absent"), "doctor", "home.exists"], 2),
            "bad configuration": (["--config", str(bad), "doctor"], 78),
        }
        for name, (args, status) in cases.items():
            result = self.run_binary(*args)
            with self.subTest(case=name):
                self.assertEqual(status, result.returncode, result.stdout + result.stderr)

    def test_a_check_that_could_not_run_exits_3(self) -> None:
        with socket.socket() as silent:  # accepts connections, never answers
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            url = f"http://127.0.0.1:{silent.getsockname()[1]}"
            result = self.run_binary("--endpoint", f"ollama={url}", "--format", "json", "doctor",
                                     "--timeout", "300ms", "ollama.reachable")
        self.assertEqual(3, result.returncode, result.stderr)
        self.assertEqual("unknown", json.loads(result.stdout)["checks"][0]["status"])

    def test_validate_config_documents_the_statuses_it_can_exit_with(self) -> None:
        documented = self.documented_statuses(self.man_validate)
        self.assertEqual([0, 2, 3, 64, 78], documented)
        statuses = help_exit_statuses(self.run_binary("validate-config", "--help").stdout)
        self.assertIn(0, statuses)
        self.assertLessEqual(set(statuses), set(documented))
        valid = Path(self.home, "valid.yaml")
        valid.write_text("a: 1\n", encoding="utf-8")
        invalid = Path(self.home, "dup.yaml")
        invalid.write_text("a: 1\na: 2\n", encoding="utf-8")
        bad = Path(self.home, "bad-validate.yaml")
        bad.write_text("no_such_setting: 1\n", encoding="utf-8")
        cases = {
            "valid, a warning": (["validate-config", str(valid)], 0),
            "warning with --strict": (["validate-config", "--strict", str(valid)], 2),
            "duplicate key": (["validate-config", str(invalid)], 2),
            "no path": (["validate-config"], 64),
            "bad configuration": (["--config", str(bad), "validate-config", str(valid)], 78),
        }
        for name, (args, status) in cases.items():
            result = self.run_binary(*args)
            with self.subTest(case=name):
                self.assertEqual(status, result.returncode, result.stdout + result.stderr)

    def test_backup_and_restore_document_the_statuses_of_their_help(self) -> None:
        for command, page, expected in ((["backup"], self.man_backup, [0, 1, 2, 3, 64, 75, 78]),
                                        (["backup", "list"], self.man_backup, None),
                                        (["backup", "verify"], self.man_backup, None),
                                        (["backup", "prune"], self.man_backup, None),
                                        (["backup", "status"], self.man_backup, None),
                                        (["restore"], self.man_restore, [0, 2, 3, 64, 75, 78])):
            result = self.run_binary(*command, "--help")
            statuses = help_exit_statuses(result.stdout)
            documented = self.documented_statuses(page)
            with self.subTest(command=" ".join(command)):
                self.assertIn(0, statuses, f"no `Exit:` footer in {' '.join(command)} --help")
                self.assertLessEqual(set(statuses), set(documented))
                self.assertLessEqual(set(documented), set(self.documented_statuses(self.man_main)),
                                     "a status outside cell0ctl(1)'s contract")
                if expected:
                    self.assertEqual(expected, documented)

    def test_backup_and_restore_exit_as_documented(self) -> None:
        work = Path(tempfile.mkdtemp(prefix="work-backup-", dir=self.home))
        home = work / "cell0-home"
        (home / "runtime").mkdir(parents=True)
        (home / "runtime" / "goals.json").write_text("{}\n", encoding="utf-8")
        repo, empty_repo, plain = work / "repo", work / "empty-repo", work / "plain"
        (empty_repo / "snapshots").mkdir(parents=True)
        marker = '{"format": "cell0ctl-repository", "version": 1}\n'
        (empty_repo / "cell0ctl-repository.json").write_text(marker, encoding="utf-8")
        plain.mkdir()
        (plain / "something").write_text("x", encoding="utf-8")
        common = ["--cell0-home", str(home)]
        cases = [
            ("no repository", ["backup"], 64),
            ("compression out of range", ["backup", "--repo", str(repo), "--compression", "20"], 64),
            ("bad --lock-wait", ["backup", "--repo", str(repo), "--lock-wait", "soon"], 64),
            ("dry run", ["backup", "--repo", str(repo), "--dry-run"], 0),
            ("saved", ["backup", "--repo", str(repo)], 0),
            ("listed", ["backup", "list", "--repo", str(repo)], 0),
            ("sound", ["backup", "verify", "--repo", str(repo)], 0),
            ("metrics in a missing folder: a warning", ["backup", "verify", "--repo", str(repo),
                                                        "--metrics-file", str(work / "absent" / "x.prom")], 0),
            ("never tested", ["backup", "status", "--repo", str(repo)], 1),
            ("restore test", ["backup", "verify", "--restore", "--repo", str(repo),
                              "--scratch", str(work / "scratch")], 0),
            ("tested", ["backup", "status", "--repo", str(repo)], 0),
            ("too old", ["backup", "status", "--repo", str(repo), "--max-age", "0s"], 1),
            ("bad --max-age", ["backup", "status", "--repo", str(repo), "--max-age", "soon"], 64),
            ("no snapshot at all", ["backup", "status", "--repo", str(empty_repo)], 2),
            ("prune without a policy", ["backup", "prune", "--repo", str(repo)], 64),
            ("prune with a negative count", ["backup", "prune", "--repo", str(repo), "--keep-daily", "-1"], 64),
            ("prune plan", ["backup", "prune", "--repo", str(repo), "--keep-last", "1"], 0),
            ("not a repository", ["backup", "list", "--repo", str(plain)], 2),
            ("neither empty nor a repository", ["backup", "--repo", str(plain)], 2),
            ("no snapshot", ["backup", "verify", "--repo", str(empty_repo)], 64),
            ("unknown snapshot", ["restore", "--repo", str(repo), "no-such-snapshot", "--dry-run"], 64),
            ("restored elsewhere", ["restore", "--repo", str(repo), "--to", str(work / "restored")], 0),
            ("--to not empty", ["restore", "--repo", str(repo), "--to", str(plain)], 64),
        ]
        for name, args, status in cases:
            result = self.run_binary(*common, *args)
            with self.subTest(case=name):
                self.assertEqual(status, result.returncode, result.stdout + result.stderr)
        with open(repo / "lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for args in (["backup", "--repo", str(repo)], ["restore", "--repo", str(repo), "--dry-run"]):
                result = self.run_binary(*common, *args, "--lock-wait", "0")
                with self.subTest(case=f"locked: {args[0]}"):
                    self.assertEqual(75, result.returncode, result.stdout + result.stderr)
        archive = next((repo / "snapshots").glob("*.tar.zst"))
        archive.write_bytes(archive.read_bytes()[:-40])
        result = self.run_binary(*common, "backup", "verify", "--repo", str(repo))
        with self.subTest(case="damaged"):
            self.assertEqual(2, result.returncode, result.stdout + result.stderr)
        for name, args in (("a failed restore test", ["backup", "verify", "--restore", "--repo", str(repo),
                                                      "--scratch", str(work / "scratch")]),
                           ("status after a failed restore test", ["backup", "status", "--repo", str(repo)])):
            result = self.run_binary(*common, *args)
            with self.subTest(case=name):
                self.assertEqual(2, result.returncode, result.stdout + result.stderr)

    def test_commands_documented_as_available_are_the_binarys(self) -> None:
        commands = tagged_paragraphs(sections(self.man_main)["COMMANDS"])
        self.assertEqual(["doctor", "health", "validate-config", "backup", "restore", "bench"],
                         [name for name, _ in commands])
        planned = [name for name, body in commands if body.startswith("Planned.")]
        available = [name for name, body in commands if not body.startswith("Planned.")]
        self.assertEqual(help_subcommands(self.run_binary("--help").stdout), available)
        for command in planned:
            with self.subTest(command=command):
                self.assertEqual(64, self.run_binary(command).returncode,
                                 f"{command} is documented as planned but the binary knows it")

    def test_configuration_keys_are_documented(self) -> None:
        bad = Path(self.home, "unknown-key.yaml")
        bad.write_text("no_such_setting: 1\n", encoding="utf-8")
        result = self.run_binary("--config", str(bad), "doctor")
        self.assertEqual(78, result.returncode, result.stderr)
        match = re.search(r"known settings are: (.*)", result.stderr)
        self.assertIsNotNone(match, result.stderr)
        configuration = roff_plain(sections(self.man_main)["CONFIGURATION"])
        for key in match.group(1).split(", "):
            with self.subTest(key=key):
                self.assertTrue(mentions(configuration, key.strip()), f"{key} is not in CONFIGURATION")


if __name__ == "__main__":
    unittest.main()
