#!/usr/bin/env python3
"""Benchmark of `cell0ctl backup`, `backup verify` and `restore`, run on demand, never in the suite.

    python3 tests/bench/bench_backup.py [--size-mb 1024] [--cell0ctl PATH] [--runs 3] [--keep]
                                        (from the source root, after a build)

It generates, deterministically from --seed, a Cell 0-like home of about --size-mb MB in a
temporary folder: a ~/.cell0 laid out as Cell 0 writes it (shared/reference/cell0-os.md §2), with
20k small JSON/Markdown files (sessions, workspaces, cron jobs, library; scaled with the size),
real SQLite databases (~30 %: audit.db, continuity.db, state.db; rows of text and blobs),
vector files (runtime/memory/<slug>.vec, JSON arrays of entries with float32 embeddings, as Cell 0
writes them; ~30 %) and JSONL/text logs (~24 %). Text is random words from a fixed vocabulary
with some random bytes mixed in, so it compresses like real data (zstd -3: about 2.5x).

Then it measures, in the same run, each figure against its anchor (issue #3, "Performance"):
  1. full backup: `cell0ctl backup` vs `tar -cf - | zstd -3 -T0` vs `restic backup` (restic 0.14,
     repository initialised untimed), each --runs times into a fresh repository, interleaved;
     medians. Targets: cell0ctl/tar+zstd <= 1.25, cell0ctl/restic < 1.
  2. day-2 change: 2.5 % of the SQLite pages rewritten in place (UPDATEs of random rows, same
     sizes), the logs appended to, 1 % of the small files rewritten; then `cell0ctl backup`
     (auto: a differential) and `restic backup`; bytes each stores. Target cell0ctl <= 15 MB.
  3. `cell0ctl backup verify` of the full: seconds per GB of data. Target <= 1.5 s/GB.
  4. restore of the latest (full + differential) with `cell0ctl restore --to DIR` vs
     `restic restore latest --target DIR`, --runs times each, interleaved. Target ratio <= 1.
  5. peak memory (/usr/bin/time -v, maximum resident set size) of every cell0ctl run: backup,
     verify, restore. Target <= 64 MB each.
It prints the machine, a table of figures (wall time, CPU time = user + system, peak RSS) and
PASS/MISS per target, and exits 0 whatever the figures (a measurement, not a test; exit 1 only
when it cannot measure). The page cache is warm for every tool alike (the data is read once
before the timed runs). On a shared machine, compare the CPU-time ratios too: wall-time ratios
of multi-threaded tools move with the other load (the load average is printed with each run).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.deployment import CELL0CTL, VECTOR_SLUGS, free_port  # noqa: E402

MB = 1_000_000
GB = 1_000_000_000
MiB = 1 << 20
PAGE = 4096

# Shares of the data, by kind (the rest: a handful of config and identity files).
SHARE_SQLITE = 0.30
SHARE_SMALL = 0.16
SHARE_LOGS = 0.24
SHARE_VECTORS = 0.30
SMALL_FILES_AT_1GB = 20_000


# --- deterministic content --------------------------------------------------------------------


class Content:
    """Text of random words from a fixed vocabulary, some random bytes, floats; all seeded."""

    LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
    WEIGHTS = [12, 9, 8, 8, 7, 7, 6, 6, 4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        vocabulary = random.Random(seed ^ 0x5EED)
        self.words = ["".join(vocabulary.choices(self.LETTERS, self.WEIGHTS,
                                                 k=vocabulary.choice([2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 11])))
                      for _ in range(8000)]

    def text(self, size: int) -> str:
        """About `size` characters of words (exactly `size` when size > 0)."""
        if size <= 0:
            return ""
        out = " ".join(self.r.choices(self.words, k=size // 5 + 2))
        while len(out) < size:
            out += " " + " ".join(self.r.choices(self.words, k=size // 5 + 2))
        return out[:size]

    def hex(self, nbytes: int) -> str:
        return self.r.randbytes(nbytes).hex()

    def blob(self, size: int) -> bytes:
        return self.r.randbytes(size)

    def floats(self, n: int) -> str:
        rand = self.r.random
        return ",".join(["%.6f" % (rand() * 2.0 - 1.0) for _ in range(n)])

    def iso(self, base: float = 1_764_000_000.0) -> str:
        t = base + self.r.random() * 86_400 * 90
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{self.r.randrange(1000):03d}Z"

    def size_lognormal(self, mean: float, cap: int) -> int:
        # mean of lognormvariate(mu, 1) is exp(mu + 0.5)
        import math
        return max(200, min(cap, int(self.r.lognormvariate(math.log(mean) - 0.5, 1.0))))


# --- the home -----------------------------------------------------------------------------------


@dataclass
class Home:
    root: Path  # the user's HOME
    cell0: Path  # ~/.cell0
    small_files: list[Path] = field(default_factory=list)
    databases: list[Path] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    bytes_by_kind: dict[str, int] = field(default_factory=dict)


def write(path: Path, data: str | bytes, mode: int = 0o600) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    os.chmod(path, mode)
    return len(data)


def session_json(c: Content, size: int) -> str:
    history = []
    used = 300
    while used < size:
        n = min(size - used, c.r.randrange(80, 1600))
        history.append({"id": str(uuid.UUID(int=c.r.getrandbits(128))),
                        "role": c.r.choice(["user", "assistant", "assistant", "tool", "system"]),
                        "content": c.text(n), "channel": c.r.choice(["signal", "web", "cli"]),
                        "timestamp": c.iso()})
        used += n + 130
    return json.dumps({"id": str(uuid.UUID(int=c.r.getrandbits(128))), "type": "main",
                       "agentId": "default", "createdAt": c.iso(), "updatedAt": c.iso(),
                       "history": history, "metadata": {"turns": len(history)}}, indent=2)


def markdown(c: Content, size: int) -> str:
    parts = [f"# {c.text(30)}\n"]
    used = 32
    while used < size:
        n = min(size - used, c.r.randrange(200, 1400))
        parts.append(f"\n## {c.text(24)}\n\n{c.text(n)}\n")
        used += n + 30
    return "".join(parts)


def data_json(c: Content, size: int) -> str:
    """JSON with words and ~15 % random bytes (hex: keys, hashes, ids)."""
    items = []
    used = 50
    while used < size:
        n = min(size - used, c.r.randrange(100, 900))
        items.append({"key": c.hex(8), "updated": c.iso(), "value": c.text(int(n * 0.8)),
                      "digest": c.hex(max(4, int(n * 0.2) // 2))})
        used += n + 60
    return json.dumps({"version": 3, "items": items}, indent=1)


def generate_small_files(home: Home, c: Content, count: int, budget: int) -> None:
    cell0 = home.cell0
    mean = budget / count
    total = 0
    for i in range(count):
        size = c.size_lognormal(mean, 512 * 1024)
        bucket = c.r.random()
        slug = VECTOR_SLUGS[i % len(VECTOR_SLUGS)]
        if bucket < 0.25:
            path = cell0 / "runtime/sessions" / f"{uuid.UUID(int=c.r.getrandbits(128))}.json"
            body = session_json(c, size)
        elif bucket < 0.27:
            path = cell0 / "runtime/cron" / f"{uuid.UUID(int=c.r.getrandbits(128))}.job"
            body = json.dumps({"id": c.hex(16), "schedule": "0 * * * *", "task": c.text(min(size, 2000))})
        elif bucket < 0.32:
            path = cell0 / f"library/categories/{slug}/specialists/{c.hex(6)}.json"
            body = data_json(c, size)
        elif bucket < 0.33:
            path = cell0 / f"kernel/policies/{c.hex(6)}.json"
            body = data_json(c, min(size, 8000))
        else:
            project = f"project-{c.r.randrange(40):02d}"
            sub = c.r.choice(["notes", "data", "drafts", "skills", "agents"])
            if c.r.random() < 0.55:
                path = cell0 / f"workspaces/{slug}/{project}/{sub}/{c.hex(5)}.md"
                body = markdown(c, size)
            else:
                path = cell0 / f"workspaces/{slug}/{project}/{sub}/{c.hex(5)}.json"
                body = data_json(c, size)
        total += write(path, body)
        home.small_files.append(path)
    home.bytes_by_kind["small files"] = total


def fill_database(path: Path, c: Content, budget: int, schema: str, insert: str, row) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.executescript(schema)
    while True:
        connection.executemany(insert, (row(c) for _ in range(500)))
        connection.commit()
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        if pages * PAGE >= budget:
            break
    connection.close()  # the last connection checkpoints and removes the -wal
    os.chmod(path, 0o600)


def audit_row(c: Content) -> tuple:
    details = json.dumps({"args": c.text(c.r.randrange(120, 900)), "cwd": "/srv/cell0",
                          "result": c.text(c.r.randrange(0, 300))})
    return (c.hex(8), c.iso(), c.r.choice(["shell", "read_file", "web_search", "write_file", "signal"]),
            c.r.choice(["default", "planner", "coder"]),
            c.r.choice(["ALLOW", "DENY", "START", "END", "ERROR"]), str(uuid.UUID(int=c.r.getrandbits(128))),
            c.hex(8), "operator", c.r.randrange(1, 90_000),
            c.text(c.r.randrange(20, 120)) if c.r.random() < 0.1 else None, details, c.iso())


def checkpoint_row(c: Content) -> tuple:
    text = c.text(c.r.randrange(300, 1800)).encode()
    noise = c.blob(c.r.randrange(64, 700))  # compressed or encrypted parts of a state
    return (str(uuid.UUID(int=c.r.getrandbits(128))), c.iso(), c.r.randrange(1, 500), text + noise)


def state_row(c: Content) -> tuple:
    return (f"{c.r.choice(['goal', 'pref', 'ctx', 'tool'])}:{c.hex(10)}",
            json.dumps({"v": c.text(c.r.randrange(100, 1200))}), c.blob(c.r.randrange(16, 256)), c.iso())


DATABASES = [
    # relative path, share of the SQLite budget, schema, insert, row maker, table, updatable columns
    ("logs/audit.db", 0.45,
     "CREATE TABLE audit_events(id INTEGER PRIMARY KEY, event_hash TEXT UNIQUE, timestamp TEXT, "
     "tool_name TEXT, agent_id TEXT, action TEXT, session_id TEXT, request_id TEXT, user_id TEXT, "
     "duration_ms INTEGER, error_message TEXT, details_json TEXT, created_at TEXT);",
     "INSERT INTO audit_events(event_hash, timestamp, tool_name, agent_id, action, session_id, "
     "request_id, user_id, duration_ms, error_message, details_json, created_at) "
     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", audit_row, "audit_events", "details_json"),
    ("data/continuity.db", 0.35,
     "CREATE TABLE checkpoints(id INTEGER PRIMARY KEY, session_id TEXT, created_at TEXT, "
     "step INTEGER, state BLOB); CREATE INDEX checkpoints_session ON checkpoints(session_id);",
     "INSERT INTO checkpoints(session_id, created_at, step, state) VALUES (?,?,?,?)",
     checkpoint_row, "checkpoints", "state"),
    ("runtime/state.db", 0.20,
     "CREATE TABLE kv(id INTEGER PRIMARY KEY, key TEXT, value TEXT, embedding BLOB, updated_at TEXT);",
     "INSERT INTO kv(key, value, embedding, updated_at) VALUES (?,?,?,?)", state_row, "kv", "value"),
]


def generate_databases(home: Home, c: Content, budget: int) -> None:
    total = 0
    for relative, share, schema, insert, row, _, _ in DATABASES:
        path = home.cell0 / relative
        fill_database(path, c, int(budget * share), schema, insert, row)
        home.databases.append(path)
        total += path.stat().st_size
    home.bytes_by_kind["SQLite"] = total


def log_lines(c: Content, size: int, style: str) -> str:
    lines = []
    used = 0
    while used < size:
        if style == "ethics":
            line = json.dumps({"timestamp": c.iso(), "action": c.r.choice(["allow", "deny", "review"]),
                               "agent": "default", "reason": c.text(c.r.randrange(40, 400)),
                               "hash": c.hex(16)})
        elif style == "node":
            line = (f"[{c.iso()}] [{c.r.choice(['INFO', 'INFO', 'WARN', 'DEBUG', 'ERROR'])}] "
                    f"{c.text(c.r.randrange(30, 300))} "
                    + json.dumps({"session": c.hex(8), "ms": c.r.randrange(1, 5000)}))
        else:
            line = json.dumps({"timestamp": c.iso(), "level": c.r.choice(["INFO", "INFO", "WARNING", "DEBUG"]),
                               "logger": "cell0.daemon", "message": c.text(c.r.randrange(40, 500)),
                               "environment": "production", "hostname": "cell0", "pid": 4242,
                               "trace_id": c.hex(16)})
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines) + "\n"


LOGS = [("runtime/ethics-log.jsonl", 0.30, "ethics"), ("runtime/logs/cell0.log", 0.20, "node"),
        ("logs/cell0d.log", 0.25, "daemon"), ("logs/cell0d.log.1", 0.25, "daemon")]


def generate_logs(home: Home, c: Content, budget: int) -> None:
    total = 0
    for relative, share, style in LOGS:
        path = home.cell0 / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as out:
            remaining = int(budget * share)
            while remaining > 0:
                chunk = log_lines(c, min(remaining, 4 * MiB), style)
                out.write(chunk)
                remaining -= len(chunk)
        os.chmod(path, 0o600)
        total += path.stat().st_size
        if not relative.endswith(".1"):
            home.logs.append(path)
    home.bytes_by_kind["logs"] = total


def generate_vectors(home: Home, c: Content, budget: int) -> None:
    """One .vec per category: a JSON array of {id, text, timestamp, metadata, embedding}, the
    embeddings 384 float32 values written as Cell 0 writes them (JSON numbers)."""
    weights = [c.r.uniform(0.3, 2.0) for _ in VECTOR_SLUGS]
    total = 0
    for slug, weight in zip(VECTOR_SLUGS, weights):
        target = int(budget * weight / sum(weights))
        path = home.cell0 / f"runtime/memory/{slug}.vec"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as out:
            out.write("[")
            written = 1
            first = True
            while written < target:
                entry = ('{"id": "%s", "text": %s, "timestamp": "%s", "metadata": {"source": "%s"}, '
                         '"embedding": [%s]}' % (c.hex(8), json.dumps(c.text(c.r.randrange(80, 600))),
                                                 c.iso(), c.r.choice(["chat", "signal", "web"]),
                                                 c.floats(384)))
                out.write(("" if first else ",\n") + entry)
                written += len(entry) + 2
                first = False
            out.write("]")
        os.chmod(path, 0o600)
        total += path.stat().st_size
    home.bytes_by_kind["vectors"] = total


def generate_home(work: Path, size_mb: int, seed: int) -> Home:
    c = Content(seed)
    root = work / "home"
    home = Home(root=root, cell0=root / ".cell0")
    home.cell0.mkdir(parents=True)
    os.chmod(home.cell0, 0o700)
    total = size_mb * MB
    other = 0
    other += write(home.cell0 / "cell0.json", json.dumps({
        "agent": {"provider": "ollama", "model": "ollama/llama3.2:3b"},
        "gateway": {"port": 18789, "bind": "loopback", "auth": {"mode": "token", "token": c.hex(24)}},
        "channels": {"signal": {"enabled": True, "dmPolicy": "pairing"}},
        "meta": {"version": "1.2.0", "lastModified": "2026-11-25T08:13:24.818Z"}}, indent=2) + "\n")
    other += write(home.cell0 / "config.json", json.dumps({"environment": "production", "port": 18800}))
    other += write(home.cell0 / "identity/identity.json", json.dumps({"uuid": f"cell0-{c.hex(4)}",
                                                                      "version": "1.2.0"}))
    other += write(home.cell0 / "identity/soul.json", json.dumps({"name": "Cell 0", "tone": c.text(120)}))
    other += write(home.cell0 / "identity/user.json", json.dumps({"name": "operator"}))
    other += write(home.cell0 / "identity/keys/node.key", c.blob(64))
    other += write(home.cell0 / "credentials/signal/creds.json", json.dumps({"number": "+10000000000",
                                                                             "key": c.hex(32)}))
    other += write(home.cell0 / "tpv_store.enc", c.blob(24_000))
    other += write(home.cell0 / "runtime/goals.json", json.dumps([{"goal": c.text(80)} for _ in range(20)]))
    other += write(home.cell0 / "library/manifest.json", json.dumps({s: {"specialists": []} for s in VECTOR_SLUGS}))
    home.bytes_by_kind["config, identity"] = other
    small = max(50, round(SMALL_FILES_AT_1GB * size_mb / 1024))
    print(f"  small files ({small})...", flush=True)
    generate_small_files(home, c, small, int(total * SHARE_SMALL))
    print("  SQLite databases...", flush=True)
    generate_databases(home, c, int(total * SHARE_SQLITE))
    print("  logs...", flush=True)
    generate_logs(home, c, int(total * SHARE_LOGS))
    print("  vector files...", flush=True)
    generate_vectors(home, c, int(total * SHARE_VECTORS))
    for directory in ("runtime", "runtime/sessions", "runtime/memory", "identity", "credentials"):
        os.chmod(home.cell0 / directory, 0o700)
    return home


# --- the day-2 change ---------------------------------------------------------------------------


def block_digests(path: Path) -> list[int]:
    import hashlib
    digests = []
    with path.open("rb") as f:
        while block := f.read(PAGE):
            digests.append(hash(hashlib.blake2b(block, digest_size=8).digest()))
    return digests


def day_two(home: Home, seed: int, size_mb: int) -> dict[str, str]:
    """2.5 % of SQLite pages rewritten in place, logs appended to, 1 % of small files changed."""
    c = Content(seed + 1)
    facts: dict[str, str] = {}
    changed_pages = total_pages = 0
    for (relative, _, _, _, _, table, column), path in zip(DATABASES, home.databases):
        before = block_digests(path)
        connection = sqlite3.connect(path)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        low, high = connection.execute(f"SELECT min(id), max(id) FROM {table}").fetchone()
        # One row per page chosen: rows are ~1 KB, so random ids spread over the whole file;
        # the value keeps its size and type, so the row is rewritten in place in its page.
        ids = c.r.sample(range(low, high + 1), k=round(pages * 0.025))
        for rid in ids:
            (value,) = connection.execute(f"SELECT {column} FROM {table} WHERE id = ?", (rid,)).fetchone()
            if isinstance(value, bytes):
                new: str | bytes = c.text(len(value) // 2).encode() + c.blob(len(value) - len(value) // 2)
            else:
                new = c.text(len(value))
            connection.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (new, rid))
        connection.commit()
        connection.close()
        after = block_digests(path)
        changed = sum(1 for a, b in zip(before, after) if a != b) + abs(len(after) - len(before))
        changed_pages += changed
        total_pages += len(after)
    facts["SQLite pages rewritten"] = (f"{changed_pages} of {total_pages} 4 KiB pages "
                                       f"({100 * changed_pages / total_pages:.2f} %)")
    appended = 0
    per_log = max(4096, size_mb * MB // 500 // len(home.logs))  # 0.2 % of the data, in all
    for path, (_, _, style) in zip(home.logs, [entry for entry in LOGS if not entry[0].endswith(".1")]):
        chunk = log_lines(c, per_log, style)
        with path.open("a") as out:
            out.write(chunk)
        appended += len(chunk)
    facts["logs appended"] = f"{appended / MB:.2f} MB to {len(home.logs)} logs"
    changed = c.r.sample(home.small_files, k=max(1, len(home.small_files) // 100))
    rewritten = 0
    for path in changed:
        size = path.stat().st_size
        body = markdown(c, size) if path.suffix == ".md" else data_json(c, size)
        rewritten += write(path, body)
    facts["small files rewritten"] = f"{len(changed)} files, {rewritten / MB:.2f} MB"
    return facts


# --- running and measuring ---------------------------------------------------------------------


@dataclass
class Run:
    seconds: float  # wall
    cpu: float  # user + system, the process and its children
    rss_kb: int  # maximum resident set size
    stdout: str


def run(argv: list[str], env: dict[str, str], shell: bool = False) -> Run:
    """Runs argv (or a shell line) under /usr/bin/time -v; raises if it fails."""
    handle, time_file = tempfile.mkstemp(suffix=".time")
    os.close(handle)
    command = ["/usr/bin/time", "-v", "-o", time_file, *(["sh", "-c", argv[0]] if shell else argv)]
    start = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    report = Path(time_file).read_text()
    os.unlink(time_file)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}:\n{result.stderr[-3000:]}"
                           f"\n{result.stdout[-2000:]}")

    def field(name: str) -> float:
        found = re.search(rf"{re.escape(name)}: ([0-9.]+)", report)
        return float(found.group(1)) if found else 0.0

    return Run(seconds, field("User time (seconds)") + field("System time (seconds)"),
               int(field("Maximum resident set size (kbytes)")), result.stdout)


def du_bytes(path: Path) -> int:
    return int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True,
                              check=True).stdout.split()[0])


def tree_summary(root: Path) -> tuple[int, int]:
    """Regular files and their bytes below root, SQLite databases aside (a copy through the
    backup API is equal in content, not necessarily in bytes)."""
    files = size = 0
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                files += 1
                if not name.endswith(".db"):
                    size += os.path.getsize(path)
    return files, size


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return f"nproc {os.cpu_count()}, CPU {model}, RAM {memory}"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the generated home (MB)")
    parser.add_argument("--cell0ctl", default=CELL0CTL, help="the binary (default: build/cli/cell0ctl)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each backup and restore")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--workdir", default=None, help="parent of the temporary folder ($TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    binary = os.path.abspath(args.cell0ctl)
    missing = [tool for tool in ("restic", "zstd", "tar", "du") if not shutil.which(tool)]
    if not os.access(binary, os.X_OK):
        missing.append(binary)
    if not os.access("/usr/bin/time", os.X_OK):
        missing.append("/usr/bin/time (apt-get install time)")
    if missing:
        print(f"missing: {', '.join(missing)}", file=sys.stderr)
        return 1

    work = Path(tempfile.mkdtemp(prefix="cell0ctl-bench-", dir=args.workdir))
    try:
        return measure(args, binary, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, binary: str, work: Path) -> int:
    print(f"machine: {machine()}; load average at start {loadavg()}")
    print(f"binary: {binary} ({version([binary, '--version'])}); {version(['restic', 'version'])}; "
          f"{version(['zstd', '--version'])}; {version(['tar', '--version'])}")
    root = Path(__file__).resolve().parents[2]
    revision = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    print(f"source: {root} at {revision}{' with uncommitted changes' if dirty else ''}; work folder: {work}")
    started = time.monotonic()
    print(f"generating a ~{args.size_mb} MB Cell 0 home (seed {args.seed})...", flush=True)
    home = generate_home(work, args.size_mb, args.seed)
    files, _ = tree_summary(home.cell0)
    data = du_bytes(home.cell0)
    kinds = ", ".join(f"{kind} {size / MB:.0f} MB" for kind, size in home.bytes_by_kind.items())
    print(f"home: {files} files, {data / MB:.0f} MB ({kinds}); generated in "
          f"{time.monotonic() - started:.0f} s")

    # cell0ctl as the end-to-end tests run it: its own config (endpoints on ports nothing
    # listens on, so the Ollama model list is a quick miss), the home given explicitly.
    config = work / "cell0ctl.yaml"
    config.write_text(json.dumps({
        "endpoints": {name: f"http://127.0.0.1:{free_port()}"
                      for name in ("gateway", "portal", "cell0d", "websocket", "metrics", "ollama", "signal")},
        "checks": {"resources.disk": {"warn_below": "100MiB", "fail_below": "10MiB"}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELL0", "OLLAMA_HOST", "RESTIC"))}
    env.update(HOME=str(home.root), NO_COLOR="1", RESTIC_PASSWORD="bench-password",
               RESTIC_CACHE_DIR=str(work / "restic-cache"), XDG_CACHE_HOME=str(work / "cache"))
    cell0ctl = [binary, "--config", str(config), "--cell0-home", str(home.cell0), "--format", "json"]
    restic = ["restic", "-q", "-r"]

    # Warm the page cache for every tool alike (GNU tar skips reading when writing to /dev/null).
    subprocess.run(f"tar -cf - -C {home.root} .cell0 | cat > /dev/null", shell=True, check=True)

    runs: dict[str, list[Run]] = {}

    def note(name: str, made: Run, index: int | None = None) -> Run:
        runs.setdefault(name, []).append(made)
        label = f"run {index + 1} " if index is not None else ""
        print(f"  {label}{name}: {made.seconds:.2f} s wall, {made.cpu:.2f} s CPU, "
              f"{made.rss_kb / 1024:.0f} MiB (load {loadavg()})", flush=True)
        return made

    # 1. full backups, interleaved in a rotating order, each into a fresh repository.
    print(f"full backups, {args.runs} runs each...", flush=True)
    sizes: dict[str, int] = {}
    cell0_repo = restic_repo = Path()
    full: dict = {}
    for i in range(args.runs):
        order = ["tar+zstd", "cell0ctl", "restic"]
        for tool in order[i % 3:] + order[:i % 3]:
            if tool == "tar+zstd":
                out = work / "full.tar.zst"
                out.unlink(missing_ok=True)
                note("tar | zstd -3 -T0", run([f"tar -cf - -C {home.root} .cell0 | zstd -3 -T0 -q > {out}"],
                                               env, shell=True), i)
                sizes["tar+zstd"] = out.stat().st_size
            elif tool == "cell0ctl":
                if cell0_repo != Path():
                    shutil.rmtree(cell0_repo)
                cell0_repo = work / f"cell0ctl-repo-{i}"
                made = note("cell0ctl backup (full)", run([*cell0ctl, "backup", "--repo", str(cell0_repo)], env), i)
                full = json.loads(made.stdout)
                sizes["cell0ctl"] = du_bytes(cell0_repo)
            else:
                if restic_repo != Path():
                    shutil.rmtree(restic_repo)
                restic_repo = work / f"restic-repo-{i}"
                subprocess.run([*restic, str(restic_repo), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
                note("restic backup (full)", run([*restic, str(restic_repo), "backup", str(home.cell0)], env), i)
                sizes["restic"] = du_bytes(restic_repo)
    (work / "full.tar.zst").unlink(missing_ok=True)
    full_id = full["snapshot"]["id"]
    data_bytes = full["snapshot"]["data_bytes"]

    # 3. verify of the full.
    print(f"verify of the full, {args.runs} runs...", flush=True)
    verified: dict = {}
    for i in range(args.runs):
        made = note("cell0ctl backup verify (full)",
                    run([*cell0ctl, "backup", "verify", "--repo", str(cell0_repo), full_id], env), i)
        verified = json.loads(made.stdout)
        if not verified.get("ok"):
            raise RuntimeError(f"verify failed: {made.stdout}")
    verified_bytes = verified.get("bytes") or data_bytes

    # 2. the day-2 change and the differential.
    print("day-2 change...", flush=True)
    for name, fact in day_two(home, args.seed, args.size_mb).items():
        print(f"  {name}: {fact}")
    before_cell0, before_restic = du_bytes(cell0_repo), du_bytes(restic_repo)
    known = set((cell0_repo / "snapshots").iterdir())
    made = note("cell0ctl backup (day 2)", run([*cell0ctl, "backup", "--repo", str(cell0_repo)], env))
    diff = json.loads(made.stdout)
    new_files = {p.name: p.stat().st_size for p in set((cell0_repo / "snapshots").iterdir()) - known}
    note("restic backup (day 2)", run([*restic, str(restic_repo), "backup", str(home.cell0)], env))
    diff_growth = du_bytes(cell0_repo) - before_cell0
    restic_growth = du_bytes(restic_repo) - before_restic
    note("cell0ctl backup verify (day 2, latest)",
         run([*cell0ctl, "backup", "verify", "--repo", str(cell0_repo), "latest"], env))

    # 4. restores of the latest, interleaved. Every run gets a new folder, all removed at the
    # end: on ext4 without a journal, creating files right after deleting thousands is slowed
    # by the inode allocator skipping recently deleted inodes (recently_deleted()).
    print(f"restores of the latest, {args.runs} runs each...", flush=True)
    expected = tree_summary(home.cell0)
    check_seconds = []
    for i in range(args.runs):
        for tool in (["cell0ctl", "restic"] if i % 2 == 0 else ["restic", "cell0ctl"]):
            target = work / f"restored-{tool}-{i}"
            if tool == "cell0ctl":
                made = note("cell0ctl restore (full + day 2)",
                            run([*cell0ctl, "restore", "--repo", str(cell0_repo), "--to", str(target), "latest"],
                                env), i)
                got = tree_summary(target / "cell0")
                restored = json.loads(made.stdout)
                check_seconds.append(made.seconds - restored.get("duration_ms", 0) / 1000)
                failing = [c["id"] for c in restored.get("checks", []) if c["status"] == "fail"]
            else:
                made = note("restic restore",
                            run([*restic, str(restic_repo), "restore", "latest", "--target", str(target)], env), i)
                got = tree_summary(target / str(home.cell0).lstrip("/"))
                failing = []
            if got != expected or failing:
                print(f"  WARNING: {tool} restored {got} (files, non-db bytes), expected {expected}"
                      f"{'; failing checks ' + ', '.join(failing) if failing else ''}")
    for target in work.glob("restored-*"):
        shutil.rmtree(target, ignore_errors=True)

    # --- the table --------------------------------------------------------------------------
    def med(name: str, what: str = "seconds") -> float:
        return median([getattr(r, what) for r in runs[name]])

    def spread(name: str) -> str:
        values = [r.seconds for r in runs[name]]
        return f"{min(values):.2f}-{max(values):.2f} s" if len(values) > 1 else ""

    print()
    print(f"== cell0ctl backup benchmark: {data / MB:.0f} MB home, {files} files; snapshot data "
          f"{data_bytes / MB:.0f} MB; medians of {args.runs} runs ==")
    print(f"{'measurement':40} {'wall':>8} {'CPU':>8} {'peak RSS':>10}  note")
    notes = {
        "tar | zstd -3 -T0": f"{spread('tar | zstd -3 -T0')}, output {sizes['tar+zstd'] / MB:.0f} MB",
        "cell0ctl backup (full)": f"{spread('cell0ctl backup (full)')}, repo {sizes['cell0ctl'] / MB:.0f} MB",
        "restic backup (full)": f"{spread('restic backup (full)')}, repo {sizes['restic'] / MB:.0f} MB",
        "cell0ctl backup verify (full)": f"{spread('cell0ctl backup verify (full)')}, "
                                         f"{verified_bytes / MB:.0f} MB verified",
        "cell0ctl backup (day 2)": f"{diff['snapshot']['kind']}; " + ", ".join(
            f"{k} {v}" for k, v in diff["stored"].items()),
        "cell0ctl restore (full + day 2)": f"{spread('cell0ctl restore (full + day 2)')}; of which "
                                           f"post-restore checks {median(check_seconds):.2f} s",
        "restic restore": spread("restic restore"),
    }
    for name in runs:
        print(f"{name:40} {med(name):7.2f}s {med(name, 'cpu'):7.2f}s "
              f"{max(r.rss_kb for r in runs[name]) / 1024:7.1f}MiB  {notes.get(name, '')}")
    stored = diff["snapshot"]["stored_bytes"]
    print(f"day-2 stored by cell0ctl: stored_bytes {stored / MB:.2f} MB, repo grew {diff_growth / MB:.2f} MB "
          f"(new: {', '.join(f'{n} {s / MB:.2f} MB' for n, s in sorted(new_files.items()))})")
    print(f"day-2 stored by restic:   repo grew {restic_growth / MB:.2f} MB")
    print()

    c_full, t_full, r_full = (med(n) for n in ("cell0ctl backup (full)", "tar | zstd -3 -T0",
                                                "restic backup (full)"))
    c_cpu, t_cpu, r_cpu = (med(n, "cpu") for n in ("cell0ctl backup (full)", "tar | zstd -3 -T0",
                                                   "restic backup (full)"))
    c_rest, r_rest = med("cell0ctl restore (full + day 2)"), med("restic restore")
    per_gb = med("cell0ctl backup verify (full)") / (verified_bytes / GB)
    verdict = {True: "PASS", False: "MISS"}
    targets = [
        (f"full backup cell0ctl / tar+zstd = {c_full / t_full:.2f} (CPU time {c_cpu / t_cpu:.2f})", "<= 1.25",
         c_full / t_full <= 1.25),
        (f"full backup cell0ctl / restic   = {c_full / r_full:.2f} (CPU time {c_cpu / r_cpu:.2f})", "< 1",
         c_full / r_full < 1),
        (f"day-2 stored by cell0ctl        = {stored / MB:.2f} MB (restic {restic_growth / MB:.1f} MB)",
         "<= 15 MB", stored <= 15 * MB),
        (f"verify                          = {per_gb:.2f} s/GB", "<= 1.5 s/GB", per_gb <= 1.5),
        (f"restore cell0ctl / restic       = {c_rest / r_rest:.2f}", "<= 1", c_rest <= r_rest),
    ]
    for name in ("cell0ctl backup (full)", "cell0ctl backup (day 2)", "cell0ctl backup verify (full)",
                 "cell0ctl backup verify (day 2, latest)", "cell0ctl restore (full + day 2)"):
        peak = max(r.rss_kb for r in runs[name]) * 1024
        targets.append((f"peak RSS {name[9:]:30} = {peak / MiB:.1f} MiB", "<= 64 MB (61.0 MiB)", peak <= 64 * MB))
    print("targets (issue #3):")
    for name, target, ok in targets:
        print(f"  {verdict[ok]}  {name:68} target {target}")
    print(f"load average at end {loadavg()}; total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
