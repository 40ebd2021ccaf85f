"""Parameter dictionaries: raw observed-property names and units -> canonical properties.

Modules, in the order data flows: :mod:`model` (the types), :mod:`formats` (YAML,
CSV, SSSOM files), :mod:`units` (UCUM parsing), :mod:`matching` (precedence),
:mod:`store` (the catalogue database and the built-in default), :mod:`service` (load,
remove, re-apply: what the CLI and the API call).
"""
from hubcat.dictionaries.model import CanonicalProperty, Dictionary, DictionaryError, Entry
from hubcat.dictionaries.store import BUILTIN_NAME, DictionaryNotFound, DictionaryStore, builtin

__all__ = ['BUILTIN_NAME', 'CanonicalProperty', 'Dictionary', 'DictionaryError',
           'DictionaryNotFound', 'DictionaryStore', 'Entry', 'builtin']
