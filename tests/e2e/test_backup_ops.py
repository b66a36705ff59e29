"""End-to-end tests of encrypted repositories (against Debian's age), prune, status,
verify --restore and --metrics-file, with the built binary on a real Cell 0 home."""
from __future__ import annotations

import json
import os
import subprocess
import unittest
from pathlib import Path

from tests.e2e.deployment import Deployment


class BackupOpsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)
        self.repo = self.deployment.tmp / "repo"
        self.key = self.deployment.tmp / "key.txt"
        subprocess.run(["age-keygen", "-o", str(self.key)], check=True, capture_output=True)
        self.recipient = subprocess.run(["age-keygen", "-y", str(self.key)], check=True,
                                        capture_output=True, text=True).stdout.strip()
        self.env = {"XDG_CACHE_HOME": str(self.deployment.tmp / "cache")}

    def run_ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.deployment.cell0ctl(*args, env=self.env)
        self.assertEqual(0, result.returncode, result.stderr + result.stdout)
        return result

    def backup(self, *args: str) -> dict:
        return json.loads(self.run_ok("--format", "json", "backup", "--repo", str(self.repo), *args).stdout)["snapshot"]

    def test_an_encrypted_snapshot_decrypts_with_age_and_needs_the_key_to_restore(self) -> None:
        log = self.deployment.home / "runtime/ethics-log.jsonl"
        log.write_text('{"n": 1}\n')
        full = self.backup("--age-recipient", self.recipient)
        with log.open("a") as out:
            out.write('{"n": 2}\n')
        diff = self.backup("--age-recipient", self.recipient)
        self.assertEqual("differential", diff["kind"], "the cache holds the full's file list")
        snapshots = self.repo / "snapshots"
        archive = snapshots / f"{full['id']}.tar.zst.age"
        self.assertFalse((snapshots / f"{full['id']}.tar.zst").exists())
        summary = json.loads((snapshots / f"{full['id']}.json").read_text())
        self.assertTrue(summary["encrypted"])
        self.assertNotIn("files", summary, "file names stay in the sealed manifest")
        # Debian's age and tar read it without cell0ctl.
        out = self.deployment.tmp / "by-age"
        out.mkdir()
        decrypted = subprocess.run(["age", "-d", "-i", str(self.key), str(archive)], check=True,
                                   capture_output=True).stdout
        subprocess.run(["tar", "--zstd", "-xf", "-", "-C", str(out)], input=decrypted, check=True)
        self.assertEqual('{"n": 1}\n', (out / "cell0/runtime/ethics-log.jsonl").read_text())
        # Without the key: the stored bytes only, and no restore.
        verified = self.run_ok("--format", "json", "backup", "verify", "--repo", str(self.repo))
        self.assertIn("encrypted", json.loads(verified.stdout)["note"])
        refused = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--to",
                                           str(self.deployment.tmp / "nokey"), env=self.env)
        self.assertEqual(64, refused.returncode)
        self.assertIn("--age-identity", refused.stderr)
        self.assertFalse((self.deployment.tmp / "nokey").exists())
        # With it: every file, and the chain restores.
        checked = json.loads(self.run_ok("--format", "json", "backup", "verify", "--repo", str(self.repo),
                                         "--age-identity", str(self.key)).stdout)
        self.assertTrue(checked["ok"])
        self.assertEqual("", checked["note"])
        target = self.deployment.tmp / "restored"
        self.run_ok("restore", "--repo", str(self.repo), "--to", str(target), "--age-identity", str(self.key))
        self.assertEqual(log.read_text(), (target / "cell0/runtime/ethics-log.jsonl").read_text())
        # A plaintext snapshot is refused in an encrypted repository.
        plain = self.deployment.cell0ctl("backup", "--repo", str(self.repo), env=self.env)
        self.assertEqual(64, plain.returncode)
        self.assertIn("encrypted", plain.stderr)
        # Another host (no cache) without the key: a full, never a broken differential.
        self.env["XDG_CACHE_HOME"] = str(self.deployment.tmp / "other-cache")
        self.assertEqual("full", self.backup("--age-recipient", self.recipient)["kind"])

    def test_a_wrong_key_is_an_error_naming_the_problem(self) -> None:
        self.backup("--age-recipient", self.recipient)
        other = self.deployment.tmp / "other.txt"
        subprocess.run(["age-keygen", "-o", str(other)], check=True, capture_output=True)
        self.env["XDG_CACHE_HOME"] = str(self.deployment.tmp / "empty-cache")
        result = self.deployment.cell0ctl("restore", "--repo", str(self.repo), "--to",
                                          str(self.deployment.tmp / "x"), "--age-identity", str(other),
                                          env=self.env)
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("no identity matches", result.stderr)
        self.assertNotIn("AGE-SECRET-KEY", result.stderr + result.stdout)

    def test_the_manifest_records_ollamas_models_not_their_blobs(self) -> None:
        self.deployment.start_ollama("llama3.2:3b", "nomic-embed-text:latest")
        snapshot = self.backup()
        manifest = json.loads((self.repo / "snapshots" / f"{snapshot['id']}.json").read_text())
        self.assertEqual(["llama3.2:3b", "nomic-embed-text:latest"], sorted(manifest["ollama_models"]))

    def test_prune_is_a_dry_run_by_default_and_keeps_what_kept_snapshots_need(self) -> None:
        ids = [self.backup("--kind", "full")["id"]]
        for n in range(3):
            (self.deployment.home / f"runtime/n{n}.txt").write_text(str(n))
            ids.append(self.backup("--kind", "incremental")["id"])
        plan = json.loads(self.run_ok("--format", "json", "backup", "prune", "--repo", str(self.repo),
                                      "--keep-last", "1").stdout)
        self.assertFalse(plan["applied"])
        self.assertTrue(all(s["keep"] for s in plan["snapshots"]), "an incremental needs its whole chain")
        self.backup("--kind", "full")
        plan = json.loads(self.run_ok("--format", "json", "backup", "prune", "--repo", str(self.repo),
                                      "--keep-last", "1").stdout)
        self.assertEqual(4, plan["removed"])
        self.assertEqual(5, len(list((self.repo / "snapshots").glob("*.json"))), "a dry run removes nothing")
        self.run_ok("backup", "prune", "--repo", str(self.repo), "--keep-last", "1", "--apply")
        self.assertEqual(1, len(list((self.repo / "snapshots").glob("*.json"))))
        self.assertEqual(1, len(list((self.repo / "snapshots").glob("*.tar.zst"))))
        none = self.deployment.cell0ctl("backup", "prune", "--repo", str(self.repo), env=self.env)
        self.assertEqual(64, none.returncode)
        self.assertIn("--keep", none.stderr)

    def test_status_verify_restore_and_the_metrics_file(self) -> None:
        metrics = self.deployment.tmp / "metrics"
        metrics.mkdir()
        status = self.deployment.cell0ctl("--format", "json", "backup", "status", "--repo", str(self.repo),
                                          env=self.env)
        self.assertNotEqual(0, status.returncode)  # no repository yet
        self.backup("--metrics-file", str(metrics / "backup.prom"))
        text = (metrics / "backup.prom").read_text()
        self.assertIn('cell0ctl_backup_last_run_success{', text)
        self.assertRegex(text, r'cell0ctl_backup_last_run_success\{[^}]*operation="backup"[^}]*\} 1')
        self.assertRegex(text, r"cell0ctl_backup_newest_snapshot_timestamp_seconds\{[^}]*\} \d")
        untested = self.deployment.cell0ctl("--format", "json", "backup", "status", "--repo", str(self.repo),
                                            env=self.env)
        self.assertEqual(1, untested.returncode)
        self.assertEqual("warn", json.loads(untested.stdout)["status"])
        self.run_ok("backup", "verify", "--restore", "--repo", str(self.repo),
                    "--metrics-file", str(metrics / "verify.prom"))
        self.assertRegex((metrics / "verify.prom").read_text(), r"cell0ctl_backup_rto_seconds\{[^}]*\} \d")
        report = json.loads(self.run_ok("--format", "json", "backup", "status", "--repo", str(self.repo)).stdout)
        self.assertEqual("ok", report["status"])
        self.assertGreater(report["rto_seconds"], 0)
        self.assertLess(report["rpo_seconds"], 600)
        # A JSONL file that no longer parses fails the restore test, and status says so.
        (self.deployment.home / "runtime/ethics-log.jsonl").write_text('{"ok": 1}\nnot json\n')
        self.backup()
        bad = self.deployment.cell0ctl("backup", "verify", "--restore", "--repo", str(self.repo),
                                       "--metrics-file", str(metrics / "verify.prom"), env=self.env)
        self.assertEqual(2, bad.returncode, bad.stdout)
        self.assertIn("ethics-log.jsonl: line 2 is not JSON", bad.stdout)
        failed = self.deployment.cell0ctl("backup", "status", "--repo", str(self.repo), env=self.env)
        self.assertEqual(2, failed.returncode)
        # A failed run keeps the last success time in the metrics file.
        self.assertRegex((metrics / "verify.prom").read_text(),
                         r"cell0ctl_backup_last_success_timestamp_seconds\{[^}]*\} \d")


if __name__ == "__main__":
    unittest.main()
