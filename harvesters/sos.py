"""The SOS 1.0.0 / 2.0.0 harvester: fetches GetCapabilities and DescribeSensor over KVP.

Glue only: the mapping lives in :mod:`harvesters.sos_capabilities` (capabilities
to records) and :mod:`harvesters.sensorml` (DescribeSensor to details).

Options (the source's ``options`` dict):

* ``describe_sensor`` (default True): enrich procedures from DescribeSensor;
* ``describe_sensor_limit`` (default: all): describe at most this many procedures;
* ``describe_sensor_give_up`` (default 10): stop asking after this many failures
  before any success (a server without DescribeSensor); requests in flight count,
  so no more than this many ever fail;
* ``use_advertised_urls`` (default False): send DescribeSensor to the URL the
  capabilities advertise instead of the registered endpoint (advertised URLs are
  often internal host names or stale, so the registered one is the default);
* ``max_workers`` (default 4): concurrent DescribeSensor requests;
* ``timeout``, ``retries``: as for every harvester.

A server that does not answer raises :class:`harvesters.base.SourceUnreachable`
(from the HTTP client): the catalogue then marks the source's records offline
``unreachable`` and keeps them.

Version negotiation: a URL that names a version (``version`` or
``AcceptVersions``) gets that one; otherwise AcceptVersions=2.0.0 is asked
first, then 1.0.0 when the answer is an exception.  Whatever capabilities come
back are parsed by their own root namespace.
"""
from __future__ import annotations

import logging
import threading
from typing import Optional

from harvesters.base import BaseHarvester, HarvestError, HarvestResult
from harvesters.http import parse_xml
from harvesters.sensorml import apply_sensor_details, sensorml_to_details
from harvesters.sos_capabilities import (capabilities_to_records, capabilities_version,
                                         describe_sensor_params, exception_message,
                                         normalise_sos_url, parse_service, requested_version)
from hubcat.records import PROCEDURE, CatalogRecord

LOGGER = logging.getLogger(__name__)

VERSIONS = ('2.0.0', '1.0.0')
ACCEPT_XML = 'application/xml, text/xml;q=0.9, */*;q=0.1'


