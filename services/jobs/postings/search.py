"""Keyword search over postings without a Chinese word splitter.

PostgreSQL's text search does not split Chinese into words, and pg_trgm ignores CJK characters under
the C locale (and cannot use its index for the one- and two-character words people type: 保洁, 厨师).
So each posting keeps the characters, the pairs of adjacent CJK characters and the latin words and
numbers of its title, employer and skills as ``search_tokens`` (a GIN-indexed text array), and a
query asks for all of its own tokens (``@>``, answered from the index), then rechecks the candidates
with a plain substring match on ``search_text``.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")
MAX_QUERY_TOKENS = 16


def normalize(text: str) -> str:
    """Full-width forms folded (ＡＢＣ１ → abc1), lower case, runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def tokens(text: str) -> list[str]:
    """Every CJK character and pair of adjacent CJK characters, and every latin word or number."""
    folded = normalize(text)
    found: set[str] = set()
    for run in _CJK.findall(folded):
        found.update(run)
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    found.update(_WORD.findall(folded))
    return sorted(found)


def query_tokens(q: str) -> list[str]:
    """The tokens any text containing ``q`` has: its pairs of CJK characters (a lone character when a
    run has one) and the latin words that ``q`` holds whole (a word touching its start or end may be
    part of a longer one: "elec" of "electrician"); at most 16, which narrow enough."""
    folded = normalize(q)
    wanted: set[str] = set()
    for run in _CJK.findall(folded):
        wanted.update([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    for match in _WORD.finditer(folded):
        if match.start() > 0 and match.end() < len(folded):
            wanted.add(match.group())
    return sorted(wanted)[:MAX_QUERY_TOKENS]


def like_pattern(q: str) -> str:
    """``%q%`` for ``LIKE`` on the normalized text, with the wildcards of ``q`` escaped."""
    text = normalize(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{text}%"


def search_text(*parts: str) -> str:
    return normalize(" | ".join(part for part in parts if part))
