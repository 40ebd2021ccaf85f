"""Reading dictionary files: YAML, CSV and SSSOM mapping tables (docs/dictionaries.md).

Each reader turns text into a :class:`~hubcat.dictionaries.model.Dictionary`; every
problem is a :class:`~hubcat.dictionaries.model.DictionaryError` naming the place.
A mapping may name a property defined elsewhere (``property: air_temperature``): the
``known`` callback resolves it (by key, label or URI) among the loaded dictionaries.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Callable, Iterable, Optional

import yaml

from hubcat.dictionaries.model import (ENTRY_KINDS, NAME, PATTERN, URI, CanonicalProperty,
                                       Dictionary, DictionaryError, Entry, is_uri,
                                       normalise_uri)

Resolver = Callable[[str], Optional[CanonicalProperty]]
FORMATS = ('yaml', 'csv', 'sssom')
#: SSSOM predicates read as "the subject means the object"; other rows are skipped
SSSOM_PREDICATES = {'skos:exactMatch', 'skos:closeMatch', 'skos:narrowMatch',
                    'owl:equivalentClass', 'owl:equivalentProperty', 'owl:sameAs'}


def detect_format(path: str) -> str:
    """The format a file name implies: ``.yaml``/``.yml``, ``.csv``, ``.sssom.tsv``/``.tsv``."""
    lower = path.lower()
    if lower.endswith(('.yaml', '.yml')):
        return 'yaml'
    if lower.endswith('.csv'):
        return 'csv'
    if lower.endswith('.tsv'):
        return 'sssom'
    raise DictionaryError(f'{path}: unknown dictionary format (use .yaml, .csv or .sssom.tsv)')


def read_file(path: str, known: Optional[Resolver] = None, fmt: Optional[str] = None) -> Dictionary:
    """Read a dictionary file; its name defaults to the file name without extensions."""
    try:
        text = Path(path).read_text(encoding='utf-8-sig')
    except (OSError, UnicodeDecodeError) as err:
        raise DictionaryError(f'cannot read {path}: {err}') from None
    stem = Path(path).name.split('.')[0]
    return read_text(text, fmt or detect_format(path), default_name=stem, known=known)


def read_text(text: str, fmt: str, default_name: str = 'dictionary',
              known: Optional[Resolver] = None) -> Dictionary:
    """Read dictionary text of the given format (yaml, csv, sssom)."""
    readers = {'yaml': read_yaml, 'csv': read_csv, 'sssom': read_sssom}
    if fmt not in readers:
        raise DictionaryError(f'unknown dictionary format {fmt!r} (use {", ".join(FORMATS)})')
    return readers[fmt](text, default_name, known)


# ---- helpers shared by the readers ---------------------------------------------------
def _slug(label: str) -> str:
    return re.sub(r'[^a-z0-9]+', '_', label.casefold()).strip('_') or 'property'


def _list(value, where: str) -> list[str]:
    if value is None or value == '':
        return []
    if isinstance(value, (str, int, float)):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise DictionaryError(f'{where}: expected a text or a list of texts')


def _text(value, where: str) -> str:
    if value is None:
        return ''
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    raise DictionaryError(f'{where}: expected a text')


def _check_pattern(pattern: str, where: str) -> None:
    try:
        re.compile(pattern)
    except re.error as err:
        raise DictionaryError(f'{where}: bad regular expression {pattern!r}: {err}') from None


def _entry(kind: str, value: str, prop: CanonicalProperty, where: str, source=None, things=None,
           source_unit=None) -> Entry:
    if kind not in ENTRY_KINDS:
        raise DictionaryError(f'{where}: unknown match type {kind!r} (use name, uri or pattern)')
    value = value.strip()
    if not value:
        raise DictionaryError(f'{where}: empty {kind}')
    if kind == PATTERN:
        _check_pattern(value, where)
    return Entry(kind, value, prop, source or None, things or None, source_unit or None)


def _property(data: dict, where: str, default_key: str = '') -> CanonicalProperty:
    label = _text(data.get('label'), f'{where}.label')
    if not label:
        raise DictionaryError(f'{where}: a property needs a label')
    return CanonicalProperty(
        key=_text(data.get('id') or data.get('key'), f'{where}.id') or default_key or _slug(label),
        label=label, uri=_text(data.get('uri'), f'{where}.uri'),
        description=_text(data.get('description'), f'{where}.description'),
        unit=_text(data.get('unit'), f'{where}.unit'),
        also_units=tuple(_list(data.get('also_units'), f'{where}.also_units')),
        synonyms=tuple(_list(data.get('synonyms'), f'{where}.synonyms')))


def _resolve(ref: str, local: dict[str, CanonicalProperty], known: Optional[Resolver],
             where: str) -> CanonicalProperty:
    ref = ref.strip()
    for prop in local.values():
        if ref in (prop.key, prop.uri) or ref.casefold() == prop.label.casefold():
            return prop
    found = known(ref) if known else None
    if found is None:
        raise DictionaryError(f'{where}: unknown property {ref!r} (define it in this file or '
                              'load the dictionary that does first)')
    return found


def _unit_aliases(data, where: str) -> dict[str, str]:
    """``units:`` is {UCUM code: [spellings]}; returns spelling -> code."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DictionaryError(f'{where}: expected a mapping of UCUM code -> spellings')
    aliases = {}
    for code, spellings in data.items():
        for spelling in _list(spellings, f'{where}.{code}'):
            aliases[spelling] = str(code)
    return aliases


