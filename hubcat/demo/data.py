"""Deterministic generator of the demo's sample data, as SensorThings API entities.

``generate(seed, now)`` is a pure function of its arguments: the same seed and
``now`` give the same entities, ids and values. Observation times are relative
to ``now`` so that the demo's sensors are online when it starts: the newest
observation of most Datastreams lies within the last hour, a few Datastreams
(one weather station, one river gauge and some single Datastreams) stopped
reporting days ago, and one Datastream has no Observation at all.

Entities are plain dicts in STA shape (``@iot.id`` plus the entity's
properties, no links); relations are kept by id in :class:`StaDataset`. The
scenario's facts (places, vocabularies, instruments) live in
:mod:`hubcat.demo.scenario`.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional, Sequence

from hubcat.demo import scenario as sc

LOGGER = logging.getLogger(__name__)

DEFAULT_SEED = 20210714

ENTITY_LISTS = ('things', 'locations', 'historical_locations', 'datastreams', 'sensors',
                'observed_properties', 'observations', 'features_of_interest')


@dataclass
class StaDataset:
    """Everything one STA service holds: entity lists and relations by id.

    Entity ids are integers counted from 1 in each entity set.
    ``thing_locations`` holds a Thing's current Location(s); earlier positions
    are reachable through its HistoricalLocations.
    """
    key: str
    title: str
    description: str
    things: list[dict] = field(default_factory=list)
    locations: list[dict] = field(default_factory=list)
    historical_locations: list[dict] = field(default_factory=list)
    datastreams: list[dict] = field(default_factory=list)
    sensors: list[dict] = field(default_factory=list)
    observed_properties: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    features_of_interest: list[dict] = field(default_factory=list)
    thing_locations: dict[int, list[int]] = field(default_factory=dict)
    historical_location_thing: dict[int, int] = field(default_factory=dict)
    historical_location_locations: dict[int, list[int]] = field(default_factory=dict)
    datastream_thing: dict[int, int] = field(default_factory=dict)
    datastream_sensor: dict[int, int] = field(default_factory=dict)
    datastream_observed_property: dict[int, int] = field(default_factory=dict)
    observation_datastream: dict[int, int] = field(default_factory=dict)
    observation_feature: dict[int, int] = field(default_factory=dict)

    def counts(self) -> dict:
        """Number of entities per entity list, e.g. ``{'things': 32, ...}``."""
        return {name: len(getattr(self, name)) for name in ENTITY_LISTS}


@dataclass
class DemoDataset:
    """The demo's services, generated for one seed and one moment."""
    seed: int
    now: datetime
    services: tuple[StaDataset, ...]

    def service(self, key: str) -> StaDataset:
        """The service with this key (``'incident'`` or ``'neighbour'``).

        :raises KeyError: when there is none
        """
        for service in self.services:
            if service.key == key:
                return service
        raise KeyError(key)


