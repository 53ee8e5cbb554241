"""The rank window of the SQLite backend, scored in Python.

A big match ranked by relevance ranks only its newest `rank_window()` rows with every word in
the name (`DatabaseBackend._windowed`). On SQLite each rank signal is an FTS5 MATCH of its
own, and at 1,000,000 documents a MATCH that involves a word of most documents ("san", "son")
costs 20-40 ms however few rows it keeps: ten signals were 200 ms for a window of 2,000 rows.
The window's rows are read once instead (their indexed texts, from the FTS5 table) and the same
signals (search/ranking.py) are tested here on the same tokens: a FOLDED alternative is its
words, adjacent, in one of the signal's fields; an EXACT one, in the name as written.
"""

import re
from collections.abc import Iterable
from typing import Any

from search import ranking
from search.text import FOLDED

# FTS5's unicode61 tokenizer: runs of letters and digits, lowercased ("_" separates).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def _has_phrase(tokens: tuple[str, ...], bag: frozenset[str], phrase: tuple[str, ...]) -> bool:
    if phrase[0] not in bag:
        return False
    n = len(phrase)
    return n == 1 or any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


class Row:
    """One windowed row's texts as FTS5 indexed them, and its tie-break columns."""

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.id, name_fold, context_fold, name_exact, self.sku = values[:5]
        self.name_len, self.orders, self.created = values[5:8]
        name, context, exact = words(name_fold), words(context_fold or ""), words(name_exact)
        self.fields = {
            "name": (name, frozenset(name)),
            "context": (context, frozenset(context)),
        }
        self.exact = (exact, frozenset(exact))

    def meets(self, clause: ranking.Clause, fields: tuple[str, ...]) -> bool:
        for kind, phrase in clause:
            if kind != FOLDED:
                if _has_phrase(*self.exact, phrase):
                    return True
            elif any(_has_phrase(*self.fields[f], phrase) for f in fields):
                return True
        return False

    def score(self, plan: ranking.Plan, sku: str) -> float:
        total: float = ranking.SKU if sku in f"\n{self.sku}\n" else 0
        met: dict[tuple[ranking.Clause, tuple[str, ...]], bool] = {}  # signals share clauses
        for signal in plan.signals:
            if signal.fields == ranking.NAME and set(signal.clauses) <= set(plan.recall):
                total += signal.weight  # every word in the name: true on every window row
                continue
            for clause in signal.clauses:
                key = (clause, signal.fields)
                if key not in met:
                    met[key] = self.meets(clause, signal.fields)
                if not met[key]:
                    break
            else:
                total += signal.weight
        return total


def page(rows: Iterable[tuple[Any, ...]], plan: ranking.Plan, size: int, offset: int) -> list[int]:
    """The ids of one page of `rows` (id, name_fold, context_fold, name_exact, sku, name_len,
    orders, created), in the order of `database._order` by relevance: the score, then the
    shorter name, more orders, newer, higher id."""
    sku = "\n" + plan.sku.replace("\n", " ") + "\n"
    scored = [(r.score(plan, sku), r) for r in map(Row, rows)]
    scored.sort(key=lambda s: (s[1].created, s[1].id), reverse=True)  # stable: the last keys
    scored.sort(key=lambda s: (-s[0], s[1].name_len, -s[1].orders))
    return [r.id for _score, r in scored[offset : offset + size]]


def can_score(plan: ranking.Plan) -> bool:
    """Whether every signal looks only where a window row has its text (name, context)."""
    return all(set(s.fields) <= {"name", "context"} for s in plan.signals)