# ---- YAML ------------------------------------------------------------------------------
def read_yaml(text: str, default_name: str = 'dictionary',
              known: Optional[Resolver] = None) -> Dictionary:
    """A YAML dictionary: ``name``, ``description``, ``source``, ``units``, ``properties``
    (each with its ``names``, ``uris``, ``patterns``) and scoped ``mappings``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise DictionaryError(f'not valid YAML: {str(err).splitlines()[0]}') from None
    if not isinstance(data, dict):
        raise DictionaryError('a YAML dictionary is a mapping with "properties" and/or "mappings"')
    props = data.get('properties') or []
    maps = data.get('mappings') or []
    if not isinstance(props, list) or not isinstance(maps, list):
        raise DictionaryError('"properties" and "mappings" are lists')
    if not props and not maps:
        raise DictionaryError('the dictionary has no "properties" and no "mappings"')
    entries: list[Entry] = []
    local: dict[str, CanonicalProperty] = {}
    for i, item in enumerate(props):
        where = f'properties[{i}]'
        if not isinstance(item, dict):
            raise DictionaryError(f'{where}: expected a mapping')
        prop = _property(item, where)
        local[prop.key] = prop
        things = _text(item.get('things'), f'{where}.things')
        source = _text(item.get('source'), f'{where}.source')
        for kind, key in ((NAME, 'names'), (URI, 'uris'), (PATTERN, 'patterns')):
            for value in _list(item.get(key), f'{where}.{key}'):
                entries.append(_entry(kind, value, prop, f'{where}.{key}', source, things))
        for value in [prop.label, *prop.synonyms]:
            entries.append(_entry(NAME, value, prop, where, source, things))
        if prop.uri:
            entries.append(_entry(URI, prop.uri, prop, where, source, things))
    for i, item in enumerate(maps):
        where = f'mappings[{i}]'
        if not isinstance(item, dict):
            raise DictionaryError(f'{where}: expected a mapping')
        kinds = [k for k in ENTRY_KINDS if item.get(k)]
        if len(kinds) != 1:
            raise DictionaryError(f'{where}: give exactly one of name, uri, pattern')
        ref = item.get('property')
        if isinstance(ref, dict):
            prop = _property(ref, f'{where}.property')
        elif ref:
            prop = _resolve(_text(ref, f'{where}.property'), local, known, where)
        else:
            raise DictionaryError(f'{where}: a mapping needs a property')
        entries.append(_entry(kinds[0], _text(item[kinds[0]], f'{where}.{kinds[0]}'), prop, where,
                              _text(item.get('source'), f'{where}.source'),
                              _text(item.get('things'), f'{where}.things'),
                              _text(item.get('source_unit'), f'{where}.source_unit')))
    name = _text(data.get('name'), 'name') or default_name
    dictionary = Dictionary(name=name, entries=entries,
                            description=_text(data.get('description'), 'description'),
                            units=_unit_aliases(data.get('units'), 'units'), fmt='yaml')
    return dictionary.scoped(_text(data.get('source'), 'source') or None)


# ---- CSV -------------------------------------------------------------------------------
CSV_COLUMNS = ('raw', 'match', 'property', 'label', 'uri', 'description', 'unit', 'synonyms',
               'source', 'things', 'source_unit')


def read_csv(text: str, default_name: str = 'dictionary',
             known: Optional[Resolver] = None) -> Dictionary:
    """A CSV dictionary: one mapping per row with the columns of :data:`CSV_COLUMNS`
    (``raw`` and either ``property`` or ``label`` are required; ``match`` is name, uri
    or pattern, by default uri for a URI and name otherwise; ``synonyms`` split on ``;``)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if 'raw' not in header or not ({'property', 'label'} & set(header)):
        raise DictionaryError('a CSV dictionary needs a header with "raw" and "property" or "label"')
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        raise DictionaryError(f'unknown CSV column(s): {", ".join(sorted(unknown))} '
                              f'(known: {", ".join(CSV_COLUMNS)})')
    entries: list[Entry] = []
    local: dict[str, CanonicalProperty] = {}
    for line, row in enumerate(reader, start=2):
        row = {(k or '').strip(): (v or '').strip() for k, v in row.items() if k}
        where = f'line {line}'
        if not any(row.values()):
            continue
        raw = row.get('raw', '')
        if row.get('label'):
            prop = _property({**row, 'synonyms': [s for s in row.get('synonyms', '').split(';')
                                                  if s.strip()]}, where)
            prop = local.setdefault(prop.key, prop)
        elif row.get('property'):
            prop = _resolve(row['property'], local, known, where)
        else:
            raise DictionaryError(f'{where}: give a property or a label')
        kind = row.get('match') or (URI if is_uri(raw) else NAME)
        entries.append(_entry(kind, raw, prop, where, row.get('source'), row.get('things'),
                              row.get('source_unit')))
    if not entries:
        raise DictionaryError('the CSV dictionary has no rows')
    return Dictionary(name=default_name, entries=entries, fmt='csv')


