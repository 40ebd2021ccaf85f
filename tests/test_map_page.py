"""The map page in a real browser: headless Chromium (Debian's chromium and chromium-driver,
driven by Selenium) loads /map from ``hubcat serve`` (the CLI, in its own process) on the
harvested catalogue of tests/catalogue_fixtures.py.

It counts the markers against OGC API - Records, filters by observed property and status,
opens a popup, and writes a screenshot to ``test-artifacts/map.png`` for people to look at.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from catalogue_fixtures import DATABASES
from conftest import ADMIN_TOKEN
from ops_servers import poll

ARTIFACTS = Path(__file__).resolve().parents[1] / 'test-artifacts'
ITEMS = '/records/collections/sensors/items'
MARKER_TYPES = 'thing,datastream,offering,procedure'

# the browser shows what the server answers: one backend is enough
pytestmark = pytest.mark.parametrize('hubcat', ['sqlite'], indirect=True)


@pytest.fixture(scope='module')
def browser():
    """Headless Debian Chromium through its own chromedriver (nothing downloaded)."""
    binary, driver = shutil.which('chromium'), shutil.which('chromedriver')
    assert binary and driver, 'the map tests need Debian packages chromium and chromium-driver'
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                     '--window-size=1400,900', '--disable-gpu'):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    yield chrome
    chrome.quit()


@pytest.fixture(scope='module')
def site(hubcat, tmp_path_factory):
    """The base URL of ``hubcat serve`` on the filled catalogue (no base map tiles)."""
    folder = tmp_path_factory.mktemp('serve')
    config, log = folder / 'pycsw.cfg', (folder / 'serve.log').open('wb')
    config.write_text(f'[repository]\ndatabase={DATABASES[hubcat[0]]}\n'
                      f'[hubcat]\nadmin_token={ADMIN_TOKEN}\nmap_tiles=\n')
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, '-m', 'hubcat', '--config', str(config), 'serve', '--host', '127.0.0.1',
         '--port', str(port), '--no-scheduler'],
        env={'PATH': '/usr/bin:/bin'}, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'

    def up():
        assert process.poll() is None, (folder / 'serve.log').read_text()[-2000:]
        try:
            return requests.get(url + '/healthz', timeout=5).status_code == 200
        except requests.ConnectionError:
            return False
    poll(up, message='hubcat serve answering')
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()


def _ready(browser) -> None:
    WebDriverWait(browser, 60).until(
        lambda b: b.find_element(By.TAG_NAME, 'body').get_attribute('data-state') in
        ('ready', 'error'))
    assert browser.find_element(By.TAG_NAME, 'body').get_attribute('data-state') == 'ready', \
        browser.find_element(By.ID, 'summary').text


def _marker_statuses(base: str, **params) -> dict[str, str]:
    """Marker key -> 'online' / 'offline': one marker per Thing (its Datastreams share it), SOS
    offering and procedure with a place; online when any of its records is."""
    keys, url = {}, f'{base}{ITEMS}'
    params = dict(params, type=MARKER_TYPES, limit=100)
    while url:
        page = requests.get(url, params=params, timeout=60).json()
        params = {}
        for feature in page['features']:
            if feature['geometry'] is None:
                continue
            props = feature['properties']
            key = props.get('thingIdentifier') if props['type'] == 'datastream' else feature['id']
            if keys.get(key) != 'online':
                keys[key] = 'offline' if props.get('status') == 'offline' else 'online'
        url = next((link['href'] for link in page['links'] if link['rel'] == 'next'), None)
    return keys


def _expected_markers(base: str, **params) -> int:
    """How many markers the map should show for a search."""
    return len(_marker_statuses(base, **params))


def _markers(browser) -> int:
    return int(browser.find_element(By.TAG_NAME, 'body').get_attribute('data-markers'))


_POPUP_INSIDE_MAP = """
    const popup = document.querySelector('.leaflet-popup');
    if (!popup) return false;
    const p = popup.getBoundingClientRect(), m = document.getElementById('map').getBoundingClientRect();
    return p.height > 0 && p.top >= m.top && p.bottom <= m.bottom && p.left >= m.left && p.right <= m.right;
