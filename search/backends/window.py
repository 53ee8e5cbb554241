"""The rank window of the SQLite backend, scored in Python.

A big match ranked by relevance ranks only its newest `rank_window()` rows with every word in
the name (`DatabaseBackend._windowed`). On SQLite each rank signal is an FTS5 MATCH of its
own, and at 1,000,000 documents a MATCH that involves a word of most documents ("san", "son")
costs 20-40 ms however few rows it keeps: ten signals were 200 ms for a window of 2,000 rows.
The window's rows are read once instead (their indexed texts, from the FTS5 table) and the same
signals (search/ranking.py) are tested here on the same tokens: a FOLDED alternative is its
words, adjacent, in one of the signal's fields; an EXACT one, in the name as written.

Each test runs once over the whole window, not once per row: the window's texts of one column
are joined into one string (rows apart by a separator no phrase can cross) and one regular
expression per clause finds the rows that hold any of its alternatives (tokenising and testing
2,000 rows one by one in Python took 70-160 ms of CPU at 1,000,000 products).
"""

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import accumulate
from typing import Any

from search import ranking
from search.text import FOLDED

# FTS5's unicode61 tokenizer: runs of letters and digits, lowercased ("_" separates).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Between two rows of a joined column: not a token character, and never crossed by a phrase.
_ROW = "\x00"
# Between two words of a phrase: one or more characters that are neither token characters
# nor the row separator. (A joined column has its "_" made spaces: there `\w` and `\b` are
# exactly FTS5's token characters and token edges.)
_GAP = r"[^\w\x00]+"

Clause = ranking.Clause


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


@lru_cache(maxsize=1024)
def _pattern(phrases: tuple[tuple[str, ...], ...]) -> re.Pattern[str]:
    """Any of `phrases` as whole adjacent tokens; the rest of its row is consumed, so each
    row is found once. Each alternative starts with its first letter and only then looks
    back for the token edge before it: a pattern that starts with a literal is searched for
    that letter by the regex engine's fast scan (10-20x faster than testing the edge first
    at every position of a 300 kB column)."""
    alternatives = "|".join(_alternative(p) for p in phrases)
    return re.compile(rf"(?:{alternatives})\b[^\x00]*")


def _alternative(phrase: tuple[str, ...]) -> str:
    first, *rest = phrase
    head = re.escape(first[0])
    return (
        head
        + rf"(?<=\b{head})"
        + re.escape(first[1:])
        + "".join(_GAP + re.escape(word) for word in rest)
    )


class _Column:
    """One text column of the window's rows, joined: which rows hold a phrase."""

    def __init__(self, texts: Sequence[str | None]) -> None:
        cleaned = [(t or "").replace(_ROW, " ") for t in texts]
        self.text = _ROW.join(cleaned).lower().replace("_", " ")
        # the offset of each row's text in the joined string (lower() keeps lengths here:
        # when it does not, rows are joined after lowering one by one)
        if len(self.text) != sum(map(len, cleaned)) + max(len(cleaned) - 1, 0):
            cleaned = [t.lower().replace("_", " ") for t in cleaned]
            self.text = _ROW.join(cleaned)
        self.starts = [0, *accumulate(len(t) + 1 for t in cleaned)][: len(cleaned)]

    def rows_with(self, phrases: tuple[tuple[str, ...], ...]) -> set[int]:
        if not phrases:
            return set()
        starts = self.starts
        return {bisect_right(starts, m.start()) - 1 for m in _pattern(phrases).finditer(self.text)}


class _Window:
    """The window's rows (id, name_fold, context_fold, name_exact, sku, name_len, orders,
    created) and each clause's rows, found once per (clause, fields)."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows
        self._columns: dict[str, _Column] = {}
        self._met: dict[tuple[Clause, tuple[str, ...]], set[int]] = {}

    def column(self, field: str) -> _Column:
        if field not in self._columns:
            position = {"name": 1, "context": 2, "exact": 3}[field]
            self._columns[field] = _Column([r[position] for r in self.rows])
        return self._columns[field]

    def meeting(self, clause: Clause, fields: tuple[str, ...]) -> set[int]:
        """The rows where an alternative of `clause` is: FOLDED in one of `fields`, EXACT in
        the name as written."""
        key = (clause, fields)
        if key not in self._met:
            folded = tuple(p for kind, p in clause if kind == FOLDED)
            exact = tuple(p for kind, p in clause if kind != FOLDED)
            found = self.column("exact").rows_with(exact)
            for field in fields:
                found |= self.column(field).rows_with(folded)
            self._met[key] = found
        return self._met[key]


def scores(rows: list[tuple[Any, ...]], plan: ranking.Plan) -> list[float]:
    """Each row's score by the signals of `plan` (every row has every clause in the name)."""
    window = _Window(rows)
    sku = "\n" + plan.sku.replace("\n", " ") + "\n"
    out = [float(ranking.SKU) if sku in f"\n{r[4]}\n" else 0.0 for r in rows]
    base = 0.0
    for signal in plan.signals:
        if signal.fields == ranking.NAME and set(signal.clauses) <= set(plan.recall):
            base += signal.weight  # every word in the name: true on every window row
            continue
        met: set[int] | None = None
        for clause in signal.clauses:
            found = window.meeting(clause, signal.fields)
            met = found if met is None else met & found
            if not met:
                break
        for i in met or ():
            out[i] += signal.weight
    return [s + base for s in out]


def page(rows: Iterable[tuple[Any, ...]], plan: ranking.Plan, size: int, offset: int) -> list[int]:
    """The ids of one page of `rows` (id, name_fold, context_fold, name_exact, sku, name_len,
    orders, created), in the order of `database._order` by relevance: the score, then the
    shorter name, more orders, newer, higher id."""
    rows = list(rows)
    scored = list(zip(scores(rows, plan), rows, strict=True))
    scored.sort(key=lambda s: (s[1][7], s[1][0]), reverse=True)  # stable: the last keys
    scored.sort(key=lambda s: (-s[0], s[1][5], -s[1][6]))
    return [r[0] for _score, r in scored[offset : offset + size]]


def can_score(plan: ranking.Plan) -> bool:
    """Whether every signal looks only where a window row has its text (name, context)."""
    return all(set(s.fields) <= {"name", "context"} for s in plan.signals)
