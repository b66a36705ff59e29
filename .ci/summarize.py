#!/usr/bin/env python3
"""Counts test cases in meson's test logs and prints one line: "N passed, N failed".

doctest and Python unittest print their own counts; those are summed, so the line counts
test cases, not test programs. A program whose output has no count (it crashed, or timed
out) counts as one failure, or one pass if meson says it passed.
"""
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed")
UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in", re.M)
UNITTEST_FAILED = re.compile(r"^FAILED \(([^)]*)\)", re.M)
UNITTEST_SKIPPED = re.compile(r"skipped=(\d+)")


def count(output: str, result: str) -> tuple[int, int]:
    doctest = DOCTEST.findall(output)
    if doctest:
        _, passed, failed = doctest[-1]
        return int(passed), int(failed)
    ran = UNITTEST_RAN.findall(output)
    if ran:
        total = int(ran[-1])
        failed = 0
        match = UNITTEST_FAILED.findall(output)
        if match:
            failed = sum(int(n) for k, n in re.findall(r"(failures|errors)=(\d+)", match[-1]))
        skipped = sum(int(n) for n in UNITTEST_SKIPPED.findall(output.split("\nRan ")[-1]))
        return total - failed - skipped, failed
    return (1, 0) if result == "OK" else (0, 1)


def main() -> int:
    passed = failed = 0
    for path in sys.argv[1:]:
        try:
            with open(path, encoding="utf-8") as log:
                records = [json.loads(line) for line in log if line.strip()]
        except OSError:
            failed += 1
            continue
        for record in records:
            output = (record.get("stdout") or "") + "\n" + (record.get("stderr") or "")
            p, f = count(output, record.get("result", ""))
            if record.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and f == 0:
                f = 1
            passed += p
            failed += f
    print(f"{passed} passed, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
