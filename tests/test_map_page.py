"""The map page in a real browser: headless Chromium (Debian's chromium and chromium-driver,
driven by Selenium) loads /map from the filled, live HubCat (tests/catalogue_fixtures.py).

It counts the markers against OGC API - Records, filters by observed property and status,
opens a popup, and writes a screenshot to ``test-artifacts/map.png`` for people to look at.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

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


def _ready(browser) -> None:
    WebDriverWait(browser, 60).until(
        lambda b: b.find_element(By.TAG_NAME, 'body').get_attribute('data-state') in
        ('ready', 'error'))
    assert browser.find_element(By.TAG_NAME, 'body').get_attribute('data-state') == 'ready', \
        browser.find_element(By.ID, 'summary').text


def _expected_markers(base: str, **params) -> int:
    """One marker per Thing (its Datastreams share it), SOS offering and procedure with a place."""
    keys, url = set(), f'{base}{ITEMS}'
    params = dict(params, type=MARKER_TYPES, limit=100)
    while url:
        page = requests.get(url, params=params, timeout=60).json()
        params = {}
        for feature in page['features']:
            if feature['geometry'] is None:
                continue
            props = feature['properties']
            keys.add(props.get('thingIdentifier') if props['type'] == 'datastream'
                     else feature['id'])
        url = next((link['href'] for link in page['links'] if link['rel'] == 'next'), None)
    return len(keys)


def _markers(browser) -> int:
    return int(browser.find_element(By.TAG_NAME, 'body').get_attribute('data-markers'))


def test_map_shows_every_sensor_filters_and_opens_a_popup(hubcat, browser):
    base, _ = hubcat
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
    popup = WebDriverWait(browser, 30).until(
        lambda b: b.find_element(By.CSS_SELECTOR, '.leaflet-popup-content'))
    assert title in popup.text and 'online' in popup.text and 'Water level' in popup.text
    browser.save_screenshot(str(ARTIFACTS / 'map-popup.png'))


def test_list_pages_through_results_and_free_text(hubcat, browser):
    base, _ = hubcat
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


def test_browsers_are_sent_to_the_map_and_nothing_comes_from_a_cdn(hubcat):
    base, _ = hubcat
    answer = requests.get(base + '/', headers={'Accept': 'text/html'}, timeout=30)
    assert answer.url.endswith('/map') and '/vendor/leaflet/leaflet.js' in answer.text
    assert 'https://' not in answer.text.replace('data-tiles=""', '')
    assert requests.get(base + '/', timeout=30).json()['records'] == '/records'
    for asset in ('/vendor/leaflet/leaflet.js', '/vendor/markercluster/leaflet.markercluster.js',
                  '/map/static/map.js'):
        assert requests.get(base + asset, timeout=30).status_code == 200, asset