def option_flag(value, default: bool) -> bool:
    """A boolean option that may come from a config file as text ('false', '0', 'no')."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ('false', '0', 'no', 'off', '')
    return bool(value)


def looks_like_html(content: bytes, content_type: str = '') -> bool:
    """True when an answer is an HTML page (by media type or by its first tag)."""
    if 'html' in (content_type or '').lower() and 'xml' not in (content_type or '').lower():
        return True
    head = content[:512].lstrip(b'\xef\xbb\xbf \t\r\n').lower()
    return head.startswith((b'<!doctype html', b'<html'))


class SensorObservationServiceHarvester(BaseHarvester):
    """Harvests an OGC Sensor Observation Service (1.0.0 or 2.0.0)."""

    source_type = 'sos'

    def __init__(self, url: str, options: Optional[dict] = None, client=None, progress=None):
        """See :class:`harvesters.base.BaseHarvester`; ``max_workers`` bounds DescribeSensor."""
        super().__init__(url, options, client, progress)
        self.base = normalise_sos_url(url)

    @classmethod
    def normalise_url(cls, url: str) -> str:
        """The endpoint without service/request/version parameters."""
        return normalise_sos_url(url)

    # ---- the harvest ----------------------------------------------------------------
    def harvest(self) -> HarvestResult:
        """GetCapabilities, map, then (optionally) DescribeSensor for every procedure."""
        start = self.client.requests
        warnings: list[str] = []
        notices: list[str] = []
        root = self.fetch_capabilities()
        version = capabilities_version(root)
        records = capabilities_to_records(root, self.url, notices,
                                          source_name=self.options.get('source_name'))
        procedures = [r for r in records if r.kind == PROCEDURE]
        self.progress(1, None, f'capabilities: SOS {version}, {len(records) - 1 - len(procedures)} '
                               f'offerings, {len(procedures)} procedures')
        if option_flag(self.options.get('describe_sensor'), True) and procedures:
            endpoint = self.base
            if option_flag(self.options.get('use_advertised_urls'), False):
                endpoint = parse_service(root, version).operations.get('DescribeSensor') or self.base
            limit = self.options.get('describe_sensor_limit')
            todo = procedures[:int(limit)] if limit is not None else procedures
            warnings.extend(self.describe_sensors(todo, version, endpoint))
        for line in notices:
            LOGGER.info('%s: %s', self.base, line)
        for line in warnings:
            LOGGER.warning('%s: %s', self.base, line)
        return HarvestResult(records=records, requests=self.client.requests - start,
                             warnings=warnings, notices=notices, complete=True)

    def fetch_capabilities(self):
        """The capabilities root element, after version negotiation (see the module docstring).

        :raises HarvestError: one line saying why no capabilities came back
        """
        wanted = requested_version(self.url)
        failures = []
        for version in ([wanted] if wanted else VERSIONS):
            root = self.fetch_xml(self.base, {'service': 'SOS', 'request': 'GetCapabilities',
                                              'AcceptVersions': version})
            if root.tag.rpartition('}')[2] == 'ExceptionReport':
                failures.append(f'AcceptVersions={version}: {exception_message(root)}')
                continue
            capabilities_version(root)  # raises for a document that is not SOS capabilities
            return root
        raise HarvestError(f'{self.base}: no SOS capabilities; the server answered with an '
                           f'exception ({"; ".join(failures)})')

    def fetch_xml(self, url: str, params: dict):
        """GET and safely parse an XML answer; an HTML page or broken XML is a HarvestError.

        An HTTP error status is accepted when its body is an ows:ExceptionReport
        (SOS servers answer so), so the caller can read the exception.
        """
        resp = self.client.get(url, params=params, accept=ACCEPT_XML)
        content = resp.content or b''
        if looks_like_html(content, resp.headers.get('Content-Type', '')):
            raise HarvestError(f'{url}: answered with an HTML page (HTTP {resp.status_code}), '
                               'not an SOS document')
        if not content.strip():
            raise HarvestError(f'{url}: empty answer (HTTP {resp.status_code})')
        try:
            root = parse_xml(content, url)
        except HarvestError:
            if resp.status_code >= 400:
                raise HarvestError(f'{url}: HTTP {resp.status_code}') from None
            raise
        if resp.status_code >= 400 and root.tag.rpartition('}')[2] != 'ExceptionReport':
            raise HarvestError(f'{url}: HTTP {resp.status_code}')
        return root

    # ---- DescribeSensor --------------------------------------------------------------
    def describe_sensors(self, procedures: list[CatalogRecord], version: str,
                         endpoint: str) -> list[str]:
        """Enrich procedure records in place from DescribeSensor, ``max_workers`` at a time.

        A procedure whose description fails keeps its capabilities-only record.
        :returns: warnings (one per failed procedure, one if the harvester gave up)
        """
        give_up = int(self.options.get('describe_sensor_give_up', 10))
        state = {'ok': 0, 'failed': 0, 'skipped': 0, 'in_flight': 0}
        settled = threading.Condition()
        total = len(procedures)

        def may_ask() -> bool:
            """Wait until asking cannot exceed ``give_up`` failures before a success: while
            no success is known, requests in flight count as possible failures."""
            with settled:
                while state['ok'] == 0 and state['failed'] + state['in_flight'] >= give_up:
                    if state['failed'] >= give_up:
                        state['skipped'] += 1
                        return False
                    settled.wait()
                state['in_flight'] += 1
                return True

        def describe(record: CatalogRecord) -> Optional[str]:
            if not may_ask():
                return None
            procedure = record.slots['procedure'][0]
            fmt = record.slots['procedureDescriptionFormat'][0]
            outcome = 'failed'
            try:
                root = self.fetch_xml(endpoint, describe_sensor_params(version, procedure, fmt))
                apply_sensor_details(record, sensorml_to_details(root))
                outcome = 'ok'
            except HarvestError as err:
                return f'DescribeSensor {procedure}: {err}'
            finally:
                with settled:
                    state[outcome] += 1
                    state['in_flight'] -= 1
                    settled.notify_all()
            self.progress(state['ok'], total, f'described {procedure}')
            return None

        warnings = [w for w in self.client.map(describe, procedures) if w]
        if state['skipped']:
            warnings.append(f'DescribeSensor failed {state["failed"]} times without a success: '
                            f'{state["skipped"]} procedures kept from the capabilities only')
        return warnings