# ---- SSSOM -----------------------------------------------------------------------------
def _sssom_parts(text: str) -> tuple[dict, list[dict]]:
    meta_lines = [line[1:] for line in text.splitlines() if line.startswith('#')]
    body = '\n'.join(line for line in text.splitlines() if not line.startswith('#'))
    try:
        meta = yaml.safe_load('\n'.join(meta_lines)) if meta_lines else {}
    except yaml.YAMLError as err:
        raise DictionaryError(f'bad SSSOM metadata block: {str(err).splitlines()[0]}') from None
    rows = list(csv.DictReader(io.StringIO(body), delimiter='\t'))
    return (meta if isinstance(meta, dict) else {}), rows


def _expand(curie: str, prefixes: dict) -> str:
    if not curie or is_uri(curie):
        return curie
    prefix, sep, local = curie.partition(':')
    if sep and prefix in prefixes:
        return f'{prefixes[prefix]}{local}'
    return curie


def read_sssom(text: str, default_name: str = 'dictionary',
               known: Optional[Resolver] = None) -> Dictionary:
    """An SSSOM mapping table (TSV with an optional ``#`` YAML metadata block): subject =
    the raw term (``subject_label`` as a name, ``subject_id`` as a URI), object = the
    canonical property (``object_id`` URI, ``object_label``); rows whose ``predicate_id``
    is not in :data:`SSSOM_PREDICATES` are skipped."""
    meta, rows = _sssom_parts(text)
    prefixes = dict(meta.get('curie_map') or {})
    needed = {'subject_id', 'predicate_id', 'object_id'}
    if not rows or not needed <= set(rows[0]):
        raise DictionaryError('an SSSOM table needs the columns subject_id, predicate_id, object_id')
    entries: list[Entry] = []
    local: dict[str, CanonicalProperty] = {}
    for line, row in enumerate(rows, start=1):
        row = {k: (v or '').strip() for k, v in row.items() if k}
        if row.get('predicate_id') not in SSSOM_PREDICATES:
            continue
        where = f'mapping {line}'
        object_uri = _expand(row['object_id'], prefixes)
        prop = local.get(object_uri) or (known(object_uri) if known else None)
        if prop is None:
            label = row.get('object_label') or ''
            if not label:
                raise DictionaryError(f'{where}: object {row["object_id"]} is unknown and has '
                                      'no object_label')
            prop = CanonicalProperty(key=_slug(label), label=label, uri=object_uri)
        local[object_uri] = prop
        subject_uri = _expand(row.get('subject_id', ''), prefixes)
        if row.get('subject_label'):
            entries.append(_entry(NAME, row['subject_label'], prop, where))
        if subject_uri and is_uri(subject_uri):
            entries.append(_entry(URI, subject_uri, prop, where))
        elif subject_uri and not row.get('subject_label'):
            entries.append(_entry(NAME, subject_uri.partition(':')[2] or subject_uri, prop, where))
    if not entries:
        raise DictionaryError('the SSSOM table has no usable mapping '
                              f'(predicates read: {", ".join(sorted(SSSOM_PREDICATES))})')
    name = str(meta.get('mapping_set_id') or '').rstrip('/').rsplit('/', 1)[-1] or default_name
    name = re.sub(r'\.sssom(\.tsv)?$', '', name)
    return Dictionary(name=name, entries=entries,
                      description=str(meta.get('mapping_set_description') or ''), fmt='sssom')


def property_resolver(dictionaries: Iterable[Dictionary]) -> Resolver:
    """A resolver over loaded dictionaries: a key, label, URI or a URI an entry maps
    -> its property (the newest dictionary wins)."""
    table: dict[str, CanonicalProperty] = {}
    for dictionary in dictionaries:
        for entry in dictionary.entries:
            if entry.kind == URI:
                table[normalise_uri(entry.value)] = entry.prop
        for prop in dictionary.properties:
            for ref in (prop.key, prop.label.casefold(), prop.uri and normalise_uri(prop.uri)):
                if ref:
                    table[ref] = prop

    def resolve(ref: str) -> Optional[CanonicalProperty]:
        ref = ref.strip()
        return (table.get(ref) or table.get(ref.casefold())
                or (table.get(normalise_uri(ref)) if is_uri(ref) else None))
    return resolve
