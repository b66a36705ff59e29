"""End-to-end tests of `cell0ctl backup` and `cell0ctl restore`: the built binary against a
real Cell 0 home, a real SQLite database written to while it is backed up, GNU tar and zstd
as the tools that must read a snapshot without cell0ctl, a kernel lock held by another
process, SIGKILL in the middle of a run, and a full disk."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from tests.e2e.deployment import Deployment


def tree(root: Path) -> dict[str, tuple[str, int]]:
    """Relative path -> (sha256 or 'dir' or 'link:target', mode) of everything below root."""
    result: dict[str, tuple[str, int]] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        mode = path.lstat().st_mode & 0o7777
        if path.is_symlink():
            result[relative] = (f"link:{os.readlink(path)}", 0)
        elif path.is_dir():
            result[relative] = ("dir", mode)
        else:
            result[relative] = (hashlib.sha256(path.read_bytes()).hexdigest(), mode)
    return result


class BackupTest(unittest.TestCase):
    def setUp(self) -> None:
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)
        self.repo = self.deployment.tmp / "repo"

    def backup(self, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
        return self.deployment.cell0ctl("backup", "--repo", str(self.repo), *args, **kwargs)

    def json_of(self, result: subprocess.CompletedProcess[str]) -> dict:
        self.assertEqual(0, result.returncode, result.stderr + result.stdout)
        return json.loads(result.stdout)

    def test_backup_list_verify_and_restore_round_trip(self) -> None:
        home = self.deployment.home
        (home / "runtime/memory/social.vec").write_text('[{"id": "1", "text": "hello"}]')
        os.symlink("runtime/goals.json", home / "goals-link")
        created = self.json_of(self.deployment.cell0ctl("--format", "json", "backup", "--repo", str(self.repo)))
        snapshot = created["snapshot"]
        self.assertEqual(8, len(snapshot["id"]))
        self.assertEqual("full", snapshot["kind"])

        listed = self.json_of(self.deployment.cell0ctl("--format", "json", "backup", "list", "--repo", str(self.repo)))
        self.assertEqual([snapshot["id"]], [s["id"] for s in listed])
        for key in ("id", "time", "kind", "parent", "files", "data_bytes", "stored_bytes"):
            self.assertIn(key, listed[0])

        verified = self.json_of(self.deployment.cell0ctl("--format", "json", "backup", "verify", "--repo", str(self.repo)))
        self.assertTrue(verified["ok"], verified["problems"])

        target = self.deployment.tmp / "restored"
        result = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--to", str(target))
        self.assertEqual(0, result.returncode, result.stderr + result.stdout)
        self.assertEqual(tree(home), tree(target / "cell0"))

    def test_a_snapshot_restores_with_plain_tar_and_zstd(self) -> None:
        self.assertEqual(0, self.backup().returncode)
        archive = next((self.repo / "snapshots").glob("*.tar.zst"))
        subprocess.run(["zstd", "-t", "-q", str(archive)], check=True)
        out = self.deployment.tmp / "by-tar"
        out.mkdir()
        subprocess.run(["tar", "--zstd", "-xf", str(archive), "-C", str(out)], check=True)
        self.assertEqual(tree(self.deployment.home), tree(out / "cell0"))

    def test_excluded_folders_are_not_stored(self) -> None:
        (self.deployment.home / ".venv/lib").mkdir(parents=True)
        (self.deployment.home / ".venv/lib/big.so").write_bytes(b"x" * 1000)
        (self.deployment.home / "node_modules").mkdir()
        dry = self.json_of(self.deployment.cell0ctl("--format", "json", "backup", "--repo", str(self.repo),
                                                    "--dry-run", "--exclude", "cell0/runtime/sessions"))
        self.assertIn("cell0/.venv", dry["excluded"])
        self.assertIn("cell0/node_modules", dry["excluded"])
        self.assertIn("cell0/runtime/sessions", dry["excluded"])
        self.assertFalse(self.repo.exists(), "a dry run creates nothing")

    def test_includes_and_excludes_come_from_the_configuration_too(self) -> None:
        self.deployment.settings["backup"] = {"exclude": ["cell0/runtime/sessions"],
                                              "include": ["cell0/runtime/**"]}
        dry = self.json_of(self.deployment.cell0ctl("--format", "json", "backup", "--repo", str(self.repo),
                                                    "--dry-run", "--exclude", "cell0/runtime/memory"))
        self.assertIn("cell0/runtime/sessions", dry["excluded"])
        self.assertIn("cell0/runtime/memory", dry["excluded"])
        stored = self.json_of(self.deployment.cell0ctl("--format", "json", "backup", "--repo", str(self.repo)))
        listing = subprocess.run(["tar", "--zstd", "-tf", str(next((self.repo / "snapshots").glob("*.tar.zst")))],
                                 check=True, capture_output=True, text=True).stdout.split()
        self.assertIn("cell0/runtime/goals.json", listing)
        self.assertFalse([p for p in listing if p.startswith("cell0/runtime/sessions/")])
        self.assertFalse([p for p in listing if p.startswith("cell0/identity")], "only runtime/ is included")
        self.assertEqual(stored["files"], dry["files"] + len([p for p in listing if p.startswith("cell0/runtime/memory/")]))

    def test_sqlite_written_during_backup_is_consistent_and_has_no_wal(self) -> None:
        db = self.deployment.home / "logs/audit.db"
        connection = sqlite3.connect(db, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE audit_events(id INTEGER PRIMARY KEY, n INTEGER, payload TEXT)")
        connection.commit()
        stop = threading.Event()

        def writer() -> None:
            n = 0
            while not stop.is_set():
                connection.execute("INSERT INTO audit_events(n, payload) VALUES (?, ?)", (n, "x" * 500))
                connection.execute("UPDATE audit_events SET n = n + 1 WHERE id % 7 = 0")
                connection.commit()
                n += 1

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(0.2)
        try:
            result = self.backup()
        finally:
            stop.set()
            thread.join()
            connection.close()
        self.assertEqual(0, result.returncode, result.stderr)
        manifest = json.loads(next((self.repo / "snapshots").glob("*.json")).read_text())
        paths = {f["path"]: f for f in manifest["files"]}
        self.assertEqual("sqlite", paths["cell0/logs/audit.db"]["type"])
        self.assertFalse(any(p.endswith(("-wal", "-shm")) for p in paths))
        target = self.deployment.tmp / "restored"
        self.assertEqual(0, self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--to", str(target)).returncode)
        restored = sqlite3.connect(target / "cell0/logs/audit.db")
        self.assertEqual("ok", restored.execute("PRAGMA integrity_check").fetchone()[0])
        self.assertEqual("delete", restored.execute("PRAGMA journal_mode").fetchone()[0])
        self.assertGreater(restored.execute("SELECT count(*) FROM audit_events").fetchone()[0], 0)
        restored.close()

    def test_jsonl_is_cut_at_its_last_complete_line(self) -> None:
        log = self.deployment.home / "runtime/ethics-log.jsonl"
        log.write_text('{"a": 1}\n{"b": 2}\n{"c": 3')
        self.assertEqual(0, self.backup().returncode)
        target = self.deployment.tmp / "restored"
        self.assertEqual(0, self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--to", str(target)).returncode)
        self.assertEqual('{"a": 1}\n{"b": 2}\n', (target / "cell0/runtime/ethics-log.jsonl").read_text())

    def test_a_second_run_waits_for_the_lock_then_exits_75(self) -> None:
        self.assertEqual(0, self.backup().returncode)
        with open(self.repo / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            result = self.backup("--lock-wait", "300ms")
        self.assertEqual(75, result.returncode)
        self.assertIn("locked by another cell0ctl run", result.stderr)
        self.assertEqual(0, self.backup("--lock-wait", "300ms").returncode)

    def test_sigkill_mid_backup_leaves_no_listed_snapshot_and_is_cleaned(self) -> None:
        self.assertEqual(0, self.backup().returncode)
        # Enough data that the run is still writing when killed.
        big = self.deployment.home / "workspace/big.bin"
        big.write_bytes(os.urandom(64 << 20))
        env = dict(os.environ, HOME=str(self.deployment.tmp / "home"))
        from tests.e2e.deployment import CELL0CTL
        process = subprocess.Popen([CELL0CTL, "--config", str(self.deployment.config_file()),
                                    "--cell0-home", str(self.deployment.home), "backup",
                                    "--repo", str(self.repo), "--compression", "19"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list((self.repo / "snapshots").glob("*.partial")):
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        listed = json.loads(self.deployment.cell0ctl("--format", "json", "backup", "list", "--repo", str(self.repo)).stdout)
        self.assertEqual(1, len(listed))
        # The next run (taking the lock the dead one released) removes the leftovers.
        big.unlink()
        self.assertEqual(0, self.backup().returncode)
        self.assertEqual([], list((self.repo / "snapshots").glob("*.partial")))
        self.assertEqual(2, len(list((self.repo / "snapshots").glob("*.tar.zst"))))

    def test_restore_refuses_a_running_cell0_unless_forced(self) -> None:
        self.assertEqual(0, self.backup().returncode)
        self.deployment.start_gateway()
        result = self.deployment.cell0ctl("restore", "--repo", str(self.repo))
        self.assertEqual(2, result.returncode)
        self.assertIn("Cell 0 is running", result.stderr)
        self.assertIn("--force", result.stderr)

    def test_restore_in_place_swaps_and_keeps_the_replaced_home(self) -> None:
        home = self.deployment.home
        before = tree(home)
        self.assertEqual(0, self.backup().returncode)
        (home / "cell0.json").write_text("{ damaged")
        (home / "runtime/new-after-backup.txt").write_text("x")
        result = self.deployment.cell0ctl("--format", "json", "restore", "--repo", str(self.repo))
        out = self.json_of(result)
        self.assertEqual(before, tree(home))
        previous = Path(out["previous"])
        self.assertEqual("{ damaged", (previous / "cell0.json").read_text())
        self.assertEqual(0o700, home.stat().st_mode & 0o777)
        self.assertTrue(all(c["status"] in ("ok", "skip") for c in out["checks"]), out["checks"])

    def test_two_restores_in_one_second_lose_nothing(self) -> None:
        home = self.deployment.home
        self.assertEqual(0, self.backup().returncode)
        (home / "only-in-live-home.txt").write_text("precious")
        first = self.json_of(self.deployment.cell0ctl("--format", "json", "restore", "--repo", str(self.repo)))
        second = self.json_of(self.deployment.cell0ctl("--format", "json", "restore", "--repo", str(self.repo)))
        self.assertNotEqual(first["previous"], second["previous"])
        self.assertEqual("precious", (Path(first["previous"]) / "only-in-live-home.txt").read_text())
        self.assertTrue(Path(second["previous"]).is_dir())

    def test_only_a_path_the_snapshot_lacks_is_an_error(self) -> None:
        self.assertEqual(0, self.backup().returncode)
        result = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--only", "no/such/file")
        self.assertEqual(64, result.returncode)
        self.assertIn("matches --only", result.stderr)

    def test_restore_only_one_file(self) -> None:
        home = self.deployment.home
        self.assertEqual(0, self.backup().returncode)
        original = (home / "runtime/goals.json").read_text()
        (home / "runtime/goals.json").write_text("broken")
        (home / "identity/identity.json").write_text("changed, and kept")
        result = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--only", "runtime/goals.json")
        self.assertEqual(0, result.returncode, result.stderr + result.stdout)
        self.assertEqual(original, (home / "runtime/goals.json").read_text())
        self.assertEqual("changed, and kept", (home / "identity/identity.json").read_text())

    def test_verify_finds_a_damaged_archive(self) -> None:
        self.assertEqual(0, self.backup().returncode)
        archive = next((self.repo / "snapshots").glob("*.tar.zst"))
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        archive.write_bytes(bytes(data))
        result = self.deployment.cell0ctl("backup", "verify", "--repo", str(self.repo))
        self.assertEqual(2, result.returncode)
        self.assertIn("DAMAGED", result.stdout)

    def test_full_disk_fails_cleanly_and_keeps_older_snapshots(self) -> None:
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        mount = self.deployment.tmp / "small"
        mount.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True).returncode != 0:
            self.skipTest("cannot mount a tmpfs here")
        self.addCleanup(subprocess.run, ["umount", "-l", str(mount)], capture_output=True)
        repo = mount / "repo"
        first = self.deployment.cell0ctl("backup", "--repo", str(repo))
        self.assertEqual(0, first.returncode, first.stderr)
        (self.deployment.home / "workspace/incompressible.bin").write_bytes(os.urandom(3 << 20))
        result = self.deployment.cell0ctl("backup", "--repo", str(repo))
        self.assertEqual(2, result.returncode)
        self.assertIn("free space", result.stderr)
        self.assertEqual([], list((repo / "snapshots").glob("*.partial")))
        listed = json.loads(self.deployment.cell0ctl("--format", "json", "backup", "list", "--repo", str(repo)).stdout)
        self.assertEqual(1, len(listed))
        verified = self.deployment.cell0ctl("backup", "verify", "--repo", str(repo))
        self.assertEqual(0, verified.returncode)

    def test_no_repository_is_a_usage_error_with_a_hint(self) -> None:
        result = self.deployment.cell0ctl("backup")
        self.assertEqual(64, result.returncode)
        self.assertIn("--repo", result.stderr)


if __name__ == "__main__":
    unittest.main()
