"""A full-text index of ``csw:AnyText`` for SQLite catalogues (FTS5, trigram tokenizer).

pycsw answers ``csw:AnyText LIKE '%words%'`` on SQLite by reading every row's
free text.  HubCat keeps an FTS5 table ``<table>_fts`` over the ``anytext``
column (external content, maintained by triggers) and puts a lookup of the
pattern's literal fragments in front of the LIKE: the trigram tokenizer matches
substrings without regard to case, so the lookup returns every row the LIKE can
match (and maybe a few more); the LIKE on the row still decides.  Fragments
shorter than three characters cannot use the index: such a pattern keeps the
plain LIKE.  (PostgreSQL uses pycsw's tsvector GIN index instead.)
"""
from __future__ import annotations

import re
from typing import Optional

#: the trigram tokenizer indexes sequences of three characters
MIN_FRAGMENT = 3
_ANYTEXT_LIKE = re.compile(
    r"(?<![\w.])anytext\s+like\s+(?P<pattern>:pvalue(?P<index>\d+))"
    r"(?:\s+escape\s+:pvalue(?P<escape>\d+))?", re.IGNORECASE)


def ddl(table: str) -> list[str]:
    """Statements that create the FTS5 table and its triggers (idempotent)."""
    fts = f'{table}_fts'
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(anytext, content='{table}', "
        "content_rowid='rowid', tokenize='trigram')",
        f'CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN '
        f'INSERT INTO {fts}(rowid, anytext) VALUES (new.rowid, new.anytext); END',
        f'CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN '
        f"INSERT INTO {fts}({fts}, rowid, anytext) VALUES ('delete', old.rowid, old.anytext); END",
        f'CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF anytext ON {table} BEGIN '
        f"INSERT INTO {fts}({fts}, rowid, anytext) VALUES ('delete', old.rowid, old.anytext); "
        f'INSERT INTO {fts}(rowid, anytext) VALUES (new.rowid, new.anytext); END',
    ]


def rebuild(table: str) -> str:
    """The statement that (re)indexes every row already in ``table``."""
    return f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')"


def fragments(pattern: str, escape: Optional[str]) -> list[str]:
    """The literal pieces of an SQL LIKE pattern (between unescaped ``%`` and ``_``)."""
    pieces, current, i = [], [], 0
    while i < len(pattern):
        char = pattern[i]
        if escape and char == escape and i + 1 < len(pattern):
            current.append(pattern[i + 1])
            i += 2
            continue
        if char in '%_':
            pieces.append(''.join(current))
            current = []
        else:
            current.append(char)
        i += 1
    pieces.append(''.join(current))
    return [p for p in pieces if p]


def match_query(pattern: str, escape: Optional[str]) -> Optional[str]:
    """An FTS5 query every row matching the LIKE pattern matches; None when the pattern
    has no fragment long enough for the trigram index."""
    usable = [p for p in fragments(pattern, escape) if len(p) >= MIN_FRAGMENT]
    if not usable:
        return None
    return ' AND '.join('"%s"' % p.replace('"', '""') for p in usable)


def prefilter(where: str, values: list, table: str) -> tuple[str, list]:
    """``(where, values)`` with an FTS5 lookup in front of every ``anytext like`` that has
    a fragment of three or more characters (its query bound as a new parameter)."""
    values = list(values)

    def add_lookup(match: re.Match) -> str:
        pattern = values[int(match['index'])]
        escape = values[int(match['escape'])] if match['escape'] else None
        query = match_query(pattern, escape) if isinstance(pattern, str) else None
        if query is None:
            return match.group(0)
        values.append(query)
        lookup = (f'{table}.rowid IN (SELECT rowid FROM {table}_fts '
                  f'WHERE {table}_fts MATCH :pvalue{len(values) - 1})')
        return f'({lookup} AND {match.group(0)})'
    return _ANYTEXT_LIKE.sub(add_lookup, where), values
