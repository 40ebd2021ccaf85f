"""``hubcat demo``: sample sensor services harvested and served, ready for a CSW client.

Starts the project's own read-only STA servers (generated incident scenario,
:mod:`hubcat.demo.data`) on 127.0.0.1, registers them as sources in a fresh
SQLite catalogue, harvests them, and serves ``/csw`` until Ctrl-C.
"""
from __future__ import annotations

import logging
import os
import secrets
import tempfile
from typing import Optional

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)
DEMO_SCHEDULE = '5m'
DEMO_STALE_AFTER = '6h'
SOS_KEY = 'gauges-sos'
DEMO_DICTIONARY = os.path.join(os.path.dirname(__file__), 'dictionary.yaml')


def demo_config(base: Config, workdir: str, port: int) -> Config:
    """The demo's configuration: the user's, on a fresh SQLite file in ``workdir``.

    The demo harvests its own services on 127.0.0.1, so it allows private networks
    whatever ``[hubcat] harvest_private_networks`` says.
    """
    return base.copy({
        'repository': {'database': 'sqlite:///' + os.path.join(workdir, 'hubcat-demo.db')},
        'hubcat': {'admin_token': base.admin_token or secrets.token_urlsafe(16),
                   'port': str(port), 'harvest_private_networks': 'true'},
    })


def example_requests(csw_url: str) -> list[str]:
    """Requests worth trying against the demo catalogue."""
    return [
        f'{csw_url}?service=CSW&version=2.0.2&request=GetRecords&typenames=csw:Record'
        '&elementsetname=brief&resulttype=results&constraintlanguage=CQL_TEXT'
        "&constraint=hubcat:Status%20=%20'online'%20AND%20hubcat:EntityType%20=%20'datastream'",
        f'{csw_url}?service=CSW&version=2.0.2&request=GetRecords&typenames=csw:Record'
        '&elementsetname=full&resulttype=results'
        '&outputschema=urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0&maxrecords=3',
        # mediation: legacy gas detectors report 'Parameter_1'; the demo dictionary maps it
        f'{csw_url}?service=CSW&version=2.0.2&request=GetRecords&typenames=csw:Record'
        '&elementsetname=brief&resulttype=results&maxrecords=50&constraintlanguage=CQL_TEXT'
        "&constraint=hubcat:ObservedProperty%20=%20'Explosive%20gas%20(LEL)'",
        # one dataset, two services: the gauges' water level through STA and the demo SOS
        f'{csw_url}?service=CSW&version=2.0.2&request=GetRecords&typenames=csw:Record'
        '&elementsetname=brief&resulttype=results&constraintlanguage=CQL_TEXT'
        "&constraint=hubcat:EntityType%20=%20'dataset'",
    ]


def prepare(config: Config, progress_factory=None, echo=print) -> list:
    """Start the sample STA servers and the demo SOS, register and harvest them; returns
    the running services.

    :param progress_factory: ``f(label) -> (bar, callback)`` for progress bars, or None
    """
    from hubcat.db import init_db
    from hubcat.demo.data import generate
    from hubcat.demo.sta import serve_demo
    from hubcat.harvest import run_harvest
    from hubcat.sources import SourceRegistry
    init_db(config.database_url, config.table)
    data = generate()
    running = serve_demo(data)
    registry = SourceRegistry.for_config(config)
    try:
        running.append(serve_demo_sos(data))
        for service in running:
            kind = 'sos' if service.key == SOS_KEY else 'sta'
            # the demo SOS serves capabilities only: no SensorML to ask for
            options = {'describe_sensor': 'false'} if kind == 'sos' else None
            source = registry.add(service.url, kind, name=service.key, schedule=DEMO_SCHEDULE,
                                  stale_after=DEMO_STALE_AFTER, options=options)
            echo(f'sample {kind.upper()} service "{service.title}" at {service.url}')
            bar, callback = progress_factory(service.key) if progress_factory else (None, None)
            try:
                report = run_harvest(config, source.id, trigger='manual', progress=callback)
            finally:
                if bar is not None:
                    bar.close()
            echo('  ' + report.summary())
        load_demo_dictionary(config, echo)
    except Exception:
        for service in running:
            service.handle.shutdown()
        raise
    return running


def serve_demo_sos(data):
    """Serve the demo's SOS (the incident network's gauges, :mod:`hubcat.demo.sos`)."""
    from hubcat.demo.sos import TITLE, create_sos_app
    from hubcat.demo.sta import RunningService, serve_in_thread
    handle, url = serve_in_thread(create_sos_app(data.service('incident')))
    return RunningService(SOS_KEY, TITLE, url, handle)


def load_demo_dictionary(config: Config, echo=print) -> int:
    """Load the demo's dictionary (opaque names of the incident network); returns how many
    records it re-mapped."""
    from hubcat.dictionaries import service
    report = service.load_file(config, DEMO_DICTIONARY)
    echo(f'parameter dictionary "{report.dictionary["name"]}" loaded: {report.changed} records '
         'now carry canonical properties (e.g. Parameter_1 on fire engines -> Explosive gas (LEL))')
    return report.changed


def run_demo(base: Config, host: str = '127.0.0.1', port: int = 8000,
             workdir: Optional[str] = None, progress_factory=None, echo=print) -> None:
    """Run the whole demo until Ctrl-C (or SIGTERM).

    :raises PortUnavailable: before anything is started when the port is in use
    """
    from hubcat.server import check_port, serve_forever
    check_port(host, port)
    workdir = workdir or tempfile.mkdtemp(prefix='hubcat-demo-')
    os.makedirs(workdir, exist_ok=True)
    config = demo_config(base, workdir, port)
    db_file = os.path.join(workdir, 'hubcat-demo.db')
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(db_file + suffix):
            os.remove(db_file + suffix)
    echo(f'HubCat demo: catalogue {config.database_url}')
    running = prepare(config, progress_factory, echo)

    def ready(server):
        csw_url = f'http://{host}:{server.effective_port}/csw'
        echo(f'\nCSW ready for clients (QGIS MetaSearch, OWSLib, GeoNetwork): {csw_url}')
        echo('Try:')
        for request in example_requests(csw_url):
            echo(f'  curl "{request}"')
        echo(f'Admin token for this demo (API, CSW-T): {config.admin_token}')
        echo('Ctrl-C stops the demo.', )
    try:
        serve_forever(config, host, port, scheduler=True, on_ready=ready, announce=False)
    finally:
        for service in running:
            service.handle.shutdown()
        echo('demo stopped')
