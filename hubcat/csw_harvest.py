"""CSW-T Harvest of sensor services: a Harvest whose ResourceType names STA or SOS.

It registers the service as a HubCat source (HarvestInterval becomes its
schedule), runs HubCat's harvester at once and answers with the
HarvestResponse CSW specifies.  Other ResourceTypes go on to pycsw unchanged.
"""
from __future__ import annotations

import logging
import re
from typing import Optional

from lxml import etree

from hubcat.config import Config
from hubcat.csw import CswRequest
from hubcat.ows import exception_report

LOGGER = logging.getLogger(__name__)

#: ResourceType URI -> HubCat source type
RESOURCE_TYPES = {
    'http://www.opengis.net/doc/IS/sensorthings/1.1': 'sta',
    'http://www.opengis.net/doc/IS/sensorthings/1.0': 'sta',
    'http://www.opengis.net/sos/1.0': 'sos',
    'http://www.opengis.net/sos/2.0': 'sos',
}
CSW_NS = {'2.0.2': 'http://www.opengis.net/cat/csw/2.0.2', '3.0.0': 'http://www.opengis.net/cat/csw/3.0'}
XML = 'application/xml; charset=UTF-8'
_DURATION = re.compile(r'^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?'
                       r'(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$')


def parse_iso_duration(text: str) -> int:
    """Seconds of an xs:duration such as P1D, PT1H, PT15M, P1DT12H (no years or months).

    :raises ValueError: for anything else
    """
    match = _DURATION.match((text or '').strip())
    if not match or not any(match.groupdict().values()):
        raise ValueError(f'not a duration HubCat can schedule: {text!r} (use e.g. PT1H, P1D)')
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    seconds = int(parts['d'] * 86400 + parts['h'] * 3600 + parts['m'] * 60 + parts['s'])
    if seconds <= 0:
        raise ValueError(f'a harvest interval must be positive: {text!r}')
    return seconds


def harvest_parameters(request: CswRequest) -> Optional[dict]:
    """source, resourcetype, harvestinterval of a Harvest request (KVP or XML), or None."""
    if request.method == 'GET':
        kvp = request.kvp
        return {'source': kvp.get('source', ''), 'resourcetype': kvp.get('resourcetype', ''),
                'harvestinterval': kvp.get('harvestinterval', '')}
    root = request.xml_root
    if root is None:
        return None

    def child(name):
        found = [el for el in root if isinstance(el.tag, str) and etree.QName(el).localname == name]
        return (found[0].text or '').strip() if found else ''
    return {'source': child('Source'), 'resourcetype': child('ResourceType'),
            'harvestinterval': child('HarvestInterval')}


def harvest_hook(config: Config, request: CswRequest, _http_request) -> Optional[tuple]:
    """Answer a Harvest of an STA or SOS resource; None lets pycsw handle the request.

    The Source of every Harvest, whatever its ResourceType, must pass the harvest URL
    policy (http/https, deny-list, private networks): a refused one gets an
    ExceptionReport and nothing is fetched.
    """
    if request.operation != 'Harvest':
        return None
    params = harvest_parameters(request)
    if params is None:
        return None
    version = request.version

    def fail(code, locator, text):
        return 200, XML, exception_report(code, locator, text, version)

    if params['source']:
        from hubcat.url_policy import UrlPolicy, UrlRefused
        try:
            UrlPolicy.from_config(config).check(params['source'].strip())
        except UrlRefused as err:
            return fail('InvalidParameterValue', 'Source', f'Source refused: {err}')
    if params['resourcetype'] not in RESOURCE_TYPES:
        from hubcat.pycsw_fetch import install
        install()   # pycsw fetches the Source (and its redirects) under the policy too
        return None
    if not params['source']:
        return fail('MissingParameterValue', 'Source', 'Harvest needs a Source URL')
    schedule = None
    if params['harvestinterval']:
        try:
            schedule = f'every:{parse_iso_duration(params["harvestinterval"])}'
        except ValueError as err:
            return fail('InvalidParameterValue', 'HarvestInterval', str(err))
    return _harvest(config, params['source'], RESOURCE_TYPES[params['resourcetype']], schedule,
                    version, fail)


def _harvest(config: Config, url: str, source_type: str, schedule, version: str, fail):
    from hubcat.catalogue import Catalogue
    from hubcat.harvest import SourceBusy, run_harvest
    from hubcat.sources import SourceError, SourceRegistry
    from hubcat.urls import redact_url
    registry = SourceRegistry.for_config(config)
    url = url.strip()
    existing = registry.same_endpoint(url, source_type)
    if existing is not None and existing.url != url:
        return fail('InvalidParameterValue', 'Source',
                    f'source {existing.name!r} (id {existing.id}) already harvests this endpoint '
                    f'as {existing.display_url}; harvest it by that URL')
    created = False
    try:
        if existing is not None:
            source = existing
            if schedule:
                source = registry.update(source.id, schedule=schedule)
        else:
            source = registry.add(url, source_type, schedule=schedule)
            created = True
    except SourceError as err:
        return fail('InvalidParameterValue', 'Source', str(err))
    try:
        report = run_harvest(config, source.id, trigger='csw-t')
    except SourceBusy as err:
        return fail('NoApplicableCode', 'Source', str(err))
    if report.outcome == 'failed':
        if created:
            registry.remove(source.id)
        return fail('NoApplicableCode', 'Source',
                    f'harvest of {redact_url(url)} failed: {"; ".join(report.errors)}')
    if schedule:
        from hubcat.scheduler import sources_changed
        sources_changed(config.database_url)   # a scheduler in this process follows at once
    inserted = Catalogue(config.database_url, config.table).briefs(report.inserted)
    return 200, XML, harvest_response(version, report.counts, inserted)


def harvest_response(version: str, counts: dict, inserted: list[dict]) -> bytes:
    """A csw:HarvestResponse with its TransactionResponse (summary and inserted BriefRecords)."""
    ns = CSW_NS.get(version, CSW_NS['2.0.2'])
    dc = 'http://purl.org/dc/elements/1.1/'
    root = etree.Element(f'{{{ns}}}HarvestResponse', nsmap={'csw': ns, 'dc': dc})
    tr = etree.SubElement(root, f'{{{ns}}}TransactionResponse', version=version)
    summary = etree.SubElement(tr, f'{{{ns}}}TransactionSummary')
    etree.SubElement(summary, f'{{{ns}}}totalInserted').text = str(counts.get('added', 0))
    etree.SubElement(summary, f'{{{ns}}}totalUpdated').text = str(counts.get('updated', 0))
    etree.SubElement(summary, f'{{{ns}}}totalDeleted').text = '0'
    if inserted:
        result = etree.SubElement(tr, f'{{{ns}}}InsertResult')
        for row in inserted:
            brief = etree.SubElement(result, f'{{{ns}}}BriefRecord')
            etree.SubElement(brief, f'{{{dc}}}identifier').text = row['identifier']
            etree.SubElement(brief, f'{{{dc}}}title').text = row['title'] or ''
            etree.SubElement(brief, f'{{{dc}}}type').text = row['type'] or ''
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)
