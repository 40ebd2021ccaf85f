"""Issue 9 point 14: one axis-order rule per CRS form, as CSW clients send them
(README "Axis order"), end to end over HTTP with OWSLib (XML POST, CSW 2.0.2 and 3.0: the
3.0 one fails in stock pycsw whatever the CRS, its schema check knows no GML), KVP bbox
and CQL BBOX.

The query box covers Scandinavia (longitude 10..20, latitude 55..70): of the CITE records
only urn:uuid:1ef30a8b... lies there; read with the axes swapped it would cover a stretch of
the Indian Ocean and match nothing."""
from __future__ import annotations

import pytest
from owslib import fes, fes2
from owslib.csw import CatalogueServiceWeb

from cite_fixtures import cite_client, cite_config, cite_records, get_records, record_ids  # noqa: F401
from conftest import LiveServer

LON_LAT = [10, 55, 20, 70]
LAT_LON = [55, 10, 70, 20]
FORMS = [  # (srsName, coordinates in the order that form means)
    (None, LON_LAT),                                            # OWSLib BBox(bbox)
    ('EPSG:4326', LON_LAT),                                     # OWSLib BBox(bbox, crs='EPSG:4326')
    ('http://www.opengis.net/gml/srs/epsg.xml#4326', LON_LAT),  # legacy GML form
    ('urn:ogc:def:crs:OGC:1.3:CRS84', LON_LAT),
    ('urn:ogc:def:crs:EPSG::4326', LAT_LON),                    # QGIS MetaSearch
    ('urn:x-ogc:def:crs:EPSG:6.11:4326', LAT_LON),
    ('http://www.opengis.net/def/crs/EPSG/0/4326', LAT_LON),
]
IDS = ['none', 'EPSG:4326', 'epsg.xml#4326', 'CRS84', 'URN', 'x-URN', 'HTTP URI']


@pytest.fixture(scope='module')
def csw_url(cite_config):
    from hubcat.app import create_app
    server = LiveServer(create_app(cite_config, init_database=False))
    yield server.url + '/csw'
    server.close()


@pytest.fixture(scope='module')
def scandinavia(cite_records) -> set:
    found = {r.identifier for r in cite_records
             if r.box and r.box[0] <= 20 and r.box[2] >= 10 and r.box[1] <= 70 and r.box[3] >= 55}
    assert len(found) == 1
    return found


@pytest.mark.parametrize('srs, box', FORMS, ids=IDS)
@pytest.mark.parametrize('version', ['2.0.2', '3.0.0'])
def test_owslib_bbox(csw_url, scandinavia, srs, box, version):
    csw = CatalogueServiceWeb(csw_url, version=version, timeout=30)
    module = fes if version == '2.0.2' else fes2   # OWSLib writes FES 2.0 for CSW 3.0
    constraint = module.BBox(box) if srs is None else module.BBox(box, crs=srs)
    if version == '2.0.2':
        csw.getrecords2(constraints=[constraint], maxrecords=50, esn='brief')
    else:
        csw.getrecords(constraints=[constraint], maxrecords=50, esn='brief')
    assert set(csw.records) == scandinavia


@pytest.mark.parametrize('srs, box', FORMS, ids=IDS)
def test_kvp_bbox_parameter(cite_client, scandinavia, srs, box):
    value = ','.join(map(str, box)) + ('' if srs is None else f',{srs}')
    assert record_ids(get_records(cite_client, '3.0.0', bbox=value)) == scandinavia


@pytest.mark.parametrize('srs, box', FORMS, ids=IDS)
def test_cql_bbox(cite_client, scandinavia, srs, box):
    crs = '' if srs is None else f", '{srs}'"
    cql = f'BBOX(ows:BoundingBox, {box[0]}, {box[1]}, {box[2]}, {box[3]}{crs})'
    assert record_ids(get_records(cite_client, constraintlanguage='CQL_TEXT', constraint=cql)) == scandinavia


@pytest.mark.parametrize('gml', ['http://www.opengis.net/gml/3.2', 'http://www.opengis.net/gml'])
def test_csw30_post_polygon(cite_client, scandinavia, gml):
    from cite_fixtures import post_filter
    ring = '55 10 70 10 70 20 55 20 55 10'   # latitude first (urn:ogc:def:crs:EPSG::4326)
    predicate = (f'<fes:Intersects><fes:ValueReference>ows:BoundingBox</fes:ValueReference>'
                 f'<gml:Polygon xmlns:gml="{gml}" gml:id="p1" srsName="urn:ogc:def:crs:EPSG::4326">'
                 f'<gml:exterior><gml:LinearRing><gml:posList>{ring}</gml:posList></gml:LinearRing>'
                 f'</gml:exterior></gml:Polygon></fes:Intersects>')
    assert record_ids(post_filter(cite_client, predicate, '3.0.0')) == scandinavia


def test_csw30_post_hostile_coordinates_refused(cite_client):
    from cite_fixtures import exception_of, post_filter
    predicate = ('<fes:BBOX><fes:ValueReference>ows:BoundingBox</fes:ValueReference>'
                 '<gml:Envelope xmlns:gml="http://www.opengis.net/gml/3.2"><gml:lowerCorner>'
                 "1') OR 1=1 --</gml:lowerCorner><gml:upperCorner>2 2</gml:upperCorner>"
                 '</gml:Envelope></fes:BBOX>')
    assert exception_of(post_filter(cite_client, predicate, '3.0.0'))[0] == 'InvalidParameterValue'