def generate(seed: int = DEFAULT_SEED, now: Optional[datetime] = None) -> DemoDataset:
    """Generate the demo's sample data.

    :param seed: seed of the random choices (values, lags, which sensors are stale)
    :param now: the moment observations are relative to; timezone-aware.
        None means the current time (the only impure convenience).
    :returns: a :class:`DemoDataset` with the ``incident`` and ``neighbour`` services
    :raises ValueError: when ``now`` is a naive datetime
    """
    if now is None:
        now = datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError('now must be timezone-aware')
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    rng = random.Random(seed)
    services = (_incident_service(random.Random(rng.random()), now),
                _neighbour_service(random.Random(rng.random()), now))
    for service in services:
        LOGGER.debug('generated demo service %s: %s', service.key, service.counts())
    return DemoDataset(seed=seed, now=now, services=services)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC timestamp with a ``Z``, to the second."""
    return moment.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


# --------------------------------------------------------------------------
# building blocks


@dataclass
class _StreamSpec:
    """One Datastream to create: what it observes, in which unit, how often."""
    prop: str
    unit: str
    sensor: str
    interval_min: int
    observation_type: str = sc.MEASUREMENT


class _Builder:
    """Adds entities to one :class:`StaDataset`, numbering ids and keeping relations."""

    def __init__(self, dataset: StaDataset, rng: random.Random, now: datetime):
        self.ds = dataset
        self.rng = rng
        self.now = now
        self._memo = {}

    def _add(self, entities: list, **fields) -> int:
        entity_id = len(entities) + 1
        entities.append({'@iot.id': entity_id, **fields})
        return entity_id

    def observed_property(self, key: str) -> int:
        """Id of the shared ObservedProperty ``key``, created on first use."""
        if ('op', key) not in self._memo:
            prop = sc.PROPERTIES[key]
            self._memo[('op', key)] = self._add(
                self.ds.observed_properties, name=prop.name, definition=prop.definition,
                description=prop.description)
        return self._memo[('op', key)]

    def sensor(self, key: str) -> int:
        """Id of the shared Sensor ``key``, created on first use."""
        if ('sensor', key) not in self._memo:
            model = sc.SENSORS[key]
            self._memo[('sensor', key)] = self._add(
                self.ds.sensors, name=model.name, description=model.description,
                encodingType=model.encoding_type, metadata=model.metadata)
        return self._memo[('sensor', key)]

    def thing(self, name: str, description: str, properties: dict,
              track: Sequence[tuple]) -> tuple:
        """Add a Thing with its positions.

        :param track: ``(time, lon, lat, label)`` oldest first; the last is current
        :returns: (thing id, feature_at(time) -> FeatureOfInterest id)
        """
        thing_id = self._add(self.ds.things, name=name, description=description,
                             properties=properties)
        fixes = []
        for time, lon, lat, label in track:
            point = {'type': 'Point', 'coordinates': [round(lon, 5), round(lat, 5)]}
            location_id = self._add(self.ds.locations, name=label,
                                    description=f'Position of {name} since {iso(time)}',
                                    encodingType='application/geo+json', location=point)
            hl_id = self._add(self.ds.historical_locations, time=iso(time))
            self.ds.historical_location_thing[hl_id] = thing_id
            self.ds.historical_location_locations[hl_id] = [location_id]
            foi_id = self._add(self.ds.features_of_interest, name=label,
                               description=f'Observed at {label}',
                               encodingType='application/geo+json', feature=point)
            fixes.append((time, foi_id, point))
        self.ds.thing_locations[thing_id] = [self.ds.locations[-1]['@iot.id']]

        def feature_at(time: datetime) -> tuple:
            current = fixes[0]
            for fix in fixes:
                if fix[0] <= time:
                    current = fix
            return current[1], current[2]
        return thing_id, feature_at

    def datastream(self, thing_id: int, code: str, site: str, spec: _StreamSpec,
                   feature_at: Callable, newest: Optional[datetime], count: int) -> int:
        """Add a Datastream and ``count`` Observations, the newest at ``newest``."""
        prop = sc.PROPERTIES[spec.prop]
        unit = sc.UNITS[spec.unit]
        ds_id = self._add(
            self.ds.datastreams, name=f'{code} {prop.name}',
            description=f'{prop.name} at {site}, every {spec.interval_min} minutes',
            unitOfMeasurement={'name': unit.name, 'symbol': unit.symbol,
                               'definition': unit.definition},
            observationType=spec.observation_type,
            properties={'interval_min': spec.interval_min, 'qualityLevel': 'raw'})
        self.ds.datastream_thing[ds_id] = thing_id
        self.ds.datastream_sensor[ds_id] = self.sensor(spec.sensor)
        self.ds.datastream_observed_property[ds_id] = self.observed_property(spec.prop)
        if newest is None or count == 0:
            return ds_id
        times = [newest - timedelta(minutes=spec.interval_min * k) for k in range(count)][::-1]
        points = []
        for time, result in zip(times, self._series(prop, count)):
            foi_id, point = feature_at(time)
            points.append(point['coordinates'])
            lag = timedelta(seconds=self.rng.randint(5, 50))
            obs_id = self._add(self.ds.observations, phenomenonTime=iso(time),
                               resultTime=iso(time + lag), result=result)
            self.ds.observation_datastream[obs_id] = ds_id
            self.ds.observation_feature[obs_id] = foi_id
        entity = self.ds.datastreams[-1]
        entity['phenomenonTime'] = f'{iso(times[0])}/{iso(times[-1])}'
        entity['observedArea'] = _area(points)
        return ds_id

    def _series(self, prop: sc.Property, count: int) -> list:
        if prop.categories:
            return [self.rng.choice(prop.categories) for _ in range(count)]
        value = self.rng.uniform(prop.low, prop.high)
        step = (prop.high - prop.low) / 15
        values = []
        for _ in range(count):
            value = min(prop.high, max(prop.low, value + self.rng.uniform(-step, step)))
            values.append(round(value, prop.decimals) if prop.decimals else int(round(value)))
        return values

    def newest(self, stale: bool) -> datetime:
        """Time of a Datastream's newest Observation: minutes ago, or days ago if stale."""
        if stale:
            lag = timedelta(days=self.rng.uniform(2, 6))
        else:
            lag = timedelta(minutes=self.rng.randint(1, 45), seconds=self.rng.randint(0, 59))
        return (self.now - lag).replace(second=0)

    def installed(self) -> datetime:
        """A plausible installation date of a fixed station."""
        return (self.now - timedelta(days=self.rng.randint(200, 1500))).replace(
            hour=9, minute=0, second=0)


