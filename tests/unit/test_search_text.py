"""Vietnamese folding, query parsing with synonyms, highlighting (no database needed)."""

import unicodedata

import pytest

from search.text import fold, fold_text, highlight, parse, tokens


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Cà phê Robusta Đắk Lắk", "ca phe robusta dak lak"),
        (unicodedata.normalize("NFD", "Cầu Đất"), "cau dat"),
        ("NƯỚC MẮM PHÚ QUỐC", "nuoc mam phu quoc"),
        ("Bưởi Năm Roi", "buoi nam roi"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    "text",
    [
        "B-0001234 Robusta COFFEE from Dak Lak_2025",
        "ca phe robusta dak lak",
        "Cà phê B-0001234 ĐẮK LẮK",
        unicodedata.normalize("NFD", "Cầu Đất ST25"),
        "İstanbul Café",
        "  two   spaces\tand\nlines ",
    ],
)
def test_fold_text_folds_every_word_as_fold_does_ascii_or_not(text):
    # (ASCII words are lowercased outside the word cache; the fold must not change)
    def unicode_fold(t):  # the fold without its ASCII shortcut
        t = unicodedata.normalize("NFD", unicodedata.normalize("NFC", t))
        t = "".join(c for c in t if unicodedata.category(c) != "Mn")
        return unicodedata.normalize("NFC", t).lower().replace("đ", "d")

    assert fold(text) == unicode_fold(text)
    assert fold_text(text) == " ".join(unicode_fold(w) for w in text.split())
    assert tokens(fold_text(text)) == tokens(text)


def test_search_uses_the_market_fold_itself():
    from market.reference.admin_units import fold as market_fold

    assert fold is market_fold


def test_tokens_drop_every_operator_character():
    assert tokens('"cà*phê" (AND) -robusta: ~1 ^2 {x} [y] NEAR/2') == [
        "ca",
        "phe",
        "and",
        "robusta",
        "1",
        "2",
        "x",
        "y",
        "near",
        "2",
    ]


def test_regional_synonyms_expand_on_folded_phrases_longest_first():
    parsed = parse("Đậu phộng rang")

    assert parsed.clauses == (
        (
            ("fold", ("dau", "phong")),
            ("exact", ("lạc",)),
            ("exact", ("peanut",)),
            ("exact", ("groundnut",)),
        ),
        (("fold", ("rang",)),),
    )
    assert parsed.exact == ("đậu", "phộng", "rang")
    assert parsed.has_diacritics


def test_typed_diacritics_choose_the_synonym_group():
    assert parse("ca").clauses == (
        (("fold", ("ca",)), ("exact", ("fish",))),
    )  # ambiguous: cà or cá
    assert parse("cá").clauses == ((("fold", ("ca",)), ("exact", ("fish",))),)
    assert parse("cà").clauses == ((("fold", ("ca",)),),)  # cà is not cá: no "fish"


def test_synonyms_are_matched_as_written_so_folding_cannot_widen_them():
    assert parse("khoai mi").clauses == (
        (
            ("fold", ("khoai", "mi")),
            ("exact", ("sắn",)),
            ("exact", ("cassava",)),
            ("exact", ("tapioca",)),
        ),
    )


def test_query_size_is_bounded():
    parsed = parse("gạo " * 5000)

    assert len(parsed.folded) == 12


def test_highlight_marks_original_words_and_escapes_html():
    assert highlight("Trà <b>Ô long</b> Lâm Đồng", parse("tra o long")) == (
        "<mark>Trà</mark> &lt;b&gt;<mark>Ô</mark> <mark>long</mark>&lt;/b&gt; Lâm Đồng"
    )


def test_highlight_of_one_name_follows_each_query():
    # the words of a name are found once per name (kept); what is marked is each query's
    name = "Cà phê <Robusta> & Arabica Đắk Lắk"

    assert highlight(name, parse("robusta")) == (
        "Cà phê &lt;<mark>Robusta</mark>&gt; &amp; Arabica Đắk Lắk"
    )
    assert highlight(name, parse("dak lak")) == (
        "Cà phê &lt;Robusta&gt; &amp; Arabica <mark>Đắk</mark> <mark>Lắk</mark>"
    )
    assert highlight(name, parse("gạo")) == "Cà phê &lt;Robusta&gt; &amp; Arabica Đắk Lắk"
    assert highlight(name, parse("")) == "Cà phê &lt;Robusta&gt; &amp; Arabica Đắk Lắk"
    assert highlight("", parse("robusta")) == ""
