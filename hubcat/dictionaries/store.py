"""Dictionaries kept in the catalogue database (``hubcat_dictionaries``), plus the
built-in default dictionary shipped with HubCat (``hubcat/dictionaries/default.yaml``).

Load order is precedence (later wins): the built-in default comes first, then the
stored dictionaries by the time they were (re)loaded.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy import delete, insert, select

from hubcat.db import get_engine
from hubcat.dictionaries.formats import property_resolver, read_file, read_text
from hubcat.dictionaries.model import Dictionary, DictionaryError
from hubcat.models import dictionaries as table
from hubcat.times import iso

DEFAULT_PATH = Path(__file__).with_name('default.yaml')
BUILTIN_NAME = 'hubcat-default'
RESERVED_NAMES = (BUILTIN_NAME, 'unmapped')
_LOCK = threading.Lock()
_BUILTIN: Optional[Dictionary] = None


class DictionaryNotFound(DictionaryError):
    """No dictionary has that name."""


def builtin() -> Dictionary:
    """The default dictionary shipped with HubCat (read once per process)."""
    global _BUILTIN
    with _LOCK:
        if _BUILTIN is None:
            dictionary = read_text(DEFAULT_PATH.read_text(encoding='utf-8'), 'yaml',
                                   default_name=BUILTIN_NAME)
            dictionary.fmt = 'builtin'
            _BUILTIN = dictionary
        return _BUILTIN


def summary(dictionary: Dictionary, loaded: Optional[str] = None, builtin_: bool = False) -> dict:
    """What ``dictionary list`` and ``GET /api/dictionaries`` show of one dictionary."""
    return {'name': dictionary.name, 'source': dictionary.source, 'format': dictionary.fmt,
            'description': dictionary.description, 'entries': len(dictionary.entries),
            'properties': len(dictionary.properties), 'loaded': loaded, 'builtin': builtin_}


class DictionaryStore:
    """Reads and writes the dictionaries of one catalogue database."""

    def __init__(self, database_url: str):
        self.engine = get_engine(database_url)

    def stored(self) -> list[tuple[Dictionary, str]]:
        """(dictionary, loaded timestamp) of every stored dictionary, oldest load first."""
        with self.engine.connect() as conn:
            return self.stored_in(conn)

    @staticmethod
    def stored_in(conn) -> list[tuple[Dictionary, str]]:
        """:meth:`stored`, read in an open connection or transaction."""
        rows = conn.execute(select(table.c.content, table.c.loaded).order_by(table.c.id)).all()
        return [(Dictionary.from_dict(json.loads(r.content)), iso(r.loaded)) for r in rows]

    @classmethod
    def active_in(cls, conn) -> list[Dictionary]:
        """:meth:`active`, read in an open connection or transaction."""
        return [builtin()] + [d for d, _ in cls.stored_in(conn)]

    def active(self) -> list[Dictionary]:
        """Every dictionary in precedence order: the built-in first, later loads after."""
        return [builtin()] + [d for d, _ in self.stored()]

    def list(self) -> list[dict]:
        """Summaries of the built-in and the stored dictionaries, in precedence order."""
        return [summary(builtin(), builtin_=True)] + [summary(d, loaded) for d, loaded
                                                      in self.stored()]

    def get(self, name: str) -> Dictionary:
        """One dictionary by name (the built-in one too)."""
        if name == BUILTIN_NAME:
            return builtin()
        with self.engine.connect() as conn:
            content = conn.execute(select(table.c.content).where(table.c.name == name)).scalar()
        if content is None:
            raise DictionaryNotFound(f'no dictionary named {name!r}')
        return Dictionary.from_dict(json.loads(content))

    def save(self, dictionary: Dictionary, conn=None) -> dict:
        """Store a dictionary; one of the same name is replaced (and the new one counts as
        the latest load).  ``conn``: an open transaction to write in."""
        if dictionary.name in RESERVED_NAMES:
            raise DictionaryError(f'{dictionary.name!r} is reserved (the built-in dictionary, '
                                  'or a path of /api/dictionaries); give yours another name')
        if not dictionary.entries:
            raise DictionaryError(f'dictionary {dictionary.name!r} has no entries')
        now = datetime.now(timezone.utc)
        values = dict(name=dictionary.name, source=dictionary.source, format=dictionary.fmt,
                      description=dictionary.description, entries=len(dictionary.entries),
                      content=json.dumps(dictionary.to_dict(), ensure_ascii=False), loaded=now)
        if conn is None:
            with self.engine.begin() as own:
                return self.save(dictionary, own)
        conn.execute(delete(table).where(table.c.name == dictionary.name))
        conn.execute(insert(table).values(**values))
        return summary(dictionary, iso(now))

    def remove(self, name: str, conn=None) -> None:
        """Delete a stored dictionary; DictionaryNotFound when there is none of that name."""
        if name == BUILTIN_NAME:
            raise DictionaryError(f'{BUILTIN_NAME!r} is built in and cannot be removed')
        if conn is None:
            with self.engine.begin() as own:
                return self.remove(name, own)
        if not conn.execute(delete(table).where(table.c.name == name)).rowcount:
            raise DictionaryNotFound(f'no dictionary named {name!r}')
        return None

    def read(self, path: str, source: Optional[str] = None, fmt: Optional[str] = None
             ) -> Dictionary:
        """Read a dictionary file, resolving property references against the loaded ones,
        scoped to ``source`` when given."""
        dictionary = read_file(path, known=property_resolver(self.active()), fmt=fmt)
        return dictionary.scoped(source)

    def parse(self, text: str, fmt: str, name: str, source: Optional[str] = None) -> Dictionary:
        """:meth:`read` for text (the API's request body)."""
        dictionary = read_text(text, fmt, default_name=name,
                               known=property_resolver(self.active()))
        return dictionary.scoped(source)
