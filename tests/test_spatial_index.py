"""The SQLite R*Tree (and, on PostgreSQL without PostGIS, the envelope GiST index) in front
of pycsw's per-row spatial test: same answers, kept in step."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from conftest import ADMIN_TOKEN, make_config, make_database
from hubcat import repository
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.db import get_engine, init_db
from hubcat.spatial_index import bounds, prefilter
from records_factory import station

FILTER = '''<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"
  xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml" service="CSW"
  version="2.0.2" resultType="results" maxRecords="100"><csw:Query typeNames="csw:Record">
  <csw:ElementSetName>brief</csw:ElementSetName><csw:Constraint version="1.1.0"><ogc:Filter>
  <ogc:{op}><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">
  <gml:lowerCorner>{miny} {minx}</gml:lowerCorner><gml:upperCorner>{maxy} {maxx}</gml:upperCorner>
  </gml:Envelope></ogc:{op}></ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>'''


@pytest.fixture
def sqlite_config(tmp_path):
    url, cleanup = make_database('sqlite', tmp_path)
    config = make_config(url)
    init_db(config.database_url)
    yield config
    cleanup()


def _indexed(config) -> int:
    with get_engine(config.database_url).connect() as conn:
        return conn.execute(text('SELECT count(*) FROM records_rtree')).scalar()


def _ids(client, op='BBOX', box=(6.5, 45.5, 8.5, 46.5)) -> set:
    body = FILTER.format(op=op, minx=box[0], miny=box[1], maxx=box[2], maxy=box[3])
    resp = client.post('/csw', data=body, content_type='application/xml')
    return set(re.findall(r'<dc:identifier>([^<]+)</dc:identifier>', resp.get_data(as_text=True)))


def test_bounds_and_prefilter_text():
    assert bounds('SRID=4326;POLYGON((7 46, 7 47, 8 47, 8 46, 7 46))') == (7, 46, 8, 47)
    assert bounds('POINT(7.5 46.25)') == (7.5, 46.25, 7.5, 46.25)
    where = "query_spatial(wkt_geometry,:pvalue0,'bbox',:pvalue1) = 'true'"
    values = ['POLYGON ((1 2, 1 4, 3 4, 3 2, 1 2))', 'false']
    assert 'records_rtree WHERE minx <= 3.0 AND maxx >= 1.0' in prefilter(where, values, 'records')
    assert ('hubcat_box(records.wkt_geometry) && box(point(1.0, 2.0), point(3.0, 4.0))'
            in prefilter(where, values, 'records', postgresql=True))
    disjoint = where.replace("'bbox'", "'disjoint'")
    assert prefilter(disjoint, values, 'records') == disjoint


def test_index_follows_inserts_updates_and_deletes(sqlite_config):
    cat = Catalogue(sqlite_config.database_url)
    records = station(n_things=3, per_thing=2)
    cat.sync(1, records)
    assert _indexed(sqlite_config) == 9  # 3 Things + 6 Datastreams have a location; the service none
    client = create_app(sqlite_config, init_database=False).test_client()
    assert 'urn:test:thing:0' in _ids(client)
    records[1].bbox = (20.0, 50.0, 20.0, 50.0)  # Thing 0 moves
    cat.sync(1, records)
    assert 'urn:test:thing:0' not in _ids(client)
    assert _ids(client, box=(19.5, 49.5, 20.5, 50.5)) == {'urn:test:thing:0'}
    assert _indexed(sqlite_config) == 9
    cat.delete_source_records(1)
    assert _indexed(sqlite_config) == 0


def test_records_inserted_by_csw_t_are_indexed(sqlite_config):
    client = create_app(sqlite_config, init_database=False).test_client()
    insert = b'''<csw:Transaction xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"
      xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:ows="http://www.opengis.net/ows"
      service="CSW" version="2.0.2"><csw:Insert><csw:Record><dc:identifier>urn:x:box</dc:identifier>
      <dc:title>Inserted</dc:title><ows:BoundingBox crs="urn:x-ogc:def:crs:EPSG:6.11:4326">
      <ows:LowerCorner>10 30</ows:LowerCorner><ows:UpperCorner>11 31</ows:UpperCorner>
      </ows:BoundingBox></csw:Record></csw:Insert></csw:Transaction>'''
    resp = client.post('/csw', data=insert, content_type='application/xml',
                       headers={'Authorization': f'Bearer {ADMIN_TOKEN}'})
    assert b'totalInserted>1<' in resp.data
    assert _indexed(sqlite_config) == 1
    assert _ids(client, box=(30.2, 10.2, 30.4, 10.4)) == {'urn:x:box'}


@pytest.mark.parametrize('op', ['BBOX', 'Intersects', 'Within', 'Contains', 'Disjoint'])
def test_same_answers_with_and_without_the_index(config, monkeypatch, op):
    """SQLite and PostgreSQL without PostGIS (a role that cannot create it)."""
    Catalogue(config.database_url).sync(1, station(n_things=6, per_thing=2))
    client = create_app(config, init_database=False).test_client()
    for box in ((6.5, 45.5, 8.5, 46.5), (0, 0, 1, 1), (8.9, 45.9, 9.1, 46.1), (-180, -90, 180, 90)):
        with_index = _ids(client, op, box)
        monkeypatch.setattr(repository, 'USE_SPATIAL_INDEX', False)
        without = _ids(client, op, box)
        monkeypatch.setattr(repository, 'USE_SPATIAL_INDEX', True)
        assert with_index == without


def test_init_builds_the_index_of_an_older_database(sqlite_config):
    Catalogue(sqlite_config.database_url).sync(1, station())
    with get_engine(sqlite_config.database_url).begin() as conn:
        for trigger in ('insert', 'update', 'delete'):
            conn.execute(text(f'DROP TRIGGER records_rtree_{trigger}'))
        conn.execute(text('DROP TABLE records_rtree'))
    assert 'created spatial index records_rtree' in init_db(sqlite_config.database_url)
    assert _indexed(sqlite_config) == 6
