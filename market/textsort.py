"""Vietnamese alphabetical order. Python's default order puts "Đ" after "Z" and sorts by code
point; the Vietnamese alphabet is a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y,
with the five tone marks only breaking ties (no tone, grave, hook, tilde, acute, dot below)."""

import unicodedata
from collections.abc import Iterator

_ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
_RANK = {letter: i for i, letter in enumerate(_ALPHABET)} | {
    " ": -1
}  # word by word: "Cà Mau" < "Cao"
# combining tone marks, in the usual dictionary order
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_PREFIXES = ("thành phố ", "tỉnh ", "tp. ", "tp ")


def _letters(text: str) -> Iterator[tuple[str | None, int]]:
    """(letter, tone) pairs: the letter keeps its breve/circumflex/horn, the tone is split off."""
    for ch in unicodedata.normalize("NFD", text.lower()):
        if ch in _TONES:
            yield None, _TONES[ch]
        elif unicodedata.combining(ch):
            yield ch, 0  # ̆ ̂ ̛ : part of the letter
        else:
            yield ch, 0


def vietnamese_sort_key(text: str) -> tuple:
    text = (text or "").strip()
    low = text.lower()
    for prefix in _PREFIXES:
        if low.startswith(prefix):
            text = text[len(prefix) :]
            break
    letters: list[str] = []
    tones: list[int] = []
    for ch, tone in _letters(text):
        if ch is None:
            tones[-1:] = [tone] if tones else []
        elif unicodedata.combining(ch) and letters:
            letters[-1] = unicodedata.normalize("NFC", letters[-1] + ch)
        else:
            letters.append(ch)
            tones.append(0)
    primary = tuple(_RANK.get(c, 100 + ord(c[0])) for c in letters)
    return primary, tuple(tones)
