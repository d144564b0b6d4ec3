"""Print the mutation score per module from mutmut's results (``mutants/**/*.py.meta``).

    .venv/bin/python mutation/report.py [--root DIR] [--survivors] [MODULE_PATH ...]

A module's score is killed / total, where "killed" counts the mutants a test
failed on (exit 1 or 3) and those that ran past the time limit (an endless loop
is caught too); "total" is every mutant mutmut made in the module, so mutants
no test reaches ("no tests") and ones not yet run count against the score.
With ``--survivors`` each surviving (or untested) mutant's name is listed too;
``mutmut show NAME`` prints its diff.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py status_by_exit_code), grouped for the score.
_KILLED = {1, 3, 24, -24, 36, 152, 255}
_SURVIVED = {0}
_NO_TESTS = {5, 33}
_NOT_RUN = {None, 2}


def _status(code: int | None) -> str:
    if code in _KILLED:
        return "killed"
    if code in _SURVIVED:
        return "survived"
    if code in _NO_TESTS:
        return "no tests"
    if code in _NOT_RUN:
        return "not run"
    return "other"


def load(root: Path) -> dict[str, dict[str, int | None]]:
    """module path (services/x/domain/y.py) -> {mutant name: exit code}."""
    results: dict[str, dict[str, int | None]] = {}
    mutants = root / "mutants"
    for meta in sorted(mutants.glob("services/*/domain/*.py.meta")):
        module = str(meta.relative_to(mutants))[: -len(".meta")]
        data = json.loads(meta.read_text("utf-8"))
        results[module] = data.get("exit_code_by_key", {})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths to show (default: all)")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="directory holding mutmut's mutants/ (default: .)")
    parser.add_argument("--survivors", action="store_true",
                        help="also list the mutants that survived or that no test reached")
    args = parser.parse_args(argv)

    results = load(args.root)
    if not results:
        print(f"no mutmut results under {args.root / 'mutants'}: run `make mutation` first",
              file=sys.stderr)
        return 1
    wanted = set(args.modules)
    header = f"{'module':<46} {'killed':>6} {'total':>6} {'score':>7}  {'survived':>8}" \
             f" {'no tests':>8} {'not run':>7}"
    print(header)
    print("-" * len(header))
    all_counts: Counter[str] = Counter()
    for module, codes in results.items():
        if wanted and module not in wanted:
            continue
        counts = Counter(_status(code) for code in codes.values())
        all_counts.update(counts)
        total = len(codes)
        score = f"{100 * counts['killed'] / total:6.1f}%" if total else "     -"
        print(f"{module:<46} {counts['killed']:>6} {total:>6} {score:>7}  "
              f"{counts['survived']:>8} {counts['no tests']:>8} {counts['not run']:>7}")
        if args.survivors:
            for name, code in sorted(codes.items()):
                if _status(code) in {"survived", "no tests"}:
                    print(f"    {_status(code):<8}  {name}")
    total = sum(all_counts.values())
    if total:
        print("-" * len(header))
        print(f"{'all':<46} {all_counts['killed']:>6} {total:>6} "
              f"{100 * all_counts['killed'] / total:6.1f}%  {all_counts['survived']:>8} "
              f"{all_counts['no tests']:>8} {all_counts['not run']:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
