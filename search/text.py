"""Vietnamese text for search: the one fold, tokens, query-time synonyms, highlighting.

Every backend gets the same folded text (indexed next to the original) and the same parsed query,
so "ca phe", "cà phê", "CA PHÊ" and NFD input behave alike on SQLite, PostgreSQL and the engines.
The fold lives in `market.reference.admin_units` (addresses use it too); it is re-exported here.
"""

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from market.reference.admin_units import fold

__all__ = [
    "fold",
    "fold_text",
    "normalize",
    "tokens",
    "parse",
    "ParsedQuery",
    "highlight",
    "SYNONYMS",
]

MAX_QUERY_CHARS = 200  # longer input is cut: nobody types more, and it bounds the work per query
MAX_TOKENS = 12
_WORD = re.compile(r"\w+", re.UNICODE)

# Synonym groups, written naturally; compared on folded tokens. North/south variants and
# Vietnamese/English pairs. Expanded at query time only (the index stays what sellers wrote).
SYNONYM_GROUPS = [
    ["lạc", "đậu phộng", "peanut", "groundnut"],
    ["ngô", "bắp", "corn", "maize"],
    ["lợn", "heo", "pork", "pig"],
    ["dứa", "thơm", "khóm", "pineapple"],
    ["sắn", "khoai mì", "cassava", "tapioca"],
    ["vừng", "mè", "sesame"],
    ["quả", "trái", "fruit"],
    ["hồi", "hoa hồi", "đại hồi", "star anise", "anise"],
    ["quế", "cinnamon", "cassia"],
    ["cà phê", "cafe", "coffee"],
    ["hạt điều", "điều", "cashew"],
    ["hồ tiêu", "tiêu", "pepper"],
    ["gạo", "rice"],
    ["mật ong", "honey"],
    ["chè", "trà", "tea"],
    ["nước mắm", "fish sauce"],
    ["bưởi", "pomelo"],
    ["xoài", "mango"],
    ["vải", "vải thiều", "lychee", "litchi"],
    ["thanh long", "dragon fruit"],
    ["sầu riêng", "durian"],
    ["nhãn", "longan"],
    ["chuối", "banana"],
    ["dừa", "coconut"],
    ["gừng", "ginger"],
    ["nghệ", "turmeric"],
    ["tỏi", "garlic"],
    ["ớt", "chili", "chilli"],
    ["nấm", "mushroom"],
    ["tôm", "shrimp", "prawn"],
    ["cá", "fish"],
    ["mực", "squid"],
    ["ca cao", "cacao", "cocoa"],
    ["bò", "beef"],
    ["gà", "chicken"],
    ["sâm", "ginseng"],
    ["hữu cơ", "organic"],
]


def normalize(text: str) -> str:
    """NFC, whitespace collapsed: how original text is stored and compared for exact matches."""
    return " ".join(unicodedata.normalize("NFC", text or "").split()).lower()


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return fold(word)


def fold_text(text: str) -> str:
    """`fold` for long text at indexing speed: word by word through a cache (catalog text
    repeats the same few thousand words). Whitespace collapses; tokens are identical. ASCII
    words (SKUs, numbers, English) are only lowercased, outside the cache: every product's SKU
    is a word of its document, and at 1,000,000 products those unique words filled the cache
    by the 200,000th document, after which every one evicted another."""
    return " ".join(w.lower() if w.isascii() else _fold_word(w) for w in (text or "").split())


def tokens(text: str) -> list[str]:
    """Folded word tokens (letters and digits only: operator characters never reach a backend)."""
    return _WORD.findall(fold(text).replace("_", " "))


def _exact(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(normalize(text).replace("_", " ")))


def _build_synonyms() -> dict[tuple[str, ...], list[tuple[tuple, list[tuple[str, ...]]]]]:
    """folded phrase -> [(the phrase as written with diacritics, its group's phrases as written)]."""
    table: dict[tuple[str, ...], list] = {}
    for group in SYNONYM_GROUPS:
        phrases = list(dict.fromkeys(_exact(p) for p in group))
        for written in group:
            table.setdefault(tuple(tokens(written)), []).append((_exact(written), phrases))
    return table


