"""OGC CQL2 (21-065r2): the text and JSON encodings read into one small syntax tree.

Public surface: :func:`parse` (either encoding), :class:`Cql2Error`, and the node types of
:mod:`hubcat.cql2.nodes`.  Nothing here knows about SQL or queryables: the OGC API -
Records items search turns the tree into an OGC Filter (:mod:`hubcat.oarec.cql2`), which
HubCat's own filter translation (:mod:`hubcat.filters.sql`) runs with bound values.
"""
from hubcat.cql2.json_encoding import parse_json
from hubcat.cql2.nodes import Cql2Error
from hubcat.cql2.text import parse_text

#: filter-lang values -> readers
LANGUAGES = {'cql2-text': parse_text, 'cql2-json': parse_json}


def parse(text: str, language: str = 'cql2-text'):
    """The syntax tree of a filter in ``language`` (``cql2-text`` or ``cql2-json``).

    :raises Cql2Error: an unknown language, or a filter that does not follow its grammar
    """
    if language not in LANGUAGES:
        raise Cql2Error(f'filter-lang {language!r} is not supported; use '
                        + ' or '.join(LANGUAGES))
    return LANGUAGES[language](text)


__all__ = ['Cql2Error', 'LANGUAGES', 'parse', 'parse_json', 'parse_text']
