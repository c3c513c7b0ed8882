"""Turn mutmut's results (mutants/**/*.meta) into docs/mutation.md.

Per module: mutants generated (in the functions the run selected), killed,
survived (a mutant no test noticed, or one no selected test reaches), the kill
rate; then every survivor with its diff and the reason it is harmless, or the
test that now kills it, from scripts/mutation_explained.toml. A survivor with no
entry there is listed as UNEXPLAINED.

    python scripts/mutation_report.py --out docs/mutation.md --min-kill 90 GLOB...

With --min-kill N it exits 1 when a module's kill rate is below N % (CI's
sample uses it); the table is written either way.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPLAINED = ROOT / "scripts" / "mutation_explained.toml"

# mutmut's exit codes (mutmut/stats.py): 1 and 3 mean a test failed.
KILLED = {1, 3, 36, 24, -24, 152, 255}  # a failing test, or a timeout
NO_TESTS = {5, 33}
SURVIVED = {0}


def load_results(mutants: Path) -> dict[str, int | None]:
    results: dict[str, int | None] = {}
    for meta in sorted(mutants.rglob("*.meta")):
        text = meta.read_text()
        try:
            codes = json.loads(text).get("exit_code_by_key", {})
        except json.JSONDecodeError:
            # A run stopped while mutmut rewrote this file: its first section
            # (the results) is whole, the rest was cut off.
            start = text.index("{", text.index('"exit_code_by_key"'))
            codes = json.JSONDecoder().raw_decode(text, start)[0]
        results.update(codes)
    return results


def module_of(name: str) -> str:
    return name.rsplit(".", 1)[0]


def diff_of(name: str) -> str:
    out = subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), "show", name],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout
    lines = [
        line
        for line in out.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return "\n".join(lines)


def explanation(name: str, diff: str, rules: list[dict]) -> str | None:
    for rule in rules:
        if not fnmatch.fnmatch(name, rule["mutant"]):
            continue
        if "diff" in rule and not re.search(rule["diff"], diff):
            continue
        return " ".join(rule["reason"].split())
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("globs", nargs="*", default=["*"])
    parser.add_argument("--out", default="docs/mutation.md")
    parser.add_argument("--min-kill", type=float, default=0)
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--note", default="", help="a line about this run")
    parser.add_argument("--mutants", default=str(ROOT / "mutants"))
    args = parser.parse_args()

    globs = [g.strip("'\"") for g in args.globs]
    results = {
        name: code
        for name, code in load_results(Path(args.mutants)).items()
        if any(fnmatch.fnmatch(name, g) for g in globs)
    }
    rules = tomllib.loads(EXPLAINED.read_text()).get("survivor", [])

    per_module: dict[str, dict[str, list[str]]] = defaultdict(
        lambda: {"killed": [], "survived": [], "no tests": [], "not run": []}
    )
    for name, code in sorted(results.items(), key=lambda kv: _natural(kv[0])):
        row = per_module[module_of(name)]
        if code in KILLED:
            row["killed"].append(name)
        elif code in SURVIVED:
            row["survived"].append(name)
        elif code in NO_TESTS:
            row["no tests"].append(name)
        else:
            row["not run"].append(name)

    lines = [
        "# Mutation testing of the money core",
        "",
        "Written by `scripts/mutation_report.py` from `make mutation` (mutmut 3,",
        "issue #20); do not edit by hand. Each mutant is one small break of a rule",
        "(a condition flipped, a value changed, a call's argument dropped) in one",
        "function; it is *killed* when a test fails. *Survived* counts mutants no",
        "test noticed and those no selected test reaches. Reasons for survivors:",
        "`scripts/mutation_explained.toml`. *Not run*: mutants the run did not reach",
        "(a run stopped early); they are not counted in the rate.",
        "",
    ]
    if args.seconds is not None:
        lines += [
            f"Last run: {args.seconds // 60} min {args.seconds % 60} s "
            "(`make mutation`, 2 workers).",
            "",
        ]
    if args.note:
        lines += [args.note, ""]
    lines += [
        "| module | mutants | killed | survived | killed % | not run |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    failing = []
    total = [0, 0, 0, 0]
    for module, row in sorted(per_module.items()):
        ran = len(row["killed"]) + len(row["survived"]) + len(row["no tests"])
        not_run = len(row["not run"])
        total[3] += not_run
        if ran == 0:
            lines.append(f"| `{module}` | 0 | 0 | 0 | - | {not_run} |")
            continue
        survived = len(row["survived"]) + len(row["no tests"])
        rate = 100.0 * len(row["killed"]) / ran
        total[0] += ran
        total[1] += len(row["killed"])
        total[2] += survived
        lines.append(
            f"| `{module}` | {ran} | {len(row['killed'])} | {survived} "
            f"| {rate:.1f} | {not_run} |"
        )
        if rate < args.min_kill:
            failing.append(f"{module}: {rate:.1f} % < {args.min_kill} %")
    if total[0]:
        lines.append(
            f"| **all** | {total[0]} | {total[1]} | {total[2]} "
            f"| {100.0 * total[1] / total[0]:.1f} | {total[3]} |"
        )

    unexplained = 0
    lines += ["", "## Survivors", ""]
    for module, row in sorted(per_module.items()):
        survivors = row["survived"] + row["no tests"]
        if not survivors:
            continue
        lines += [f"### `{module}`", ""]
        for name in survivors:
            diff = diff_of(name)
            reason = explanation(name, diff, rules)
            if reason is None:
                unexplained += 1
                reason = "UNEXPLAINED"
            kind = "no test reaches it" if name in row["no tests"] else "survived"
            lines += [
                f"- `{name.rsplit('.', 1)[1]}` ({kind}): {reason}",
                "",
                "  ```diff",
                *[f"  {line}" for line in diff.splitlines()],
                "  ```",
                "",
            ]
    Path(args.out).write_text("\n".join(lines).rstrip() + "\n")
    print(
        f"{args.out}: {total[0]} mutants, {total[1]} killed, {total[2]} survived, "
        f"{unexplained} unexplained"
    )
    for problem in failing:
        print(f"kill rate below target: {problem}", file=sys.stderr)
    return 1 if failing else 0


def _natural(name: str):
    head, _, number = name.rpartition("__mutmut_")
    return (head, int(number) if number.isdigit() else 0)


if __name__ == "__main__":
    sys.exit(main())
