"""End-to-end tests of backup repositories in object storage (`--repo s3://BUCKET/PREFIX`) and
of `backup copy`: the built binary against s3rver on loopback, the aws CLI reading what it
wrote, a recording proxy that shows the order of uploads and refuses some, and a second host
(another cache folder) restoring what the first stored."""
from __future__ import annotations

import json
import subprocess
import unittest
import uuid
from pathlib import Path

from tests.e2e import s3
from tests.e2e.deployment import Deployment
from tests.e2e.test_backup import tree

server: s3.S3rver | None = None


def setUpModule() -> None:
    global server
    server = s3.S3rver()


def tearDownModule() -> None:
    if server is not None:
        server.close()


class S3Case(unittest.TestCase):
    """A fresh prefix of the s3rver bucket and a Cell 0 home for each test."""

    def setUp(self) -> None:
        assert server is not None
        self.deployment = Deployment()
        self.addCleanup(self.deployment.close)
        self.endpoint = server.url
        self.prefix = f"t-{uuid.uuid4().hex[:12]}"
        self.repo = f"s3://{s3.BUCKET}/{self.prefix}"
        self.cache = self.deployment.tmp / "cache-a"

    def run_cell0ctl(self, *args: str, cache: Path | None = None, endpoint: str | None = None,
                     env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        environment = dict(s3.CREDENTIALS)
        environment["AWS_ENDPOINT_URL"] = endpoint or self.endpoint
        environment["XDG_CACHE_HOME"] = str(cache or self.cache)
        environment.update(env or {})
        return self.deployment.cell0ctl(*args, env=environment, timeout=timeout)

    def ok(self, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
        result = self.run_cell0ctl(*args, **kwargs)
        self.assertEqual(0, result.returncode, result.stderr + result.stdout)
        return result

    def json_ok(self, *args: str, **kwargs):
        return json.loads(self.ok("--format", "json", *args, **kwargs).stdout)

    def backup(self, *args: str, **kwargs) -> dict:
        return self.json_ok("backup", "--repo", self.repo, *args, **kwargs)["snapshot"]


class S3RepositoryTest(S3Case):
    def test_snapshots_stored_in_s3_restore_on_another_host(self) -> None:
        home = self.deployment.home
        before = tree(home)
        full = self.backup()
        self.assertEqual("full", full["kind"])
        (home / "runtime/goals.json").write_text('{"goals": ["changed"]}')
        (home / "runtime/new.json").write_text('{"new": true}')
        differential = self.backup()
        self.assertEqual("differential", differential["kind"])
        self.assertEqual(full["id"], differential["parent"])

        # What the aws CLI sees: the marker, and an archive and a manifest per snapshot.
        stored = s3.objects(self.endpoint, self.prefix)
        self.assertEqual({"cell0ctl-repository.json",
                          f"snapshots/{full['id']}.tar.zst", f"snapshots/{full['id']}.json",
                          f"snapshots/{differential['id']}.tar.zst", f"snapshots/{differential['id']}.json"},
                         set(stored))
        # The mirror in this host's cache keeps manifests only.
        mirrored = [p.name for p in self.cache.rglob("*.tar.zst*")]
        self.assertEqual([], mirrored)

        # Another host: no cache, the same bucket.
        other = self.deployment.tmp / "cache-b"
        listed = self.json_ok("backup", "list", "--repo", self.repo, cache=other)
        self.assertEqual([full["id"], differential["id"]], [s["id"] for s in listed])
        self.assertEqual(stored[f"snapshots/{full['id']}.tar.zst"] + stored[f"snapshots/{full['id']}.json"],
                         listed[0]["stored_bytes"])
        proxy = s3.Proxy(self.endpoint)
        self.addCleanup(proxy.close)
        dry = self.json_ok("restore", "--dry-run", "--repo", self.repo, "--to", str(self.deployment.tmp / "dry"),
                           cache=other, endpoint=proxy.url)
        self.assertEqual(differential["id"], dry["id"])
        self.assertFalse([r for r in proxy.requests if r.endswith(".tar.zst")], "a dry run downloads no archive")
        latest = self.deployment.tmp / "latest"
        self.ok("restore", "--repo", self.repo, "--to", str(latest), cache=other)
        self.assertEqual(tree(home), tree(latest / "cell0"))
        first = self.deployment.tmp / "first"
        self.ok("restore", full["id"], "--repo", self.repo, "--to", str(first), cache=other)
        self.assertEqual(before, tree(first / "cell0"))
        self.assertEqual([], [p.name for p in other.rglob("*.tar.zst*")])

    def test_the_manifest_is_uploaded_last_and_a_failed_upload_commits_nothing(self) -> None:
        proxy = s3.Proxy(self.endpoint)
        self.addCleanup(proxy.close)
        full = self.backup(endpoint=proxy.url)
        puts = [r for r in proxy.requests if r.startswith("PUT ") and "/snapshots/" in r]
        self.assertEqual([f"PUT /{s3.BUCKET}/{self.prefix}/snapshots/{full['id']}.tar.zst",
                          f"PUT /{s3.BUCKET}/{self.prefix}/snapshots/{full['id']}.json"], puts)

        # The store refuses the manifest: the run fails, and no snapshot is listed, here or
        # on another host; the next run, with the store working again, builds on the full.
        proxy.refuse = __import__("re").compile(r"^PUT .*/snapshots/[0-9a-f]{8}\.json$")
        failed = self.run_cell0ctl("backup", "--repo", self.repo, endpoint=proxy.url)
        self.assertEqual(2, failed.returncode, failed.stderr)
        self.assertIn("could not be uploaded", failed.stderr)
        self.assertIn("AccessDenied", failed.stderr)
        proxy.refuse = None
        for cache in (self.cache, self.deployment.tmp / "cache-b"):
            listed = self.json_ok("backup", "list", "--repo", self.repo, cache=cache)
            self.assertEqual([full["id"]], [s["id"] for s in listed])
        after = self.backup()
        self.assertEqual(full["id"], after["parent"])

    def test_an_encrypted_snapshot_in_s3_decrypts_with_age_and_restores_elsewhere(self) -> None:
        key = self.deployment.tmp / "key.txt"
        subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
        recipient = next(line.split(": ")[1] for line in key.read_text().splitlines() if "public key" in line)
        snapshot = self.backup("--age-recipient", recipient)
        stored = s3.objects(self.endpoint, self.prefix)
        self.assertIn(f"snapshots/{snapshot['id']}.tar.zst.age", stored)
        self.assertIn(f"snapshots/{snapshot['id']}.manifest.age", stored)
        downloaded = self.deployment.tmp / "archive.age"
        got = s3.aws(self.endpoint, "s3", "cp", f"s3://{s3.BUCKET}/{self.prefix}/snapshots/{snapshot['id']}.tar.zst.age",
                     str(downloaded))
        self.assertEqual(0, got.returncode, got.stderr)
        listing = subprocess.run(f"age -d -i {key} {downloaded} | tar --zstd -t", shell=True, check=True,
                                 capture_output=True, text=True).stdout.split()
        self.assertIn("cell0/runtime/goals.json", listing)

        other = self.deployment.tmp / "cache-b"
        refused = self.run_cell0ctl("restore", "--repo", self.repo, "--to", str(self.deployment.tmp / "no"), cache=other)
        self.assertEqual(64, refused.returncode, refused.stderr)
        self.assertIn("--age-identity", refused.stderr)
        restored = self.deployment.tmp / "restored"
        self.ok("restore", "--repo", self.repo, "--to", str(restored), "--age-identity", str(key), cache=other)
        self.assertEqual(tree(self.deployment.home), tree(restored / "cell0"))

    def test_verify_and_restore_test_from_s3_are_seen_by_other_hosts(self) -> None:
        self.backup()
        verified = self.json_ok("backup", "verify", "--repo", self.repo)
        self.assertTrue(verified["ok"], verified["problems"])
        tested = self.json_ok("backup", "verify", "--restore", "--repo", self.repo)
        self.assertTrue(tested["ok"], tested["problems"])
        self.assertIn("last-restore-test.json", s3.objects(self.endpoint, self.prefix))
        status = self.json_ok("backup", "status", "--repo", self.repo, cache=self.deployment.tmp / "cache-b")
        self.assertEqual("ok", status["status"], status["problems"])
        self.assertEqual(self.repo, status["repository"])
        self.assertEqual(tested["rto_seconds"], status["rto_seconds"])

        # Damage the archive in the store: verify, from any host, says so.
        stored = s3.objects(self.endpoint, self.prefix)
        archive = next(k for k in stored if k.endswith(".tar.zst"))
        damaged = self.deployment.tmp / "damaged"
        damaged.write_bytes(b"\0" * stored[archive])
        s3.aws(self.endpoint, "s3", "cp", str(damaged), f"s3://{s3.BUCKET}/{self.prefix}/{archive}")
        result = self.run_cell0ctl("--format", "json", "backup", "verify", "--repo", self.repo,
                                   cache=self.deployment.tmp / "cache-c")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertFalse(json.loads(result.stdout)["ok"])

    def test_prune_removes_snapshots_from_the_store(self) -> None:
        ids = [self.backup("--kind", "full")["id"] for _ in range(3)]
        plan = self.json_ok("backup", "prune", "--keep-last", "1", "--repo", self.repo)
        self.assertEqual(2, plan["removed"])
        self.assertEqual(7, len(s3.objects(self.endpoint, self.prefix)))  # a dry run removes nothing
        # What an upload killed before its manifest leaves: removed by prune, under the lock.
        s3.aws(self.endpoint, "s3", "cp", "/etc/hostname", f"s3://{s3.BUCKET}/{self.prefix}/snapshots/0dead000.tar.zst")
        self.json_ok("backup", "prune", "--keep-last", "1", "--apply", "--repo", self.repo)
        self.assertEqual({"cell0ctl-repository.json", f"snapshots/{ids[2]}.tar.zst", f"snapshots/{ids[2]}.json"},
                         set(s3.objects(self.endpoint, self.prefix)))
        listed = self.json_ok("backup", "list", "--repo", self.repo, cache=self.deployment.tmp / "cache-b")
        self.assertEqual([ids[2]], [s["id"] for s in listed])

    def test_a_prefix_that_is_not_a_repository_is_refused(self) -> None:
        result = self.run_cell0ctl("backup", "list", "--repo", self.repo)
        self.assertEqual(2, result.returncode)
        self.assertIn("is not a cell0ctl backup repository", result.stderr)
        s3.aws(self.endpoint, "s3", "cp", "/etc/hostname", f"s3://{s3.BUCKET}/{self.prefix}/someone-else.txt")
        result = self.run_cell0ctl("backup", "--repo", self.repo)
        self.assertEqual(2, result.returncode)
        self.assertIn("neither empty nor a cell0ctl backup repository", result.stderr)
        self.assertEqual({"someone-else.txt"}, set(s3.objects(self.endpoint, self.prefix)))

    def test_credentials_are_required_and_never_shown(self) -> None:
        result = self.run_cell0ctl("backup", "--repo", self.repo,
                                   env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
        self.assertEqual(64, result.returncode, result.stderr)
        self.assertIn("AWS_ACCESS_KEY_ID", result.stderr)
        secret = "wJalrXUtnFEMI-do-not-print-me"
        result = self.run_cell0ctl("-vv", "backup", "--repo", self.repo,
                                   env={"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": secret})
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertNotIn(secret, result.stdout + result.stderr)

    def test_the_endpoint_option_wins_over_the_environment(self) -> None:
        result = self.run_cell0ctl("backup", "--repo", self.repo, "--s3-endpoint", self.endpoint,
                                   endpoint="http://127.0.0.1:9")
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(1, len([k for k in s3.objects(self.endpoint, self.prefix) if k.endswith(".json")
                                 and k.startswith("snapshots/")]))

    def test_the_endpoint_and_region_come_from_the_configuration(self) -> None:
        self.deployment.settings["s3"] = {"endpoint": self.endpoint, "region": "eu-west-1"}
        result = self.run_cell0ctl("backup", "--repo", self.repo, endpoint="http://127.0.0.1:9")
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn("cell0ctl-repository.json", s3.objects(self.endpoint, self.prefix))


class CopyTest(S3Case):
    """`backup copy --to REPO`: off-site copies, both ways."""

    def test_copy_to_s3_and_back_restores_the_same_tree(self) -> None:
        local = self.deployment.tmp / "local"
        home = self.deployment.home
        ids = []
        for step in range(3):
            (home / f"runtime/step-{step}.json").write_text(json.dumps({"step": step}))
            ids.append(self.json_ok("backup", "--repo", str(local))["snapshot"]["id"])
        copied = self.json_ok("backup", "copy", "--repo", str(local), "--to", self.repo)
        self.assertEqual(ids, copied["copied"])
        again = self.json_ok("backup", "copy", "--repo", str(local), "--to", self.repo)
        self.assertEqual([], again["copied"])
        self.assertEqual(ids, again["present"])

        back = self.deployment.tmp / "back"
        self.json_ok("backup", "copy", ids[2], "--repo", self.repo, "--to", str(back),
                     cache=self.deployment.tmp / "cache-b")
        # The differential came with the full it builds on, and nothing else.
        listed = self.json_ok("backup", "list", "--repo", str(back))
        self.assertEqual([ids[0], ids[2]], [s["id"] for s in listed])
        restored = self.deployment.tmp / "restored"
        self.ok("restore", "--repo", str(back), "--to", str(restored))
        self.assertEqual(tree(home), tree(restored / "cell0"))

    def test_a_damaged_archive_is_not_copied(self) -> None:
        local = self.deployment.tmp / "local"
        snapshot = self.json_ok("backup", "--repo", str(local))["snapshot"]
        archive = local / "snapshots" / f"{snapshot['id']}.tar.zst"
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        archive.write_bytes(bytes(data))
        result = self.run_cell0ctl("backup", "copy", "--repo", str(local), "--to", self.repo)
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("does not match the SHA-256", result.stderr)
        self.assertNotIn(f"snapshots/{snapshot['id']}.json", s3.objects(self.endpoint, self.prefix))


if __name__ == "__main__":
    unittest.main()
