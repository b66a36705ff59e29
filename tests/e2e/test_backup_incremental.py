"""End-to-end tests of differential and incremental snapshots and point-in-time restores: the
built binary against a real Cell 0 home whose SQLite database is updated in place, whose JSONL
logs grow, and whose files change, appear, vanish and change mode between snapshots."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import time
import unittest
from pathlib import Path

from tests.e2e.deployment import Deployment


def tree(root: Path) -> dict[str, tuple[str, int]]:
    """Relative path -> (sha256, 'dir' or 'link:target'; mode) below root, SQLite databases
    aside (a copy through the backup API is equal in content, not in bytes)."""
    result: dict[str, tuple[str, int]] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        mode = path.lstat().st_mode & 0o7777
        if path.is_symlink():
            result[relative] = (f"link:{os.readlink(path)}", 0)
        elif path.is_dir():
            result[relative] = ("dir", mode)
        elif path.suffix == ".db":
            result[relative] = ("db", mode)
        else:
            result[relative] = (hashlib.sha256(path.read_bytes()).hexdigest(), mode)
    return result


def rows(db: Path) -> list[tuple]:
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return connection.execute("SELECT id, n, payload FROM events ORDER BY id").fetchall()
    finally:
        connection.close()


class IncrementalTest(unittest.TestCase):
    def setUp(self) -> None:
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)
        self.repo = self.deployment.tmp / "repo"
        self.home = self.deployment.home
        self.db = self.home / "runtime/state.db"
        connection = sqlite3.connect(self.db)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE events(id INTEGER PRIMARY KEY, n INTEGER, payload BLOB)")
        connection.executemany("INSERT INTO events(n, payload) VALUES (?, ?)",
                               ((i, os.urandom(400)) for i in range(8000)))
        connection.commit()
        connection.close()
        self.log = self.home / "runtime/ethics-log.jsonl"
        self.log.write_text("".join(f'{{"n": {i}, "decision": "allow"}}\n' for i in range(3000)))
        self.vec = self.home / "runtime/memory/social.vec"
        entries = (f'{{"id": "{i}", "text": "{int.from_bytes(os.urandom(40), "big"):0100d}"}}'
                   for i in range(24000))
        self.vec.write_text("[" + ",\n".join(entries) + "]")

    def backup(self, *args: str) -> dict:
        result = self.deployment.cell0ctl("--format", "json", "backup", "--repo", str(self.repo), *args)
        self.assertEqual(0, result.returncode, result.stderr + result.stdout)
        return json.loads(result.stdout)

    def restore_to(self, *args: str) -> Path:
        target = self.deployment.tmp / f"restored-{len(list(self.deployment.tmp.glob('restored-*')))}"
        result = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--to", str(target), *args)
        self.assertEqual(0, result.returncode, result.stderr + result.stdout)
        return target / "cell0"

    def day_two(self) -> None:
        """2.5 % of the database's rows rewritten in place, the log appended to, one small file
        changed, one added, one removed, one changed only in mode, 4 KiB of the vectors."""
        connection = sqlite3.connect(self.db)
        connection.execute("UPDATE events SET n = n + 1, payload = randomblob(400) WHERE id % 40 = 0")
        connection.commit()
        connection.close()
        with self.log.open("a") as log:
            log.write("".join(f'{{"n": {i}, "decision": "deny"}}\n' for i in range(3000, 3100)))
        (self.home / "runtime/goals.json").write_text('{"goals": ["ship"]}')
        (self.home / "runtime/new-note.md").write_text("new\n")
        os.chmod(self.home / "cell0.json", 0o640)
        content = bytearray(self.vec.read_bytes())
        for at in range(1 << 20, (1 << 20) + 4096):  # digits stay digits: still a JSON array
            if 48 <= content[at] <= 57:
                content[at] = 48 + (content[at] - 47) % 10
        stat = self.vec.stat()
        self.vec.write_bytes(bytes(content))
        os.utime(self.vec, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
        for path in (self.home / "runtime/sessions").glob("*"):
            path.unlink()
            break

    def test_a_differential_stores_only_what_changed_and_restores_the_whole_state(self) -> None:
        full = self.backup()
        self.assertEqual("full", full["snapshot"]["kind"])
        before_tree, before_rows = tree(self.home), rows(self.db)
        time.sleep(0.01)
        self.day_two()
        diff = self.backup()
        snapshot = diff["snapshot"]
        self.assertEqual("differential", snapshot["kind"])
        self.assertEqual(full["snapshot"]["id"], snapshot["parent"])
        self.assertGreaterEqual(diff["stored"]["blocks"], 2, diff)  # the database, the vectors
        self.assertEqual(1, diff["stored"]["tails"], diff)  # the log
        self.assertGreater(diff["stored"]["unchanged"], 0)
        # Far less than the full: 2.5 % of pages, one 4 KiB block, the log's tail.
        self.assertLess(diff["stored"]["bytes"] * 5, full["stored"]["bytes"], diff)
        self.assertLess(snapshot["stored_bytes"] * 3, full["snapshot"]["stored_bytes"])

        now = self.restore_to()
        self.assertEqual(tree(self.home), tree(now))
        self.assertEqual(rows(self.db), rows(now / "runtime/state.db"))
        self.assertEqual(0o640, (now / "cell0.json").stat().st_mode & 0o777)
        # The full still restores the day before.
        then = self.restore_to(full["snapshot"]["id"])
        self.assertEqual(before_tree, tree(then))
        self.assertEqual(before_rows, rows(then / "runtime/state.db"))

        verified = self.deployment.cell0ctl("--format", "json", "backup", "verify", "--repo", str(self.repo))
        self.assertEqual(0, verified.returncode, verified.stdout)

    def test_incrementals_chain_and_each_point_restores(self) -> None:
        self.backup("--kind", "full")
        states = []
        ids = []
        for day in range(3):
            with self.log.open("a") as log:
                log.write(f'{{"day": {day}}}\n')
            (self.home / f"runtime/day-{day}.txt").write_text(str(day))
            made = self.backup("--kind", "incremental")
            self.assertEqual("incremental", made["snapshot"]["kind"])
            if ids:
                self.assertEqual(ids[-1], made["snapshot"]["parent"])
            ids.append(made["snapshot"]["id"])
            states.append(tree(self.home))
        for snapshot, state in zip(ids, states):
            self.assertEqual(state, tree(self.restore_to(snapshot)))
        restored = self.deployment.cell0ctl("--format", "json", "restore", "--repo", str(self.repo),
                                            "--to", str(self.deployment.tmp / "chain"), ids[-1])
        self.assertEqual(4, len(json.loads(restored.stdout)["chain"]))  # the full, 3 steps

    def manifest(self, snapshot_id: str) -> dict:
        return json.loads((self.repo / "snapshots" / f"{snapshot_id}.json").read_text())

    def test_an_unchanged_file_keeps_no_block_digests_and_its_next_change_is_stored_as_blocks(self) -> None:
        full = self.backup("--kind", "full")["snapshot"]["id"]
        (self.home / "runtime/goals.json").write_text('{"goals": ["one"]}')
        differential = self.backup("--kind", "differential")["snapshot"]["id"]
        vec_entry = next(f for f in self.manifest(differential)["files"] if f["path"] == "cell0/runtime/memory/social.vec")
        self.assertEqual("unchanged", vec_entry["stored"])
        self.assertEqual(full, vec_entry["in"])
        self.assertNotIn("blocks", vec_entry)  # the full has them
        self.assertIn("blocks", next(f for f in self.manifest(full)["files"] if f["path"] == vec_entry["path"]))
        # The archive's own copy of the file list leaves the digests out.
        inner = json.loads(subprocess.run(
            ["tar", "--zstd", "-xOf", str(self.repo / "snapshots" / f"{full}.tar.zst"), "cell0ctl-manifest.json"],
            check=True, capture_output=True).stdout)
        self.assertEqual({f["path"] for f in self.manifest(full)["files"]}, {f["path"] for f in inner["files"]})
        self.assertFalse([f["path"] for f in inner["files"] if "blocks" in f])

        # An incremental on the differential finds the digests in the full: 4 KiB changed in
        # place are stored as blocks, not the whole 3 MB file.
        self.day_two()
        incremental = self.backup("--kind", "incremental")["snapshot"]["id"]
        vec_entry = next(f for f in self.manifest(incremental)["files"] if f["path"] == vec_entry["path"])
        self.assertEqual("blocks", vec_entry["stored"])
        self.assertEqual(tree(self.home), tree(self.restore_to(incremental)))

    def test_restore_at_a_time_picks_the_snapshot_of_then(self) -> None:
        first = self.backup()["snapshot"]
        first_tree = tree(self.home)
        time.sleep(1.1)
        middle = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        time.sleep(1.1)
        (self.home / "runtime/goals.json").write_text('{"goals": ["later"]}')
        second = self.backup()["snapshot"]
        self.assertNotEqual(first["id"], second["id"])
        self.assertEqual(first_tree, tree(self.restore_to("--at", middle)))
        self.assertEqual(tree(self.home), tree(self.restore_to("--at", "0s")))
        too_early = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--to",
                                             str(self.deployment.tmp / "never"), "--at", "2001-01-01")
        self.assertEqual(64, too_early.returncode)
        self.assertIn("no snapshot", too_early.stderr)
        bad = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--at", "yesterday-ish")
        self.assertEqual(64, bad.returncode)
        self.assertIn("--at", bad.stderr)

    def test_a_rewritten_log_is_stored_whole_not_as_a_tail(self) -> None:
        self.backup()
        self.log.write_text('{"rewritten": true}\n' * 4000)  # longer, but not an append
        diff = self.backup()
        self.assertEqual(0, diff["stored"]["tails"])
        self.assertEqual(tree(self.home), tree(self.restore_to()))

    def test_a_differential_without_its_full_is_reported_and_not_restored(self) -> None:
        full = self.backup()["snapshot"]
        self.day_two()
        diff = self.backup()["snapshot"]
        (self.repo / "snapshots" / f"{full['id']}.tar.zst").unlink()
        verified = self.deployment.cell0ctl("backup", "verify", "--repo", str(self.repo), diff["id"])
        self.assertEqual(2, verified.returncode)
        self.assertIn(full["id"], verified.stdout)
        target = self.deployment.tmp / "nothing"
        restored = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--to", str(target))
        self.assertEqual(2, restored.returncode)
        self.assertIn("missing", restored.stderr)
        self.assertFalse(target.exists())
        # The next backup does not build on a broken chain: it starts a new full.
        self.assertEqual("full", self.backup()["snapshot"]["kind"])

    def test_auto_makes_a_new_full_when_the_last_is_too_old(self) -> None:
        self.backup()
        self.assertEqual("differential", self.backup()["snapshot"]["kind"])
        again = self.backup("--full-every", "0s")
        self.assertEqual("full", again["snapshot"]["kind"])
        self.assertIn("older than", again["why_kind"])

    def test_a_differential_restores_with_tar_only_for_its_whole_files(self) -> None:
        """A differential's archive is still a tar: changed small files sit at their paths,
        deltas below cell0ctl-delta/."""
        self.backup()
        self.day_two()
        diff = self.backup()["snapshot"]
        out = self.deployment.tmp / "tar"
        out.mkdir()
        subprocess.run(["tar", "--zstd", "-xf", str(self.repo / "snapshots" / f"{diff['id']}.tar.zst"),
                        "-C", str(out)], check=True)
        self.assertEqual('{"goals": ["ship"]}', (out / "cell0/runtime/goals.json").read_text())
        self.assertTrue((out / "cell0ctl-delta/cell0/runtime/ethics-log.jsonl.tail").exists())
        self.assertFalse((out / "cell0/cell0.json").exists())


if __name__ == "__main__":
    unittest.main()
