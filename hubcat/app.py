"""The Flask application factory."""
from __future__ import annotations

import logging
from typing import Optional

from flask import Flask, jsonify

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)


def create_app(config: Optional[Config] = None, init_database: bool = True) -> Flask:
    """Build the HubCat web application.

    :param config: HubCat configuration; None reads ``$HUBCAT_CONFIG`` / ``./pycsw.cfg``
    :param init_database: create or upgrade the catalogue database first
    """
    config = config or Config()
    app = Flask('hubcat')
    app.config['HUBCAT'] = config
    if init_database:
        from hubcat.db import init_db
        init_db(config.database_url, config.table)

    from hubcat.web import (api, context, csw, dictionaries_api, federation, federation_api,
                            limits, map, records)
    limits.install(app, config)
    for module in (csw, federation, federation_api, api, dictionaries_api, records, context,
                   map):
        app.register_blueprint(module.bp)

    @app.get('/healthz')
    def healthz():
        """Liveness and database reachability."""
        from sqlalchemy import text

        from hubcat.db import get_engine
        try:
            with get_engine(config.database_url).connect() as conn:
                conn.execute(text('SELECT 1'))
        except Exception as err:  # noqa: BLE001 - reported, not raised
            return jsonify(status='error', database=str(err).splitlines()[0]), 503
        return jsonify(status='ok', database='ok')

    @app.get('/')
    def index():
        """Where things are: the map for a browser, JSON otherwise."""
        from flask import redirect, request
        if request.accept_mimetypes.best_match(['application/json', 'text/html']) == 'text/html':
            return redirect('/map')
        return jsonify(name='HubCat', csw='/csw', federated_csw='/federated/csw', api='/api/',
                       search='/api/search', peers='/api/peers', health='/healthz',
                       records='/records', map='/map', context='/api/context')

    return app
