"""Full-text search over the events' summaries and sources (``tracker log --search TEXT``).

What a search means, on every backend: TEXT is a list of terms separated by spaces; an event
matches when every term occurs in its summary or in its source (a correction's changed summary
or source counts as its own). A term is a word, matched as a whole word (``sanction`` does not
find "sanctions"), or with a trailing ``*`` as the start of a word (``sanction*`` finds both);
``"two words"`` in double quotes is a phrase, those words in that order (``"strategic
partnership"*`` makes its last word a prefix). Matching ignores case and punctuation: words
are runs of letters and digits, so ``U.S.`` is the phrase "u s" and ``Putin's`` the phrase
"putin s". There are no operators: AND, OR and NOT are words like any other. Accents count
(``Pyŏngyang`` is not ``Pyongyang``).

The text reaches SQL only as bound parameters: for SQLite an FTS5 query built here from the
words alone (each phrase quoted, so no FTS5 syntax of the user's is ever parsed), run against
the derived table :data:`tracker.store.derived.SEARCH_TABLE`; for PostgreSQL one
case-insensitive regular expression per term over the same two fields. A term that cannot be
read (an unbalanced double quote; nothing but punctuation) is a :class:`SearchError` naming
the text.
"""

from __future__ import annotations

import re

from events.errors import TrackerError
from events.named import NamedTuple

FIELD = "search"

_TERM = re.compile(r'"([^"]*)"(\*?)|([^\s"]+)')
_WORD = re.compile(r"[^\W_]+")


class SearchError(TrackerError):
    """Search text that is not a list of words and quoted phrases."""


class Term(NamedTuple):
    """Words that must occur in this order; ``prefix``: the last may continue."""

    words: tuple[str, ...]
    prefix: bool = False


def terms(text: str) -> list[Term]:
    """The terms of a search text (see the module docstring), or a :class:`SearchError`."""
    why = problem(text)
    if why is not None:
        raise SearchError(f"search {text!r}: {why}", field=FIELD, value=text)
    return _terms(text)


def problem(text: str) -> str | None:
    """Why ``text`` cannot be searched for (None if it can): what a command line says."""
    if text.count('"') % 2:
        return "a double quote is not closed (a phrase is in double quotes)"
    if not _terms(text):
        return "no word to search for (words are letters and digits)"
    return None


def _terms(text: str) -> list[Term]:
    found: list[Term] = []
    for phrase, star, bare in _TERM.findall(text):
        words = tuple(_WORD.findall(phrase or bare))
        if words:
            found.append(Term(words, bool(star) or bare.endswith("*")))
    return found


def fts5_query(found: list[Term]) -> str:
    """An FTS5 MATCH expression for ``found``: each term a quoted phrase (implicitly ANDed).
    The words hold only letters and digits, so the quotes need no escaping."""
    return " ".join(f'"{" ".join(t.words)}"' + (" *" if t.prefix else "") for t in found)


def postgres_pattern(term: Term) -> str:
    """A PostgreSQL regular expression (``~*``) for one term: its words as whole words
    (``\\m`` ... ``\\M``), anything but letters and digits between them."""
    body = "[^[:alnum:]]+".join(term.words)
    return r"\m" + body + ("" if term.prefix else r"\M")