"""


def _popup(browser):
    """The open popup, once shown whole: faded in and panned into the map (the part of a
    popup outside the map is clipped, and a user could not read it either)."""
    def shown(b):
        found = b.find_elements(By.CSS_SELECTOR, '.leaflet-popup-content')
        return found[0] if found and found[0].text and b.execute_script(_POPUP_INSIDE_MAP) else False
    return WebDriverWait(browser, 30).until(shown)


def test_map_shows_every_sensor_filters_and_opens_a_popup(site, browser):
    base = site
    browser.get(base + '/map')
    _ready(browser)
    everything = _expected_markers(base)
    assert _markers(browser) == everything > 50             # 50 Things + SOS offerings
    assert browser.find_elements(By.CSS_SELECTOR, '.marker-cluster'), 'dense markers cluster'
    assert 'sensor records match' in browser.find_element(By.ID, 'summary').text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / 'map.png'))

    options = [o.text for o in Select(browser.find_element(By.ID, 'observedProperty')).options]
    assert {'Air temperature', 'Water level'} <= set(options)   # the vocabulary in use
    in_use, url = set(), f'{base}/records/collections/all/items?limit=100'
    while url:                        # the (dictionary-canonical) labels the records carry
        page = requests.get(url, timeout=60).json()
        in_use |= {label for f in page['features']
                   for label in f['properties'].get('observedProperty', [])}
        url = next((link['href'] for link in page['links'] if link['rel'] == 'next'), None)
    assert set(options[1:]) == in_use
    Select(browser.find_element(By.ID, 'observedProperty')).select_by_visible_text('Water level')
    _ready(browser)
    gauges = _expected_markers(base, observedProperty='Water level')
    assert _markers(browser) == gauges and 0 < gauges < everything     # river gauges only
    assert 'observedProperty=Water+level' in \
        browser.find_element(By.ID, 'context').get_attribute('href')

    Select(browser.find_element(By.ID, 'status')).select_by_value('offline')
    _ready(browser)
    assert _markers(browser) == 0 == _expected_markers(
        base, observedProperty='Water level', status='offline')
    Select(browser.find_element(By.ID, 'status')).select_by_value('online')
    _ready(browser)
    assert _markers(browser) == gauges

    first = browser.find_element(By.CSS_SELECTOR, '#list li')
    title = first.text.split(' thing,')[0].split(' datastream,')[0]
    first.click()
    popup = _popup(browser)
    assert title in popup.text and 'online' in popup.text and 'Water level' in popup.text
    browser.save_screenshot(str(ARTIFACTS / 'map-popup.png'))


def test_list_pages_through_results_and_free_text(site, browser):
    base = site
    browser.get(base + '/map')
    _ready(browser)
    body = browser.find_element(By.TAG_NAME, 'body')
    matched = int(body.get_attribute('data-matched'))
    first_page = [li.get_attribute('data-id') for li in browser.find_elements(By.CSS_SELECTOR, '#list li')]
    assert len(first_page) == 20 < matched
    browser.find_element(By.ID, 'next').click()
    _ready(browser)
    second_page = [li.get_attribute('data-id') for li in browser.find_elements(By.CSS_SELECTOR, '#list li')]
    assert len(second_page) == 20 and not set(first_page) & set(second_page)
    box = browser.find_element(By.ID, 'q')
    box.send_keys('Aare')
    browser.find_element(By.CSS_SELECTOR, '#search button').click()
    _ready(browser)
    expected = requests.get(base + ITEMS, params={'q': 'Aare', 'limit': 20}, timeout=30).json()
    assert int(body.get_attribute('data-matched')) == expected['numberMatched'] > 0
    listed = [li.get_attribute('data-id') for li in browser.find_elements(By.CSS_SELECTOR, '#list li')]
    assert listed == [f['id'] for f in expected['features']]     # from the first page again


def test_browsers_are_sent_to_the_map_and_nothing_comes_from_a_cdn(site):
    base = site
    answer = requests.get(base + '/', headers={'Accept': 'text/html'}, timeout=30)
    assert answer.url.endswith('/map') and '/vendor/leaflet/leaflet.js' in answer.text
    assert 'https://' not in answer.text.replace('data-tiles=""', '')
    assert requests.get(base + '/', timeout=30).json()['records'] == '/records'
    for asset in ('/vendor/leaflet/leaflet.js', '/vendor/markercluster/leaflet.markercluster.js',
                  '/map/static/map.js'):
        assert requests.get(base + asset, timeout=30).status_code == 200, asset


def test_offline_sensors_are_red_with_their_reason_and_the_service_type_filters(site, browser):
    """The SOS of the catalogue is stale (tests/catalogue_fixtures.py): its sensors are
    offline, shown red (markers, clusters, legend) with the reason 'stale'."""
    base = site
    browser.get(base + '/map')
    _ready(browser)
    statuses = _marker_statuses(base)
    offline = sum(1 for s in statuses.values() if s == 'offline')
    assert 0 < offline < len(statuses)
    legend = browser.find_element(By.ID, 'legend').text
    assert f'{len(statuses) - offline} online' in legend
    assert f'{offline} offline (stale)' in legend
    # read in one script: the clusters are redrawn while the map settles
    titles = WebDriverWait(browser, 30).until(lambda b: b.execute_script(
        "return Array.from(document.querySelectorAll('.marker-cluster.cluster-offline > div, "
        ".marker-cluster.cluster-mixed > div')).map(d => d.title)"))
    assert any('offline (stale)' in t for t in titles), titles          # a red cluster says why
    assert browser.find_elements(By.CSS_SELECTOR, '.marker-cluster.cluster-online')

    Select(browser.find_element(By.ID, 'serviceType')).select_by_value('SOS')
    _ready(browser)
    sos = _marker_statuses(base, serviceType='SOS')
    assert _markers(browser) == len(sos) == offline and set(sos.values()) == {'offline'}
    assert browser.find_element(By.ID, 'legend').text.startswith('● 0 online')
    assert not browser.find_elements(By.CSS_SELECTOR, '.marker-cluster.cluster-online, '
                                                      '.marker-cluster.cluster-mixed')
    assert 'serviceType=SOS' in browser.find_element(By.ID, 'context').get_attribute('href')
    offering = next(li for li in browser.find_elements(By.CSS_SELECTOR, '#list li')
                    if ' offering,' in li.text)
    assert 'offline' in offering.text
    offering.click()
    popup = _popup(browser)
    assert 'offline (stale)' in popup.text and 'last seen' in popup.text
    hrefs = [a.get_attribute('href') for a in popup.find_elements(By.TAG_NAME, 'a')]
    assert any('request=GetObservation' in h for h in hrefs), hrefs
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / 'map-offline.png'))

    Select(browser.find_element(By.ID, 'serviceType')).select_by_value('STA')
    _ready(browser)
    assert _markers(browser) == _expected_markers(base, serviceType='STA') == \
        len(statuses) - offline


def test_popup_gives_unit_and_observations_and_the_extent_filters(site, browser):
    base = site
    browser.get(base + '/map')
    _ready(browser)
    Select(browser.find_element(By.ID, 'observedProperty')).select_by_visible_text('Water level')
    _ready(browser)
    gauges = _markers(browser)
    first = browser.find_element(By.CSS_SELECTOR, '#list li')
    first.click()
    popup = _popup(browser)
    streams = requests.get(base + ITEMS, params={'observedProperty': 'Water level',
                                                  'type': 'datastream', 'limit': 100},
                           timeout=30).json()['features']
    units = {f['properties']['unit'] for f in streams}
    assert any(f'unit {unit}' in popup.text or f'[{unit}]' in popup.text for unit in units), \
        (units, popup.text)                 # the record's row, or a Thing's Datastream line
    assert 'last seen' in popup.text and 'online' in popup.text
    observations = [a.get_attribute('href') for a in popup.find_elements(By.TAG_NAME, 'a')
                    if a.get_attribute('href').endswith('/Observations')]
    assert observations
    assert 'value' in requests.get(observations[0], params={'$top': '1'}, timeout=30).json()

    browser.find_element(By.ID, 'extent').click()       # the map now shows one gauge up close
    _ready(browser)
    context = browser.find_element(By.ID, 'context')
    assert 'Open in a client' in context.text
    query = dict(parse_qsl(urlsplit(context.get_attribute('href')).query))
    assert query['observedProperty'] == 'Water level' and len(query['bbox'].split(',')) == 4
    boxed = _expected_markers(base, observedProperty='Water level', bbox=query['bbox'])
    assert _markers(browser) == boxed and 0 < boxed < gauges
    browser.find_element(By.CSS_SELECTOR, '.leaflet-popup-close-button').click()
    WebDriverWait(browser, 30).until(
        lambda b: not b.find_elements(By.CSS_SELECTOR, '.leaflet-popup-content'))
    marker = browser.find_element(By.CSS_SELECTOR, 'path.sensor.online')   # up close: unclustered
    marker.click()                                                        # clicking the sensor
    assert 'Water level' in _popup(browser).text and 'last seen' in _popup(browser).text
    doc = requests.get(context.get_attribute('href'), timeout=30).json()
    assert doc['type'] == 'FeatureCollection'
    assert 'Water level' in {r['properties']['title'] for r in doc['features']}
    whole = requests.get(base + '/api/context', params={'observedProperty': 'Water level'},
                         timeout=30).json()
    assert doc['properties']['subtitle'] != whole['properties']['subtitle']


def test_a_things_popup_lists_its_datastreams_with_unit_status_and_observations(site, browser):
    base = site
    thing = requests.get(base + ITEMS, params={'type': 'thing', 'limit': 1},
                         timeout=30).json()['features'][0]
    streams = requests.get(base + ITEMS, params={'type': 'datastream', 'limit': 100,
                                                 'thingIdentifier': thing['id']},
                           timeout=30).json()['features']
    assert streams
    browser.get(base + '/map')
    _ready(browser)
    browser.find_element(By.ID, 'q').send_keys(thing['properties']['title'])
    browser.find_element(By.CSS_SELECTOR, '#search button').click()
    _ready(browser)
    browser.find_element(By.CSS_SELECTOR, f'#list li[data-id="{thing["id"]}"]').click()
    popup = _popup(browser)
    assert thing['properties']['title'] in popup.text
    assert f'{len(streams)} matching Datastreams' in popup.text
    lines = popup.find_elements(By.CSS_SELECTOR, 'ul.streams li')
    assert len(lines) == len(streams)
    for stream in streams:
        line = next(li for li in lines if stream['properties']['title'] in li.text)
        assert f"[{stream['properties']['unit']}]" in line.text
        assert stream['properties']['status'] in line.text
        observations = line.find_element(By.CSS_SELECTOR, 'a.observations').get_attribute('href')
        assert observations == next(link['href'] for link in stream['links']
                                    if link.get('title') == 'Observations')
