"""``/map``: a map page of every sensor, served by HubCat from its own OGC API - Records.

Leaflet and Leaflet.markercluster come from PyPI packages (XStatic-Leaflet,
XStatic-Leaflet-MarkerCluster) and are served from ``/vendor/``: nothing is fetched from a
CDN, so the page works on an offline network.  Base map tiles come from
``[hubcat] map_tiles`` (a tile URL template; empty: no base map).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, send_from_directory
from lxml import etree

from hubcat.csw import run_pycsw
from hubcat.csw_request import parse_request
from hubcat.federation.csw_request import CSW

bp = Blueprint('map', __name__, template_folder='templates', static_folder='static',
               static_url_path='/map/static')
DEFAULT_TILES = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'


def _vendor_dirs() -> dict:
    """Vendored JavaScript packages: name -> directory."""
    import xstatic.pkg.leaflet
    import xstatic.pkg.leaflet_markercluster
    return {'leaflet': xstatic.pkg.leaflet.BASE_DIR,
            'markercluster': xstatic.pkg.leaflet_markercluster.BASE_DIR}


@bp.get('/map')
def map_page():
    """The map page."""
    config = current_app.config['HUBCAT']
    tiles = config.parser.get('hubcat', 'map_tiles', fallback=DEFAULT_TILES)
    return render_template('map.html', tiles=tiles)


@bp.get('/vendor/<name>/<path:filename>')
def vendor(name: str, filename: str):
    """A file of a vendored JavaScript package."""
    directory = _vendor_dirs().get(name)
    if directory is None:
        abort(404)
    return send_from_directory(directory, filename, max_age=86400)


@bp.get('/map/vocabulary')
def vocabulary():
    """The observed properties in use (``GetDomain`` of ``hubcat:ObservedProperty``)."""
    from flask import request
    config = current_app.config['HUBCAT']
    domain = parse_request('GET', 'service=CSW&version=2.0.2&request=GetDomain'
                                  '&propertyname=hubcat:ObservedProperty', b'')
    env = dict(request.environ, REQUEST_METHOD='GET')
    _status, _type, content = run_pycsw(config, env, domain, request.host_url + 'csw')
    values = {v.text for v in etree.fromstring(content).iter(f'{{{CSW}}}Value') if v.text}
    return jsonify(observedProperties=sorted(values, key=str.lower))
