"""Folding and search text, checked against their plain definitions on random and real text."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from site_builder.facets import _STOP, search_text
from site_builder.model import Publication
from site_builder.slugs import fold

from .conftest import REPO


def folded(text: str) -> str:
    """Fold as defined: decompose the whole text (NFKD), drop combining marks, casefold, one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def searched(pub: Publication) -> str:
    """Search text as defined: folded facts, then the abstract's distinct words (no stop words or letters)."""
    head = " ".join([pub.title, *pub.authors, pub.venue or "", *pub.tags, pub.category or ""])
    words = re.findall(r"[a-z0-9]+(?:['’.-][a-z0-9]+)*", folded(pub.abstract.replace("\\", " ")))
    kept = [w for w in dict.fromkeys(words) if len(w) > 1 and w not in _STOP]
    return f"{folded(head)} | {' '.join(kept)}"


MARKS = "\u0300\u0301\u0308\u0327\u0345\u0323\u0307\u20d7"
TRICKY = list("aeiouAEIOU ßİǅΣςﬁ①–—ñøÅ\t\n.-'’$\\") + list(MARKS)
TEXT = st.text(st.sampled_from(TRICKY) | st.characters(exclude_categories=["Cs"]), max_size=60)


@settings(max_examples=400)
@given(TEXT)
@example("e\u0301 cafe\u0301 Dolla\u0301r – Σίσυφος ﬁne ① x\u0345")
@example("\u0301\u0327a")  # marks first, and in non-canonical order
def test_fold_is_its_definition(text: str) -> None:
    assert fold(text) == folded(text)


@settings(max_examples=200)
@given(TEXT, st.lists(TEXT, max_size=4), TEXT)
@example("A state-of-the-art model", ["Piotr Dollár"], "We use a b c the of 3.5 and don't – naïve a-b.")
def test_search_text_is_its_definition(title: str, authors: list[str], abstract: str) -> None:
    date = dt.date(2024, 1, 1)
    pub = Publication("s", "s.yaml", title, tuple(authors), date, abstract=abstract, tags=("x",))
    assert search_text(pub) == searched(pub)


def test_search_text_of_the_lab_papers() -> None:
    from site_builder.loader import load_publication_file

    papers = sorted((REPO / "content" / "publications").glob("*.yaml"))
    assert len(papers) >= 20
    for path in papers:
        pub = load_publication_file(path).publication
        assert pub is not None
        assert search_text(pub) == searched(pub)
