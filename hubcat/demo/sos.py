"""The demo's own small SOS: SOS 2.0 GetCapabilities documents generated from the demo data.

The district's water authority republishes the water level of the Ahr river gauges
of the ``incident`` STA service through an SOS (one offering per gauge, named like
the STA Thing, observing the same property definition), so the demo catalogue shows
one dataset behind two services (:mod:`hubcat.demo`, :mod:`hubcat.datasets`).
Only GetCapabilities is answered; any other request gets an OWS ExceptionReport.
"""
from __future__ import annotations

from flask import Flask, Response, request
from lxml import etree

from hubcat.demo import scenario as sc
from hubcat.demo.data import StaDataset

NS = {'sos': 'http://www.opengis.net/sos/2.0', 'swes': 'http://www.opengis.net/swes/2.0',
      'ows': 'http://www.opengis.net/ows/1.1', 'gml': 'http://www.opengis.net/gml/3.2',
      'xlink': 'http://www.w3.org/1999/xlink'}
TITLE = 'Ahr valley river gauges (SOS)'
#: the property the SOS republishes, by its key in :data:`hubcat.demo.scenario.PROPERTIES`
PROPERTY = 'water_level'
BASE_PATH = '/sos/service'


def _el(parent, tag: str, text=None, **attrs):
    prefix, local = tag.split(':')
    node = etree.SubElement(parent, f'{{{NS[prefix]}}}{local}', **attrs)
    if text is not None:
        node.text = text
    return node


def gauge_offerings(service: StaDataset) -> list[dict]:
    """The offerings of the demo SOS: each Thing of ``service`` with a Datastream of
    :data:`PROPERTY` (name, position, phenomenon time of that Datastream)."""
    prop = sc.PROPERTIES[PROPERTY]
    prop_ids = {p['@iot.id'] for p in service.observed_properties if p['name'] == prop.name}
    locations = {loc['@iot.id']: loc for loc in service.locations}
    offerings = []
    for stream in service.datastreams:
        if service.datastream_observed_property.get(stream['@iot.id']) not in prop_ids:
            continue
        thing = service.things[service.datastream_thing[stream['@iot.id']] - 1]
        location = locations[service.thing_locations[thing['@iot.id']][0]]
        lon, lat = location['location']['coordinates']
        code = thing['properties']['stationCode']
        offerings.append({'identifier': f'urn:x-hubcat-demo:sos:offering:{code}',
                          'procedure': f'urn:x-hubcat-demo:sos:procedure:{code}',
                          'name': thing['name'], 'lon': lon, 'lat': lat,
                          'time': stream.get('phenomenonTime', ''),
                          'property': prop.definition})
    return offerings


def capabilities(service: StaDataset, url: str) -> bytes:
    """An SOS 2.0.0 GetCapabilities document of the gauges of ``service``, served at ``url``."""
    root = etree.Element(f'{{{NS["sos"]}}}Capabilities', nsmap=NS, version='2.0.0')
    ident = _el(root, 'ows:ServiceIdentification')
    _el(ident, 'ows:Title', TITLE)
    _el(ident, 'ows:Abstract', 'Water levels of the Ahr river gauges, republished by the '
                               'water authority (fictional demo data).')
    _el(ident, 'ows:ServiceType', 'OGC:SOS')
    _el(ident, 'ows:ServiceTypeVersion', '2.0.0')
    provider = _el(root, 'ows:ServiceProvider')
    _el(provider, 'ows:ProviderName', 'Ahr water authority (demo)')
    operations = _el(root, 'ows:OperationsMetadata')
    for name in ('GetCapabilities', 'GetObservation', 'DescribeSensor'):
        op = _el(operations, 'ows:Operation', name=name)
        http = _el(_el(op, 'ows:DCP'), 'ows:HTTP')
        _el(http, 'ows:Get', **{f'{{{NS["xlink"]}}}href': url + '?'})
    contents = _el(_el(root, 'sos:contents'), 'sos:Contents')
    for n, off in enumerate(gauge_offerings(service), start=1):
        node = _el(_el(contents, 'swes:offering'), 'sos:ObservationOffering')
        _el(node, 'swes:identifier', off['identifier'])
        _el(node, 'swes:name', off['name'])
        _el(node, 'swes:procedure', off['procedure'])
        _el(node, 'swes:procedureDescriptionFormat', 'http://www.opengis.net/sensorml/2.0')
        _el(node, 'swes:observableProperty', off['property'])
        env = _el(_el(node, 'sos:observedArea'), 'gml:Envelope',
                  srsName='http://www.opengis.net/def/crs/EPSG/0/4326')
        _el(env, 'gml:lowerCorner', f"{off['lat']} {off['lon']}")
        _el(env, 'gml:upperCorner', f"{off['lat']} {off['lon']}")
        if '/' in off['time']:
            begin, end = off['time'].split('/')
            period = _el(_el(node, 'sos:phenomenonTime'), 'gml:TimePeriod',
                         **{f'{{{NS["gml"]}}}id': f'phenomenonTime_{n}'})
            _el(period, 'gml:beginPosition', begin)
            _el(period, 'gml:endPosition', end)
        _el(node, 'sos:responseFormat', 'http://www.opengis.net/om/2.0')
        _el(node, 'sos:observationType', sc.MEASUREMENT)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8')


def _exception(code: str, text: str, locator: str) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ows:ExceptionReport '
            f'xmlns:ows="{NS["ows"]}" version="2.0.0"><ows:Exception exceptionCode="{code}" '
            f'locator="{locator}"><ows:ExceptionText>{text}</ows:ExceptionText></ows:Exception>'
            '</ows:ExceptionReport>')
    return Response(body, status=400, mimetype='application/xml')


def create_sos_app(service: StaDataset) -> Flask:
    """A Flask app answering SOS 2.0 KVP GetCapabilities at :data:`BASE_PATH`."""
    app = Flask('hubcat-demo-sos')
    app.config['STA_BASE_PATH'] = BASE_PATH   # serve_in_thread appends it to the URL

    @app.get(BASE_PATH)
    def kvp():
        params = {k.lower(): v for k, v in request.args.items()}
        if params.get('request') != 'GetCapabilities':
            return _exception('OperationNotSupported', 'only GetCapabilities is served',
                              'request')
        versions = params.get('acceptversions') or params.get('version') or '2.0.0'
        if '2.0.0' not in [v.strip() for v in versions.split(',')]:
            return _exception('VersionNegotiationFailed', f'version {versions} is not supported',
                              'AcceptVersions')
        return Response(capabilities(service, request.base_url), mimetype='application/xml')
    return app