SYNONYMS = _build_synonyms()
_MAX_PHRASE = max(len(k) for k in SYNONYMS)


def _alternatives(folded: tuple[str, ...], exact: tuple[str, ...]) -> list[tuple[str, ...]] | None:
    """Synonyms for a phrase, as written (with diacritics). Typed without diacritics it may mean
    any word that folds the same ("ca": cà or cá); typed with them, only the groups of that very
    word ("cà" is not "cá"). Synonyms are matched exactly: folded, "sắn" would also be "sản"."""
    entries = SYNONYMS.get(folded)
    if not entries:
        return None
    if exact != folded:
        entries = [e for e in entries if e[0] == exact]
    alts: list[tuple[str, ...]] = []
    for _written, phrases in entries:
        alts += [p for p in phrases if p not in alts and tuple(fold(t) for t in p) != folded]
    return alts or None


FOLDED, EXACT = "fold", "exact"


@dataclass(frozen=True)
class ParsedQuery:
    """A query as clauses: every clause must match; within a clause, any alternative may.
    An alternative is (FOLDED, tokens) for what the buyer typed, matched on folded text, or
    (EXACT, tokens) for a synonym, matched on the names as written; tokens of a phrase must be
    adjacent. `exact` holds the NFC-lowercased tokens as typed (for the exact-diacritic boost),
    `folded` the folded ones."""

    clauses: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]
    folded: tuple[str, ...]
    exact: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.clauses

    @property
    def has_diacritics(self) -> bool:
        return self.exact != self.folded

    def all_terms(self) -> frozenset[str]:
        return _all_terms(self)


@lru_cache(maxsize=1024)
def _all_terms(parsed: ParsedQuery) -> frozenset[str]:
    """Every folded word of every alternative: what `highlight` marks (once per query, not per
    name highlighted: 48 calls a page, each folding every synonym again)."""
    return frozenset(_fold_word(t) for clause in parsed.clauses for _, alt in clause for t in alt)


@lru_cache(maxsize=1024)
def parse(q: str) -> ParsedQuery:
    """Fold the query, cut it to a sane size, and expand synonyms (longest phrase first).
    Cached: a pure function of the text (its answer is immutable), asked for several times in
    one search (`Query.parsed` is a property: the backend, the ranking plan, the highlights)."""
    q = (q or "")[:MAX_QUERY_CHARS]
    folded = tokens(q)[:MAX_TOKENS]
    exact = _WORD.findall(normalize(q).replace("_", " "))[:MAX_TOKENS]
    # Tokenisers disagree (rare symbols): ignore diacritics for synonyms.
    if len(exact) != len(folded):
        exact = folded
    clauses, i = [], 0
    while i < len(folded):
        for n in range(min(_MAX_PHRASE, len(folded) - i), 0, -1):
            phrase = tuple(folded[i : i + n])
            alts = _alternatives(phrase, tuple(exact[i : i + n]))
            if alts or n == 1:
                clauses.append(((FOLDED, phrase),) + tuple((EXACT, a) for a in alts or []))
                i += n
                break
    return ParsedQuery(clauses=tuple(clauses), folded=tuple(folded), exact=tuple(exact))


def highlight(text: str, parsed: ParsedQuery, tag: str = "mark") -> str:
    """HTML-escaped `text` with words whose fold is a query term wrapped in <mark>.
    Done on the original text in Python so every backend highlights Vietnamese the same way."""
    terms = parsed.all_terms()
    if not text or not terms:
        return _escaped(text or "")
    hits = [(start, end) for start, end, folded in _name_words(text) if folded in terms]
    if not hits:
        return _escaped(text)
    out, last = [], 0
    for start, end in hits:
        out.append(html.escape(text[last:start]))
        out.append(f"<{tag}>{html.escape(text[start:end])}</{tag}>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


# Per name, not per query: the names of result cards repeat from page to page whatever was
# searched (48 a page; finding and folding their words was most of the highlighting time).
@lru_cache(maxsize=20_000)
def _name_words(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, fold) of each word of `text`."""
    return tuple((m.start(), m.end(), _fold_word(m.group())) for m in _WORD.finditer(text))


@lru_cache(maxsize=20_000)
def _escaped(text: str) -> str:
    return html.escape(text)
