"""Query errors are logged as the error, without the values of the request (issue 8 point 9).

pycsw logs a failed query with the whole constraint (``Invalid query syntax.  Query:
{'where': ..., 'values': [...]}``) and with the database error, whose text holds the
SQL statement, its parameters and, in some database messages, a value
(``invalid input syntax for type integer: "..."``).  HubCat's engines hide
parameters (``hide_parameters=True`` in :mod:`hubcat.db`), and
:class:`RedactQueryErrors`, put on pycsw's loggers by :func:`install`, rewrites
their records (and those of the Flask app): a constraint is logged as its SQL text (placeholders only, see
:mod:`hubcat.sql_guard`), a database error as its class, SQLSTATE and first line
with every quoted part replaced by ``?``, and no traceback of a database error.
"""
from __future__ import annotations

import logging
import re
from typing import Optional

#: loggers that log failed queries and transactions: pycsw's, HubCat's CSW layer
#: (``hubcat.csw``: an exception pycsw does not catch, such as a failed Transaction Delete)
#: and the Flask app's (``hubcat``)
LOGGERS = ('pycsw.ogc.csw.csw2', 'pycsw.ogc.csw.csw3', 'pycsw.core.repository', 'pycsw.server',
           'pycsw.ogc.fes.fes1', 'pycsw.ogc.fes.fes2', 'pycsw.opensearch', 'hubcat', 'hubcat.csw')
_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')


def database_error(exc: Optional[BaseException]) -> Optional[BaseException]:
    """The SQLAlchemy/DB-API error in ``exc``'s chain (itself, cause or context), None if none."""
    from sqlalchemy.exc import SQLAlchemyError
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, SQLAlchemyError) or type(exc).__module__.split('.')[0] in ('sqlite3', 'psycopg2'):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def describe(error: BaseException) -> str:
    """``Class (SQLSTATE x): first line`` of a database error, every quoted part replaced by ``?``."""
    orig = getattr(error, 'orig', None) or error
    code = getattr(orig, 'pgcode', None)
    line = (str(orig).strip().splitlines() or [''])[0]
    line = _QUOTED.sub('?', line.split('[SQL:')[0]).strip()
    state = f' (SQLSTATE {code})' if code else ''
    return f'database error {type(orig).__name__}{state}: {line}'


def _redact_arg(arg):
    if isinstance(arg, dict) and ('values' in arg or 'where' in arg):
        return f"constraint {arg.get('where', '')!r} (values not logged)"
    if isinstance(arg, BaseException):
        error = database_error(arg)
        if error is not None:
            return describe(error)
    return arg


class RedactQueryErrors(logging.Filter):
    """Drops request values from pycsw's log records of failed queries (see module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place; always keeps it."""
        if isinstance(record.msg, BaseException):
            record.msg = str(_redact_arg(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict) and _redact_arg(record.args) is not record.args:
            record.args = (_redact_arg(record.args),)  # logging unpacks a lone mapping argument
        error = database_error(record.exc_info[1]) if record.exc_info else None
        if error is not None:
            message, summary = record.getMessage(), describe(error)
            record.msg = message if summary in message else f'{message} [{summary}]'
            record.args = ()
            record.exc_info = record.exc_text = None
        return True


_FILTER = RedactQueryErrors()


def install() -> None:
    """Put :class:`RedactQueryErrors` on the loggers of :data:`LOGGERS` (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
