#!/usr/bin/env python3
"""Benchmark of `cell0ctl validate-config`, run on demand, never in the suite.

    python3 tests/bench/bench_validate.py [--runs 10] [--size-mb 5] [--cell0ctl PATH] [--keep]
                                          (from the source root, after a build)

It times with hyperfine (--warmup 2, --runs N, medians from --export-json), in the same run,
each measurement and its anchor or competitor:
  1. `cell0ctl validate-config DIR` on all the real config and manifest fixtures of Cell 0
     (../shared/fixtures/cell0-os, or $CELL0CTL_SHARED/fixtures/cell0-os), against `true` (the
     cost of starting any process).
  2. the docker-compose fixtures (one kind, so one schema: the one `cell0ctl validate-config
     --export-schema docker-compose` prints), checked against that schema by `cell0ctl
     validate-config --schema`, by ajv-cli (draft 2020-12, ajv-formats) and by a
     check-jsonschema-like runner (python3-jsonschema's Draft202012Validator, PyYAML's C loader),
     every tool on the same files and the same schema.
  3. a generated YAML file of --size-mb MB (deterministic from --seed): a Kubernetes `kind: List`
     of Deployments like Cell 0's (shared/fixtures/cell0-os/k8s/03-deployment.yaml), checked by
     the three tools against a schema this script writes (required fields, patterns, enums,
     ranges, $defs/$ref). (A `kind: List` is no Cell 0 kind: cell0ctl's k8s-manifest schema wants
     `metadata`, so the List is not checked without --schema.)
  4. the same Deployments as one multi-document file (`---`), as Cell 0 ships manifests, checked
     by cell0ctl as a k8s-manifest and by the runner with the same schema per document (ajv-cli
     reads one YAML document per file, so it has no figure here).
ajv-cli comes from npm: tests/bench/package.json pins it; `npm ci` runs when node_modules is
missing. The runner needs a python3 with jsonschema >= 4 (Draft202012Validator) and PyYAML; the
first of this python, `python3` on PATH, ~/.pyenv/shims/python3 and /usr/bin/python3 that has
them is used.
Targets (issue #4, "Reliability and performance"): all fixtures < 100 ms total; the 5 MB file
< 1 s (with --schema and as its kind); ratios against ajv-cli and the runner are reported.
It prints the machine, the load average, a table and PASS/MISS per target, and exits 0 whatever
the figures (a measurement, not a test; exit 1 only when it cannot measure).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.deployment import CELL0CTL, FIXTURES  # noqa: E402

HERE = Path(__file__).resolve().parent
MB = 1_000_000

# --- the check-jsonschema-like runner --------------------------------------------------------

RUNNER = r'''
"""check-jsonschema-like: runner.py SCHEMA FILE...; every YAML document of every file."""
import json, sys
import yaml
from jsonschema import Draft202012Validator
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
failed = 0
for name in sys.argv[2:]:
    with open(name, "rb") as f:
        documents = list(yaml.load_all(f, Loader=Loader))
    errors = 0
    for index, document in enumerate(documents):
        for error in validator.iter_errors(document):
            errors += 1
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"{name}: document {index + 1}: /{where}: {error.message}")
    failed += errors > 0
    print(f"{name}: {'ok' if errors == 0 else f'{errors} errors'} ({len(documents)} documents)")
sys.exit(1 if failed else 0)
'''


def find_python() -> str | None:
    probe = ("import jsonschema, yaml; from jsonschema import Draft202012Validator; "
             "print(jsonschema.__version__, yaml.__version__, yaml.__with_libyaml__)")
    candidates = [sys.executable, shutil.which("python3"),
                  os.path.expanduser("~/.pyenv/shims/python3"), "/usr/bin/python3"]
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            out = subprocess.run([candidate, "-c", probe], capture_output=True, text=True)
            if out.returncode == 0:
                return candidate
    return None


def ensure_ajv() -> str | None:
    ajv = HERE / "node_modules" / ".bin" / "ajv"
    if not ajv.exists():
        if not shutil.which("npm"):
            return None
        print("npm ci in tests/bench (ajv-cli)...", flush=True)
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE,
                              stdout=subprocess.DEVNULL)
        if done.returncode != 0 or not ajv.exists():
            return None
    return str(ajv)


# --- the generated file -------------------------------------------------------------------------

COMPONENTS = ["api", "worker", "gateway", "scheduler", "memory", "signal", "ollama", "indexer"]
ENV_NAMES = ["LOG_LEVEL", "LOG_FORMAT", "WORKER_THREADS", "QUEUE_DEPTH", "CACHE_TTL", "REGION",
             "FEATURE_FLAGS", "TRACE_SAMPLE_RATE", "HTTP_TIMEOUT", "MAX_BODY_BYTES"]


def deployment(r: random.Random, index: int, indent: str) -> str:
    """One Deployment, as YAML text whose every line starts with `indent`."""
    component = r.choice(COMPONENTS)
    name = f"cell0-{component}-{index:05d}"
    replicas = r.randrange(1, 6)
    lines = [
        "apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {name}",
        "  namespace: cell0", "  labels:", f"    app.kubernetes.io/name: {name}",
        f"    app.kubernetes.io/component: {component}", "    app.kubernetes.io/part-of: cell0-os",
        '    app.kubernetes.io/version: "1.2.0"', "spec:", f"  replicas: {replicas}",
        "  strategy:", "    type: RollingUpdate", "    rollingUpdate:", "      maxSurge: 25%",
        "      maxUnavailable: 0", "  selector:", "    matchLabels:",
        f"      app.kubernetes.io/name: {name}", "  template:", "    metadata:", "      labels:",
        f"        app.kubernetes.io/name: {name}", f"        app.kubernetes.io/component: {component}",
        "      annotations:", '        prometheus.io/scrape: "true"', '        prometheus.io/port: "18802"',
        "    spec:", "      serviceAccountName: cell0", "      securityContext:",
        "        runAsNonRoot: true", "        runAsUser: 1000", "        fsGroup: 1000", "      containers:",
    ]
    for c in range(r.randrange(1, 3)):
        lines += [f"        - name: {component}-{c}",
                  f"          image: ghcr.io/cell0/{component}:1.{r.randrange(10)}.{r.randrange(20)}",
                  "          imagePullPolicy: IfNotPresent", "          ports:"]
        for p in range(r.randrange(1, 4)):
            lines += [f"            - name: port-{p}", f"              containerPort: {r.randrange(1024, 65535)}",
                      "              protocol: TCP"]
        lines.append("          env:")
        for variable in r.sample(ENV_NAMES, r.randrange(3, 8)):
            value = r.choice([str(r.randrange(100000)), f"{r.random():.4f}", "info", "json", "eu-west-1"])
            lines += [f"            - name: {variable}", f'              value: "{value}"']
        lines += ["          resources:", "            limits:", f"              cpu: {r.randrange(1, 8) * 500}m",
                  f"              memory: {r.randrange(1, 16)}Gi", "            requests:",
                  f"              cpu: {r.randrange(1, 4) * 100}m", f"              memory: {r.randrange(1, 8) * 256}Mi",
                  "          readinessProbe:", "            httpGet:", "              path: /ready",
                  "              port: port-0", f"            periodSeconds: {r.randrange(5, 30)}",
                  "          volumeMounts:", "            - name: data", "              mountPath: /app/data"]
    lines += ["      volumes:", "        - name: data", "          emptyDir: {}"]
    return "".join(f"{indent}{line}\n" for line in lines)


def generate(work: Path, size_mb: float, seed: int) -> tuple[Path, Path, int]:
    """The List file and the multi-document file, of the same Deployments."""
    r = random.Random(seed)
    documents = []
    size = 0
    while size < size_mb * MB:
        documents.append(deployment(r, len(documents), ""))
        size += len(documents[-1]) + 4
    listing = work / "deployments-list.yaml"
    with listing.open("w") as out:
        out.write("apiVersion: v1\nkind: List\nitems:\n")
        for document in documents:
            lines = document.splitlines(keepends=True)
            out.write("  - " + lines[0] + "".join("    " + line for line in lines[1:]))
    multi = work / "deployments.yaml"
    multi.write_text("---\n".join(documents))
    return listing, multi, len(documents)


NAME = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:cell0ctl:bench:deployments",
    "title": "Kubernetes Deployments of Cell 0 (a List of them, or one)",
    "oneOf": [
        {"type": "object", "required": ["apiVersion", "kind", "items"],
         "properties": {"apiVersion": {"const": "v1"}, "kind": {"const": "List"},
                        "items": {"type": "array", "items": {"$ref": "#/$defs/deployment"}}}},
        {"$ref": "#/$defs/deployment"},
    ],
    "$defs": {
        "name": {"type": "string", "pattern": NAME, "maxLength": 63},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
        "quantity": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$"},
        "deployment": {
            "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
            "properties": {
                "apiVersion": {"const": "apps/v1"}, "kind": {"const": "Deployment"},
                "metadata": {"type": "object", "required": ["name"],
                             "properties": {"name": {"$ref": "#/$defs/name"},
                                            "namespace": {"$ref": "#/$defs/name"},
                                            "labels": {"$ref": "#/$defs/labels"},
                                            "annotations": {"$ref": "#/$defs/labels"}}},
                "spec": {"type": "object", "required": ["selector", "template"], "properties": {
                    "replicas": {"type": "integer", "minimum": 0, "maximum": 1000},
                    "strategy": {"type": "object", "properties": {
                        "type": {"enum": ["RollingUpdate", "Recreate"]}}},
                    "selector": {"type": "object", "required": ["matchLabels"],
                                 "properties": {"matchLabels": {"$ref": "#/$defs/labels"}}},
                    "template": {"type": "object", "required": ["spec"], "properties": {
                        "metadata": {"type": "object", "properties": {
                            "labels": {"$ref": "#/$defs/labels"}, "annotations": {"$ref": "#/$defs/labels"}}},
                        "spec": {"type": "object", "required": ["containers"], "properties": {
                            "serviceAccountName": {"$ref": "#/$defs/name"},
                            "containers": {"type": "array", "minItems": 1,
                                           "items": {"$ref": "#/$defs/container"}},
                            "volumes": {"type": "array", "items": {
                                "type": "object", "required": ["name"],
                                "properties": {"name": {"$ref": "#/$defs/name"}}}}}}}}}},
            },
        },
        "container": {
            "type": "object", "required": ["name", "image"], "additionalProperties": False,
            "properties": {
                "name": {"$ref": "#/$defs/name"},
                "image": {"type": "string", "pattern": "^[a-z0-9./-]+(:[A-Za-z0-9._-]+)?$"},
                "imagePullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
                "ports": {"type": "array", "items": {
                    "type": "object", "required": ["containerPort"], "additionalProperties": False,
                    "properties": {"name": {"type": "string", "pattern": "^[a-z0-9-]{1,15}$"},
                                   "containerPort": {"type": "integer", "minimum": 1, "maximum": 65535},
                                   "protocol": {"enum": ["TCP", "UDP", "SCTP"]}}}},
                "env": {"type": "array", "items": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                                   "value": {"type": "string"}}}},
                "resources": {"type": "object", "properties": {
                    "limits": {"type": "object", "additionalProperties": {"$ref": "#/$defs/quantity"}},
                    "requests": {"type": "object", "additionalProperties": {"$ref": "#/$defs/quantity"}}}},
                "readinessProbe": {"type": "object"}, "livenessProbe": {"type": "object"},
                "volumeMounts": {"type": "array", "items": {
                    "type": "object", "required": ["name", "mountPath"],
                    "properties": {"name": {"$ref": "#/$defs/name"},
                                   "mountPath": {"type": "string", "pattern": "^/"}}}},
            },
        },
    },
}


# --- measuring ----------------------------------------------------------------------------------


def hyperfine(commands: dict[str, list[str]], runs: int, warmup: int) -> dict[str, float]:
    """Median wall time (ms) of each command; failing exit statuses are allowed (shown apart)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        argv = ["hyperfine", "--style", "none", "-N", "-i", "--warmup", str(warmup), "--runs", str(runs),
                "--export-json", out.name]
        for name, command in commands.items():
            argv += ["-n", name, " ".join(_quote(a) for a in command)]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        results = json.load(open(out.name))["results"]
    return {r["command"]: r["median"] * 1000 for r in results}


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'" if any(c in arg for c in " '\"\\") else arg


