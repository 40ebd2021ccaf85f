"""PostGIS used when the PostgreSQL server has it (issue 13 point 2).

``hubcat init`` creates the extension and pycsw's native geometry column with a GiST
index; a catalogue made without PostGIS gains them on the next ``hubcat init``; a role
that may not create the extension is told so; spatial filters give the same records on
every store (SQLite R*Tree, PostgreSQL envelope functions, PostGIS).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from owslib import fes
from owslib.csw import CatalogueServiceWeb
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conftest import SEARCH_BACKENDS, LiveServer, make_config, make_database
from hubcat.app import create_app
from hubcat.catalogue import Catalogue
from hubcat.cli import cli
from hubcat.db import dispose_engine, init_db
from records_factory import station

POSTGRES = [b for b in SEARCH_BACKENDS if b != 'sqlite']
#: things 0..5 of the station sit at longitude 7..12, latitude 46; the box holds 8..10
#: (the things at 8 and 10 on its edges)
BOX = [8.0, 45.0, 10.0, 47.0]  # longitude first (OWSLib's EPSG:4326, README 'Axis order')
IN_BOX = {f'urn:test:thing:{t}' for t in (1, 2, 3)} | \
    {f'urn:test:ds:{t}:{d}' for t in (1, 2, 3) for d in (0, 1)}


def _init(url: str, tmp_path) -> str:
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase={url}\n')
    result = CliRunner().invoke(cli, ['--config', str(cfg), 'init'],
                                env={'HUBCAT_DATABASE_URL': None, 'HUBCAT_CONFIG': None},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _geometry_index(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'records' "
                                 "AND indexdef LIKE '%gist%'")).scalars().all()
    engine.dispose()
    return rows


def _in_box(url: str) -> set:
    server = LiveServer(create_app(make_config(url), init_database=False))
    try:
        csw = CatalogueServiceWeb(server.url + '/csw', version='2.0.2', skip_caps=True)
        csw.getrecords2(constraints=[fes.BBox(BOX)], maxrecords=100)
        return set(csw.records)
    finally:
        server.close()


@pytest.mark.parametrize('backend', POSTGRES)
def test_init_says_how_spatial_filters_run(backend, tmp_path):
    url, cleanup = make_database(backend, tmp_path)
    try:
        output = _init(url, tmp_path)
        if backend == 'postgis':
            assert 'created extension postgis' in output
            assert 'spatial filters use the GiST index on wkb_geometry' in output
            assert any('wkb_geometry' in ix for ix in _geometry_index(url))
        else:  # the plain test role may not create the extension
            assert 'may not create the extension' in output and 'CREATE EXTENSION postgis' in output
            assert 'created spatial index ix_records_hubcat_box' in output
            assert [ix for ix in _geometry_index(url) if 'hubcat_box' not in ix] == []
    finally:
        cleanup()


@pytest.mark.parametrize('backend', SEARCH_BACKENDS)
def test_bbox_finds_the_same_records_on_every_store(backend, tmp_path):
    url, cleanup = make_database(backend, tmp_path)
    try:
        init_db(url)
        Catalogue(url).sync(1, station(n_things=6, per_thing=2), stale_after=10 ** 9)
        assert _in_box(url) == IN_BOX
    finally:
        cleanup()


@pytest.mark.parametrize('backend', [b for b in POSTGRES if b == 'postgis'])
def test_init_moves_an_existing_catalogue_to_postgis(backend, tmp_path):
    """Made without PostGIS, filled, then the extension appears: init adds the native
    column with its index and fills it; searches keep their answers."""
    url, cleanup = make_database('postgresql', tmp_path)   # owned by the plain role
    try:
        init_db(url)
        Catalogue(url).sync(1, station(n_things=6, per_thing=2), stale_after=10 ** 9)
        assert _in_box(url) == IN_BOX
        admin_url = make_url(os.environ['HUBCAT_TEST_POSTGIS_DATABASE_URL'])
        admin = create_engine(admin_url.set(database=make_url(url).database),
                              isolation_level='AUTOCOMMIT')
        with admin.connect() as conn:   # what a superuser does once
            conn.execute(text('CREATE EXTENSION postgis'))
        admin.dispose()
        dispose_engine(url)
        output = _init(url, tmp_path)
        assert 'added PostGIS geometry column records.wkb_geometry' in output
        assert any('wkb_geometry' in ix for ix in _geometry_index(url))
        dispose_engine(url)
        assert _in_box(url) == IN_BOX
        assert _init(url, tmp_path).strip().splitlines()[-1].startswith('catalogue database ready')
    finally:
        cleanup()


@pytest.mark.parametrize('backend', [b for b in SEARCH_BACKENDS if b != 'sqlite'])
def test_a_harvest_prints_its_summary_and_no_library_warnings(backend, tmp_path, sta_server):
    """`hubcat harvest` (its own process) on PostgreSQL used to print SQLAlchemy's warnings
    about the reflected records table (its expression indexes, PostGIS's geometry)."""
    url, cleanup = make_database(backend, tmp_path)
    cfg = tmp_path / 'pycsw.cfg'
    cfg.write_text(f'[repository]\ndatabase = {url}\n', encoding='utf-8')

    def run(*args):
        return subprocess.run([sys.executable, '-m', 'hubcat', '--config', str(cfg), *args],
                              capture_output=True, text=True)
    try:
        assert run('init').returncode == 0
        assert run('source', 'add', sta_server, '--type', 'sta', '--name', 'peer').returncode == 0
        done = run('harvest', 'peer', '--no-progress')
        assert done.returncode == 0 and 'peer: success; added 251' in done.stdout
        assert done.stderr == ''
    finally:
        cleanup()
