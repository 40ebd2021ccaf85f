"""``hubcat load DIR``: plain metadata records (Dublin Core, ISO 19139, ...) into the catalogue.

Each file goes through the path a CSW-T ``Insert`` takes (pycsw parses and
validates the record, the repository stores it), one Transaction per file, so a
bad file is reported in one line and the others still load.  Loading a file
whose identifier is already stored replaces that record (CSW-T Update).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from lxml import etree

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)
CSW = 'http://www.opengis.net/cat/csw/2.0.2'
OWS = 'http://www.opengis.net/ows'
#: root elements of the metadata records pycsw can store
RECORD_ROOTS = {
    f'{{{CSW}}}Record': 'Dublin Core',
    '{http://www.isotc211.org/2005/gmd}MD_Metadata': 'ISO 19139',
    '{http://www.isotc211.org/2005/gmi}MI_Metadata': 'ISO 19139-2',
    '{http://www.fgdc.gov}metadata': 'FGDC',
    'metadata': 'FGDC',
    '{http://purl.org/dc/elements/1.1/}dc': 'Dublin Core',
    '{http://www.w3.org/2005/Atom}entry': 'Atom',
}


@dataclass
class LoadReport:
    """What one load did: inserted/updated record counts and one line per bad file."""
    inserted: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line: inserted, updated, failed."""
        return (f'{self.inserted} inserted, {self.updated} updated, '
                f'{len(self.errors)} failed')


class LoadError(Exception):
    """A file that is not a loadable record (the message is one line)."""


def record_files(directory: Path) -> list[Path]:
    """The ``*.xml`` files of a directory and its subdirectories, sorted."""
    if not directory.is_dir():
        raise LoadError(f'not a directory: {directory}')
    return sorted(p for p in directory.rglob('*') if p.is_file() and p.suffix.lower() == '.xml')


def read_record(path: Path) -> etree._Element:
    """The record element of one file (safe parser: no entities, no network).

    :raises LoadError: not well-formed, or not a metadata record
    """
    from harvesters.http import safe_xml_parser
    try:
        root = etree.fromstring(path.read_bytes(), safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError, OSError) as err:
        raise LoadError(f'not well-formed XML: {str(err).splitlines()[0]}') from None
    if root.tag not in RECORD_ROOTS:
        raise LoadError(f'not a metadata record: root element {etree.QName(root).localname} '
                        f'(expected csw:Record, gmd:MD_Metadata, ...)')
    return root


def _transaction(action: str, record: etree._Element) -> bytes:
    root = etree.Element(f'{{{CSW}}}Transaction', nsmap={'csw': CSW}, service='CSW',
                         version='2.0.2')
    etree.SubElement(root, f'{{{CSW}}}{action}').append(record)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8')


def _run(config: Config, body: bytes) -> etree._Element:
    from hubcat.csw import run_pycsw
    environ = {'REQUEST_METHOD': 'POST', 'QUERY_STRING': '', 'CONTENT_TYPE': 'application/xml',
               'SERVER_NAME': 'localhost', 'SERVER_PORT': '80', 'wsgi.url_scheme': 'http',
               'REMOTE_ADDR': '127.0.0.1', 'PATH_INFO': '/csw', 'SCRIPT_NAME': '',
               'HTTP_HOST': 'localhost'}
    _, _, content = run_pycsw(config, environ, body, 'http://localhost/csw')
    return etree.fromstring(content)


def _exception_text(answer: etree._Element) -> Optional[str]:
    texts = answer.xpath('//*[local-name()="ExceptionText"]/text()')
    if etree.QName(answer).localname == 'ExceptionReport':
        return ' '.join(' '.join(texts).split()) or 'rejected'
    return None


def load_file(config: Config, path: Path) -> str:
    """Insert (or update, when its identifier is stored) one record file; 'inserted'/'updated'.

    :raises LoadError: the file is not a record, or the catalogue refused it
    """
    record = read_record(path)
    answer = _run(config, _transaction('Insert', record))
    error = _exception_text(answer)
    if error is None:
        return 'inserted'
    if 'unique' in error.lower() or 'duplicate' in error.lower() or 'integrity' in error.lower():
        answer = _run(config, _transaction('Update', record))
        error = _exception_text(answer)
        if error is None:
            return 'updated'
    raise LoadError(error[:300])


def load_directory(config: Config, directory: Path, progress: Optional[Callable] = None,
                   files: Optional[list[Path]] = None) -> LoadReport:
    """Load every ``*.xml`` record file of ``directory`` (see the module docstring).

    :param progress: called as ``progress(done, total, message)`` after each file
    :param files: the files to load (default: :func:`record_files` of ``directory``)
    :returns: the counts and one ``file: reason`` line per file that failed
    :raises LoadError: ``directory`` is not a directory
    """
    files = record_files(directory) if files is None else files
    report = LoadReport()
    for done, path in enumerate(files, 1):
        try:
            outcome = load_file(config, path)
            if outcome == 'inserted':
                report.inserted += 1
            else:
                report.updated += 1
        except LoadError as err:
            report.errors.append(f'{path.relative_to(directory)}: {err}')
        if progress is not None:
            progress(done, len(files), path.name)
    return report
