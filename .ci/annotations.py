#!/usr/bin/env python3
"""Count fully annotated public functions per app (`make annotations`).

A public function is a module-level function or a method of a public class (nested classes
included) whose name does not start with "_". It is fully annotated when it has a return
annotation and every parameter has one (the first parameter of a method, `self` or `cls`,
excepted). Tests, migrations and bench scripts are not counted.

    python3 .ci/annotations.py            # one line per app and a total
    python3 .ci/annotations.py --missing  # also list the functions that are not fully annotated
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("market", "catalog", "search", "orders", "ledger", "quotes", "frontend")


def _is_method_first_arg(func: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> bool:
    if not in_class:
        return False
    return not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list)


def fully_annotated(func: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> bool:
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    if _is_method_first_arg(func, in_class) and positional:
        positional = positional[1:]
    params = [*positional, *args.kwonlyargs]
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    return func.returns is not None and all(p.annotation is not None for p in params)


def _walk(body: list[ast.stmt], in_class: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not node.name.startswith("_"):
                yield node, in_class
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            yield from _walk(node.body, in_class=True)
        elif isinstance(node, ast.If | ast.Try):
            # module-level `if TYPE_CHECKING:` / `try: import` blocks
            for part in (node.body, node.orelse, *(h.body for h in getattr(node, "handlers", []))):
                yield from _walk(part, in_class)


def app_files(app: str) -> list[Path]:
    return sorted(
        p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts
    )


def count(app: str) -> tuple[int, int, list[str]]:
    total = done = 0
    missing: list[str] = []
    for path in app_files(app):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for func, in_class in _walk(tree.body):
            assert isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
            total += 1
            if fully_annotated(func, in_class):
                done += 1
            else:
                missing.append(f"{path.relative_to(ROOT)}:{func.lineno} {func.name}")
    return done, total, missing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list what is not annotated")
    parser.add_argument("apps", nargs="*", default=list(APPS))
    options = parser.parse_args(argv)
    all_done = all_total = 0
    for app in options.apps:
        done, total, missing = count(app)
        all_done, all_total = all_done + done, all_total + total
        print(f"{app:10} {done:4}/{total:<4} {100 * done / max(total, 1):5.1f}%")
        if options.missing:
            print("".join(f"    {m}\n" for m in missing), end="")
    print(f"{'all':10} {all_done:4}/{all_total:<4} {100 * all_done / max(all_total, 1):5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
