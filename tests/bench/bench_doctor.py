#!/usr/bin/env python3
"""Benchmark of `cell0ctl --version` and `cell0ctl doctor`, run on demand, never in the suite.

    python3 tests/bench/bench_doctor.py [--runs N]      (from the source root, after a build)

It starts the healthy stand-in deployment of the end-to-end tests and times with hyperfine,
in the same run, each measurement and its anchor:
  - `cell0ctl --version` against `true` (the cost of starting any process);
  - `cell0ctl doctor` on the healthy deployment against one `curl` of the gateway's
    /api/health (the cost of a single probe; doctor makes 39 checks, a dozen of them HTTP);
  - `cell0ctl doctor --timeout 2s` with cell0d black-holed (accepts, never answers), whose
    wall time must stay within the deadline, not a sum of timeouts.
Targets (issue #2): --version median <= 5 ms; doctor healthy median < 150 ms; black-holed
total <= 2.2 s.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.deployment import CELL0CTL, Deployment  # noqa: E402


def hyperfine(commands: dict[str, str], runs: int, env: dict[str, str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        argv = ["hyperfine", "--style", "none", "-N", "--warmup", "3", "--runs", str(runs),
                "--export-json", out.name]
        for name, command in commands.items():
            argv += ["-n", name, command]
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
        results = json.load(open(out.name))["results"]
    return {r["command"]: r["median"] * 1000 for r in results}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("hyperfine"):
        print("hyperfine is missing: apt-get install hyperfine", file=sys.stderr)
        return 1
    binary = os.path.abspath(CELL0CTL)
    print(f"binary: {binary}")
    version = hyperfine({"cell0ctl --version": f"{binary} --version", "true": "true"}, args.runs,
                        dict(os.environ))
    print(f"--version: median {version['cell0ctl --version']:.2f} ms; anchor `true` "
          f"{version['true']:.2f} ms; ratio {version['cell0ctl --version'] / version['true']:.2f}x "
          f"(target <= 5 ms)")

    with Deployment() as deployment:
        deployment.start_healthy()
        config = deployment.config_file()
        env = dict(os.environ, HOME=str(deployment.tmp / "home"), NO_COLOR="1")
        doctor = f"{binary} --config {config} --cell0-home {deployment.home} doctor"
        curl = f"curl -s -o /dev/null {deployment.endpoints['gateway']}/api/health"
        check = subprocess.run(doctor.split(), capture_output=True, text=True, env=env)
        print(f"healthy doctor exit status {check.returncode}: {check.stdout.strip().splitlines()[-1]}")
        healthy = hyperfine({"doctor": doctor, "curl": curl}, args.runs, env)
        print(f"doctor (healthy, 39 checks): median {healthy['doctor']:.1f} ms; anchor one curl "
              f"{healthy['curl']:.1f} ms; ratio {healthy['doctor'] / healthy['curl']:.1f}x "
              f"(target < 150 ms)")

    with Deployment() as deployment:
        deployment.start_gateway()
        deployment.start_cell0d(mode="blackhole")
        deployment.start_ollama()
        deployment.start_signal()
        config = deployment.config_file()
        env = dict(os.environ, HOME=str(deployment.tmp / "home"), NO_COLOR="1")
        argv = [binary, "--config", str(config), "--cell0-home", str(deployment.home), "doctor",
                "--timeout", "2s"]
        walls = []
        for _ in range(5):
            start = time.monotonic()
            result = subprocess.run(argv, capture_output=True, text=True, env=env)
            walls.append(time.monotonic() - start)
        unknown = [line for line in result.stdout.splitlines() if line.startswith(" ?")]
        print(f"doctor --timeout 2s, cell0d black-holed: wall max {max(walls):.3f} s, median "
              f"{sorted(walls)[2]:.3f} s over 5 runs; exit {result.returncode}; "
              f"ratio to the deadline {max(walls) / 2.0:.3f} (target total <= 2.2 s)")
        for line in unknown:
            print("   " + line.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