def once(name: str, command: list[str]) -> None:
    """Run a command once, untimed, and print its exit status and last line (or first error)."""
    out = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    problem = [line for line in lines if "error" in line.lower() or "invalid" in line.lower()]
    last = lines[-1] if lines else ""
    note = f"; first error: {problem[0][:160]}" if problem and problem[0] != last else ""
    print(f"  {name}: exit {out.returncode}: {last[:160]}{note}")


def machine() -> str:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"nproc {os.cpu_count()}, CPU {model}"


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
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    parser.add_argument("--size-mb", type=float, default=5, help="size of the generated YAML (MB)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--cell0ctl", default=CELL0CTL, help="the binary (default: build/cli/cell0ctl)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    binary = os.path.abspath(args.cell0ctl)
    if not shutil.which("hyperfine"):
        print("hyperfine is missing: apt-get install hyperfine", file=sys.stderr)
        return 1
    if not os.access(binary, os.X_OK):
        print(f"{binary} is missing: build it first", file=sys.stderr)
        return 1
    if not FIXTURES.is_dir():
        print(f"{FIXTURES} is missing: set CELL0CTL_SHARED", file=sys.stderr)
        return 1
    ajv = ensure_ajv()
    python = find_python()
    print(f"machine: {machine()}; load average at start {loadavg()}")
    print(f"cell0ctl: {binary} ({version([binary, '--version'])})")
    print(f"ajv-cli: {ajv or 'missing (npm ci failed or no npm): no figures'}")
    if python:
        versions = subprocess.run([python, "-c", "import jsonschema, yaml; print(jsonschema.__version__, "
                                   "yaml.__version__, 'libyaml' if yaml.__with_libyaml__ else 'pure')"],
                                  capture_output=True, text=True).stdout.split()
        print(f"runner: {python} (jsonschema {versions[0]}, PyYAML {versions[1]} {versions[2]})")
    else:
        print("runner: no python3 with jsonschema >= 4 and PyYAML: no figures")
    print(f"runs {args.runs}, warmup {args.warmup}; fixtures {FIXTURES}")
    work = Path(tempfile.mkdtemp(prefix="cell0ctl-bench-validate-"))
    try:
        return measure(args, binary, ajv, python, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, binary: str, ajv: str | None, python: str | None, work: Path) -> int:
    started = time.monotonic()
    runner = work / "runner.py"
    runner.write_text(RUNNER)
    ajv_options = ["--spec=draft2020", "-c", "ajv-formats", "--strict=false", "--errors=line"]
    table: list[tuple[str, str, float, str]] = []  # set, tool, median ms, note

    def tools(schema: Path, files: list[Path], with_ajv: bool = True) -> dict[str, list[str]]:
        commands = {"cell0ctl --schema": [binary, "validate-config", "--schema", str(schema)] + [str(f) for f in files]}
        if ajv and with_ajv:
            commands["ajv-cli"] = [ajv, "validate", *ajv_options, "-s", str(schema)] + \
                                  [a for f in files for a in ("-d", str(f))]
        if python:
            commands["python3-jsonschema"] = [python, str(runner), str(schema)] + [str(f) for f in files]
        return commands

    # 1. every fixture, against `true`
    print("\n1. all fixtures: cell0ctl validate-config DIR, against `true`")
    everything = [binary, "validate-config", str(FIXTURES)]
    once("cell0ctl validate-config DIR", everything)
    fixtures = hyperfine({"cell0ctl": everything, "true": ["true"]}, args.runs, args.warmup)
    table += [("all fixtures", "cell0ctl validate-config DIR", fixtures["cell0ctl"], ""),
              ("all fixtures", "true (process start)", fixtures["true"], "")]

    # 2. the compose fixtures, one schema for every tool
    compose = sorted(FIXTURES.rglob("docker-compose*.yml")) + sorted(FIXTURES.rglob("docker-compose*.yaml"))
    schema = work / "docker-compose.schema.json"
    schema.write_text(subprocess.run([binary, "validate-config", "--export-schema", "docker-compose"],
                                     capture_output=True, text=True, check=True).stdout)
    print(f"\n2. {len(compose)} docker-compose fixtures, the schema of `--export-schema docker-compose`")
    commands = tools(schema, compose)
    for name, command in commands.items():
        once(name, command)
    set2 = f"{len(compose)} compose fixtures"
    for name, ms in hyperfine(commands, args.runs, args.warmup).items():
        table.append((set2, name, ms, ""))

    # 3. and 4. the generated file
    listing, multi, count = generate(work, args.size_mb, args.seed)
    big = work / "deployments.schema.json"
    big.write_text(json.dumps(SCHEMA, indent=1))
    mb = listing.stat().st_size / MB
    print(f"\n3. generated `kind: List` of {count} Deployments, {mb:.2f} MB ({listing.name}), "
          f"the schema of this script")
    commands = tools(big, [listing])
    for name, command in commands.items():
        once(name, command)
    set3 = f"{mb:.1f} MB List"
    for name, ms in hyperfine(commands, args.runs, args.warmup).items():
        table.append((set3, name, ms, ""))

    mb_multi = multi.stat().st_size / MB
    print(f"\n4. the same {count} Deployments as one multi-document file, {mb_multi:.2f} MB ({multi.name})")
    commands = tools(big, [multi], with_ajv=False)
    commands["cell0ctl (as k8s-manifest)"] = [binary, "validate-config", str(multi)]
    for name, command in commands.items():
        once(name, command)
    set4 = f"{mb_multi:.1f} MB {count} docs"
    for name, ms in hyperfine(commands, args.runs, args.warmup).items():
        table.append((set4, name, ms, ""))
    if ajv:
        table.append((set4, "ajv-cli", float("nan"), "n/a: reads one YAML document per file"))

    # the table
    print(f"\n{'set':24} {'tool':30} {'median':>10}  cell0ctl / tool")
    reference: dict[str, float] = {}
    for set_name, tool, ms, note in table:
        if tool.startswith("cell0ctl") and set_name not in reference:
            reference[set_name] = ms
    for set_name, tool, ms, note in table:
        ratio = "" if tool.startswith("cell0ctl") or ms != ms else f"{reference[set_name] / ms:.3f}"
        figure = "-" if ms != ms else f"{ms:.1f} ms"
        print(f"{set_name:24} {tool:30} {figure:>10}  {ratio}{note}")

    def get(set_name: str, tool: str) -> float:
        return next((ms for s, t, ms, _ in table if s == set_name and t == tool), float("nan"))

    verdict = {True: "PASS", False: "MISS"}
    all_ms, true_ms = get("all fixtures", "cell0ctl validate-config DIR"), get("all fixtures", "true (process start)")
    targets = [
        (f"all fixtures = {all_ms:.1f} ms ({all_ms / true_ms:.1f}x `true` {true_ms:.2f} ms)", "< 100 ms",
         all_ms < 100),
        (f"{set3} --schema = {get(set3, 'cell0ctl --schema'):.0f} ms", "< 1 s", get(set3, "cell0ctl --schema") < 1000),
        (f"{set4} --schema = {get(set4, 'cell0ctl --schema'):.0f} ms", "< 1 s", get(set4, "cell0ctl --schema") < 1000),
        (f"{set4} as k8s-manifest = {get(set4, 'cell0ctl (as k8s-manifest)'):.0f} ms", "< 1 s",
         get(set4, "cell0ctl (as k8s-manifest)") < 1000),
    ]
    print("\ntargets (issue #4):")
    for name, target, ok in targets:
        print(f"  {verdict[ok]}  {name:60} target {target}")
    for set_name in (set2, set3, set4):
        mine = get(set_name, "cell0ctl --schema")
        others = [(t, get(set_name, t)) for t in ("ajv-cli", "python3-jsonschema")]
        figures = ", ".join(f"{t} {mine / ms:.3f}" for t, ms in others if ms == ms)
        if figures:
            print(f"  ratio cell0ctl --schema / tool, {set_name}: {figures} (no target; < 1 is faster)")
    print(f"load average at end {loadavg()}; total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
