"""The ranking, written once: which signals, in which order, with which weights.

Every backend renders the same signals from the same parsed query (SQLite FTS5 MATCH
expressions, PostgreSQL tsqueries, engine `constant_score` clauses), so a query ranks the same
products in the same order on all four configurations (docs/search.md, "Ranking"):

    score = 256 x the query is the product's SKU
          +  64 x the words typed, as one phrase, in the name
          +  32 x every word (or one of its synonyms) in the name
          +  16 x every word as typed (not a synonym) in the name
          +   8 x every word in the name with the diacritics typed (only when some were typed)
          +   4 x the share of the words (or synonyms) found in the category, cooperative,
                  province or certification labels
          +   2 x the share of the words (or synonyms) found in the name

Each signal is a yes/no test, so a word counts once however often it repeats, and a synonym
satisfies a clause no more than the word typed does (it never adds up past it). The weights are
powers of two above the last share, so a higher signal always outranks all lower ones together.
Matches in the description alone score 0: they are found (recall), never ranked up.

Common words: a word typed that the index finds in more than half of all documents (the
database backends read its document frequency, the engines count it) discriminates nothing in descriptions and
context ("sắn" folds to "san", which is "sản" in nearly every description and in the category
"Nông sản"). Its FOLDED alternative is then looked for in the name only (its synonyms are
always looked for in the name); the backend falls back to the full recall when that does not
fill the page. Rows it leaves out would rank below every row it keeps that has all the words in
the name, so the first page is the same; the total and facets count what the buyer meant.

Ties: the shorter name first (field-length normalisation: a name that is mostly the query words
is a better match than a long one that also contains them), then the quality signal (orders that
bought the product), then the newest; the id only makes the order total.
"""

from dataclasses import dataclass

from search.text import EXACT, FOLDED, ParsedQuery, fold, normalize

SKU, PHRASE, NAME_ALL, NAME_TYPED, DIACRITICS, CONTEXT_SHARE, NAME_SHARE = 256, 64, 32, 16, 8, 4, 2

# Where a test looks. "name" is the folded name, "exact" the name as written (NFC, lowercase),
# "context" category/cooperative/province/certification labels/SKU, "body" the descriptions.
NAME, CONTEXT, RECALL = ("name",), ("context",), ("name", "context", "body")

Clause = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Signal:
    """`weight` if every clause of `clauses` matches; a clause matches if one of its
    alternatives does: FOLDED tokens (adjacent) in one of `fields`, or EXACT tokens (a synonym
    or a word with its diacritics, adjacent) in the name as written."""

    weight: float
    clauses: tuple[Clause, ...]
    fields: tuple[str, ...] = NAME


COMMON_SHARE = 0.5  # a word in more than this share of the documents is a common word
# Common words only in a catalog this big: in a small one every word is rare enough to rank and
# count in full.
COMMON_MIN_DOCS = 1000
# A common word's names-only answer of at least this many families is the answer for every page
# and order of relevance; a smaller one gives way to the full search (every page the same way).
NARROWED_ENOUGH = 100


@dataclass(frozen=True)
class Plan:
    recall: tuple[Clause, ...]  # every clause must match somewhere (name, context, body)
    sku: str  # the query as a SKU would be stored
    signals: tuple[Signal, ...]
    # where each recall clause's FOLDED alternative is looked for: RECALL, or NAME for a
    # common word (see "Common words" above); synonyms (EXACT) are in the name either way
    recall_fields: tuple[tuple[str, ...], ...] = ()

    @property
    def narrowed(self) -> bool:
        return any(f != RECALL for f in self.recall_fields)

    def fields_of(self, i: int) -> tuple[str, ...]:
        return self.recall_fields[i] if self.recall_fields else RECALL


def plan(q: str, parsed: ParsedQuery, common: frozenset[str] = frozenset()) -> Plan:
    """The recall clauses and the rank signals of a non-empty query; `common` holds the
    folded words found in more than COMMON_SHARE of the documents (looked for in names only)."""
    clauses = parsed.clauses
    typed = tuple(((FOLDED, (t,)),) for t in parsed.folded)
    signals = [Signal(PHRASE, (((FOLDED, parsed.folded),),)), Signal(NAME_ALL, clauses)]
    signals.append(Signal(NAME_TYPED, typed))
    if parsed.has_diacritics:
        signals.append(Signal(DIACRITICS, tuple(((EXACT, (t,)),) for t in parsed.exact)))
    # The context is folded text: synonyms are looked for there folded too.
    signals += [Signal(CONTEXT_SHARE / len(clauses), (_folded(c),), CONTEXT) for c in clauses]
    signals += [Signal(NAME_SHARE / len(clauses), (c,)) for c in clauses]
    recall_fields = tuple(NAME if all(t in common for t in c[0][1]) else RECALL for c in clauses)
    return Plan(
        recall=clauses,
        sku=normalize(q).strip(),
        signals=_merged(signals),
        recall_fields=recall_fields,
    )


def _merged(signals: list[Signal]) -> tuple[Signal, ...]:
    """Signals that test the same thing (for one word: the phrase and the typed words; all
    words and the one word's share) as one test with the weights added: the same scores, one
    match fewer per duplicate on every backend."""
    weights: dict[tuple, float] = {}
    for s in signals:
        weights[(s.clauses, s.fields)] = weights.get((s.clauses, s.fields), 0) + s.weight
    return tuple(Signal(w, clauses, fields) for (clauses, fields), w in weights.items())


def _folded(clause: Clause) -> Clause:
    alternatives = [(FOLDED, tuple(fold(t) for t in a)) for _, a in clause]
    return tuple(dict.fromkeys(alternatives))