def _area(points: list) -> dict:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    if min(xs) == max(xs) and min(ys) == max(ys):
        return {'type': 'Point', 'coordinates': [xs[0], ys[0]]}
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    return {'type': 'Polygon', 'coordinates': [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _add_station(b: _Builder, code: str, place: sc.Place, kind: str, description: str,
                 properties: dict, specs: Sequence[_StreamSpec], stale_props: set) -> None:
    """A fixed station named '<place> <kind>' with its Datastreams; ``'*'`` in
    ``stale_props`` makes every Datastream stale."""
    properties = {'stationCode': code, **properties, 'elevation_m': place.elevation_m}
    track = [(b.installed(), place.lon, place.lat, f'{place.name} {kind} site')]
    thing_id, feature_at = b.thing(f'{place.name} {kind}', description, properties, track)
    for spec in specs:
        stale = spec.prop in stale_props or '*' in stale_props
        b.datastream(thing_id, code, place.name, spec, feature_at, b.newest(stale),
                     b.rng.randint(4, 8))


def _pick(rng: random.Random, required: Sequence, optional: Sequence, low: int, high: int) -> list:
    """``required`` plus a seeded sample of ``optional``, ``low``..``high`` items in all."""
    extra = rng.randint(max(0, low - len(required)), min(len(optional), high - len(required)))
    chosen = set(rng.sample(list(optional), extra))
    return list(required) + [o for o in optional if o in chosen]


# --------------------------------------------------------------------------
# the two services


_WEATHER = {
    'air_temperature': ('degC', 'wxt536'), 'relative_humidity': ('percent', 'wxt536'),
    'air_pressure': ('hPa', 'wxt536'), 'wind_speed': ('m_s', 'wxt536'),
    'wind_direction': ('deg', 'wxt536'), 'precipitation': ('mm', 'wxt536'),
}
#: channels of the legacy gas detector, by what they measure
_LEGACY_CHANNELS = {'EX': 'gas_p1', 'carbon_monoxide': 'gas_p2'}
_GAS_CHANNELS = {'carbon_monoxide': 'ppm', 'O2': 'vol_pct', 'H2S': 'ppm', 'EX': 'lel', 'ALARM': 'none'}


def _incident_service(rng: random.Random, now: datetime) -> StaDataset:
    ds = StaDataset('incident', 'Ahr valley incident sensors',
                    'Sensors of the district incident network during the flood and '
                    'hazardous-materials incident at Dernau (fictional demo data).')
    b = _Builder(ds, rng, now)
    operator = {'operator': 'Kreis Ahrweiler incident command (demo)', 'license': 'CC-BY-4.0'}
    stale_station = rng.randrange(len(sc.WEATHER_STATIONS) - 2)
    stale_gauge = rng.randrange(len(sc.GAUGES))
    stale_single = {(kind, rng.randrange(n)) for kind, n in (
        ('weather', len(sc.WEATHER_STATIONS)), ('gauge', len(sc.GAUGES)),
        ('aq', len(sc.AIR_QUALITY_SITES)))}

    for i, place in enumerate(sc.WEATHER_STATIONS):
        if i >= len(sc.WEATHER_STATIONS) - 2:   # volunteer stations with raw names
            specs = [_StreamSpec('temp', 'raw_C', 'hobby_wx', 5),
                     _StreamSpec('relative_humidity', 'percent', 'hobby_wx', 5)]
            network, kind = 'Volunteer weather network', 'volunteer weather station'
        else:
            chosen = _pick(rng, ['air_temperature'], list(_WEATHER)[1:], 2, 5)
            specs = [_StreamSpec(p, *_WEATHER[p], 10) for p in chosen]
            network, kind = 'Ahr incident weather network', 'weather station'
        stale = {'*'} if i == stale_station else (
            {specs[-1].prop} if ('weather', i) in stale_single else set())
        _add_station(b, f'AW-W{i + 1:02d}', place, kind, f'Automatic {kind} {place.name}, '
                     f'{place.elevation_m} m a.s.l.',
                     {'network': network, 'kind': kind, **operator,
                      'keywords': ['meteorology', 'weather']}, specs, stale)

    for i, place in enumerate(sc.GAUGES):
        if i < 4:   # older loggers that report channel names
            specs = [_StreamSpec('Parameter_1', 'cm', 'pressure_logger', 15),
                     _StreamSpec('TEMP_C', 'degC', 'pressure_logger', 15)]
        else:
            chosen = _pick(rng, ['water_level'], ['discharge', 'water_temperature'], 2, 3)
            units = {'water_level': 'cm', 'discharge': 'm3_s', 'water_temperature': 'degC'}
            specs = [_StreamSpec(p, units[p], 'radar_level', 15) for p in chosen]
        stale = {'*'} if i == stale_gauge else (
            {specs[-1].prop} if ('gauge', i) in stale_single else set())
        _add_station(b, f'AW-P{i + 1:02d}', place, 'river gauge',
                     f'River gauge {place.name} ({place.river})',
                     {'network': 'Ahr river gauges', 'kind': 'river gauge', 'river': place.river,
                      **operator, 'keywords': ['hydrology', 'water level', 'flood']}, specs, stale)

    for i, ((call_sign, vehicle), base) in enumerate(zip(sc.FIRE_ENGINES, sc.ENGINE_BASES)):
        _add_fire_engine(b, i, call_sign, vehicle, base, operator)

    for i, place in enumerate(sc.AIR_QUALITY_SITES):
        chosen = _pick(rng, ['pm10', 'pm25'], ['nitrogen_dioxide', 'temp'], 3, 4)
        units = {'pm10': 'ug_m3', 'pm25': 'ug_m3', 'nitrogen_dioxide': 'ug_m3', 'temp': 'raw_C'}
        specs = [_StreamSpec(p, units[p], 'aq_node', 5) for p in chosen]
        stale = {specs[-1].prop} if ('aq', i) in stale_single else set()
        _add_station(b, f'AW-L{i + 1:02d}', place, 'air quality node', f'Air quality node {place.name}',
                     {'network': 'Incident air quality', 'kind': 'air quality sensor', **operator,
                      'keywords': ['air quality', 'particulate matter']}, specs, stale)
    # a node set up during the incident: its NO2 cell has not reported yet
    thing_id, feature_at = b.thing(
        'Dernau Feuerwehrhaus air quality node',
        'Air quality node Dernau Feuerwehrhaus, set up during the incident',
        {'stationCode': 'AW-L05', 'network': 'Incident air quality', 'kind': 'air quality sensor',
         **operator, 'keywords': ['air quality']},
        [(now - timedelta(hours=3), 7.0447, 50.5306, 'Dernau Feuerwehrhaus site')])
    b.datastream(thing_id, 'AW-L05', 'Dernau Feuerwehrhaus', _StreamSpec('pm10', 'ug_m3', 'aq_node', 5),
                 feature_at, b.newest(False), 6)
    b.datastream(thing_id, 'AW-L05', 'Dernau Feuerwehrhaus',
                 _StreamSpec('nitrogen_dioxide', 'ug_m3', 'aq_node', 5), feature_at, None, 0)
    return ds


def _add_fire_engine(b: _Builder, index: int, call_sign: str, vehicle: str, base: tuple,
                     operator: dict) -> None:
    """A fire engine with a gas detector, driving from its station to the incident site."""
    rng, now = b.rng, b.now
    stops = rng.randint(3, 4)
    track = []
    for k in range(stops):
        share = k / (stops - 1)
        lon = base[0] + (sc.INCIDENT_SITE[0] - base[0]) * share + rng.uniform(-0.003, 0.003)
        lat = base[1] + (sc.INCIDENT_SITE[1] - base[1]) * share + rng.uniform(-0.002, 0.002)
        time = (now - timedelta(minutes=30 * (stops - k) + rng.randint(0, 10))).replace(second=0)
        label = 'fire station' if k == 0 else ('incident site' if k == stops - 1 else 'en route')
        track.append((time, lon, lat, f'{call_sign} {label} ({time:%H:%M} UTC)'))
    properties = {'stationCode': f'AW-F{index + 1:02d}', 'callSign': call_sign,
                  'vehicleType': vehicle, 'network': 'Fire service gas detection',
                  'kind': 'gas detector', 'mobile': True, **operator,
                  'keywords': ['hazmat', 'gas detection', 'fire service']}
    thing_id, feature_at = b.thing(f'{vehicle} {call_sign}',
                                   f'Fire engine {vehicle} {call_sign} with a multi-gas detector; '
                                   'position from the vehicle GNSS', properties, track)
    channels = _pick(rng, ['carbon_monoxide', 'O2'], ['H2S', 'EX', 'ALARM'], 3, 5)
    if index % 2 == 1:   # an older detector: numbered channels (the demo dictionary maps them)
        channels = ['EX', 'carbon_monoxide', 'O2']
    for prop in channels:
        kind = sc.CATEGORY if prop == 'ALARM' else sc.MEASUREMENT
        spec = _StreamSpec(prop, _GAS_CHANNELS[prop], 'gas_detector', 2, kind)
        if index % 2 == 1 and prop in _LEGACY_CHANNELS:
            spec = _StreamSpec(_LEGACY_CHANNELS[prop], spec.unit, 'gas_detector_legacy', 2, kind)
        b.datastream(thing_id, properties['stationCode'], call_sign, spec, feature_at,
                     b.newest(False), rng.randint(5, 8))


def _neighbour_service(rng: random.Random, now: datetime) -> StaDataset:
    ds = StaDataset('neighbour', 'Upper Ahr and Erft gauges (neighbouring agency)',
                    'Gauges and weather stations of the neighbouring water agency upstream '
                    '(fictional demo data).')
    b = _Builder(ds, rng, now)
    common = {'operator': 'Wasserverband Oberlauf (demo)', 'license': 'DL-DE-BY-2.0'}
    for i, place in enumerate(sc.NEIGHBOUR_GAUGES):
        specs = [_StreamSpec('Wasserstand', 'cm', 'radar_level', 15),
                 _StreamSpec('Abfluss', 'm3_s', 'radar_level', 15)]
        _add_station(b, f'NW-P{i + 1}', place, 'Pegel', f'Pegel {place.name} ({place.river})',
                     {'network': 'Pegelnetz Oberlauf', 'kind': 'river gauge', 'river': place.river,
                      **common, 'keywords': ['Hydrologie', 'Pegel']},
                     specs, {'*'} if place.name == 'Kirspenich' else set())
    weather = (
        [_StreamSpec('Lufttemperatur', 'degC', 'wxt536', 10),
         _StreamSpec('Niederschlag', 'mm', 'wxt536', 10)],
        [_StreamSpec('temp_F', 'degF', 'hobby_wx', 5),
         _StreamSpec('relative_humidity', 'percent', 'hobby_wx', 5)],
    )
    for i, (place, specs) in enumerate(zip(sc.NEIGHBOUR_WEATHER, weather)):
        _add_station(b, f'NW-W{i + 1}', place, 'Wetterstation', f'Wetterstation {place.name}',
                     {'network': 'Wetter Oberlauf', 'kind': 'weather station', **common,
                      'keywords': ['Meteorologie', 'Wetter']}, specs, set())
    return ds
