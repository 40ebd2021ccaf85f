"""What the CLI and the API do with dictionaries: load, remove, show, list.

Loading or removing a dictionary re-applies every dictionary to the existing records
at once, in the same transaction (:mod:`hubcat.dictionaries.apply`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from hubcat.config import Config
from hubcat.dictionaries.model import Dictionary, DictionaryError
from hubcat.dictionaries.store import DictionaryStore, summary


@dataclass
class ChangeReport:
    """What a load or a removal did: the dictionary's summary, records re-applied."""
    dictionary: dict
    changed: int = 0

    def as_dict(self) -> dict:
        """JSON-ready dict."""
        return {'dictionary': self.dictionary, 'records_changed': self.changed}


def check_source(config: Config, source: Optional[str]) -> Optional[str]:
    """The source scope as stored (its name), DictionaryError when no such source exists."""
    if not source:
        return None
    from hubcat.sources import SourceError, SourceRegistry
    try:
        return SourceRegistry(config.database_url).get(source).name
    except SourceError as err:
        raise DictionaryError(str(err)) from None


def load(config: Config, dictionary: Dictionary) -> ChangeReport:
    """Store a dictionary (replacing one of the same name) and re-apply to the records."""
    from hubcat.dictionaries.apply import reapply
    store = DictionaryStore(config.database_url)
    with store.engine.begin() as conn:
        info = store.save(dictionary, conn)
        changed = reapply(config, conn)
    return ChangeReport(info, changed)


def load_file(config: Config, path: str, source: Optional[str] = None,
              fmt: Optional[str] = None, name: Optional[str] = None) -> ChangeReport:
    """Read a dictionary file (scoped to ``source``, renamed ``name`` when given) and
    :func:`load` it."""
    scope = check_source(config, source)
    dictionary = DictionaryStore(config.database_url).read(path, scope, fmt)
    if name:
        dictionary.name = name
    return load(config, dictionary)


def remove(config: Config, name: str) -> ChangeReport:
    """Delete a dictionary and re-apply the others (records it mapped get raw values back)."""
    from hubcat.dictionaries.apply import reapply
    store = DictionaryStore(config.database_url)
    dictionary = store.get(name)
    with store.engine.begin() as conn:
        store.remove(name, conn)
        changed = reapply(config, conn)
    return ChangeReport(summary(dictionary), changed)


def describe(dictionary: Dictionary) -> dict:
    """A dictionary in full, for ``dictionary show`` and ``GET /api/dictionaries/<name>``."""
    data = summary(dictionary)
    data['units'] = dict(dictionary.units)
    data['entries'] = [{'match': e.kind, 'raw': e.value, 'property': e.prop.label,
                        'uri': e.prop.uri, 'unit': e.prop.unit, 'source': e.source,
                        'things': e.things, 'source_unit': e.source_unit}
                       for e in dictionary.entries]
    data['properties'] = [p.to_dict() for p in dictionary.properties]
    return data
