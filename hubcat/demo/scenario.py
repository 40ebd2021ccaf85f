"""The fixed facts of the demo's incident scenario: places, vocabularies, sensor models.

A fictional flood with a hazardous-materials release in the Ahr valley
(Rhineland-Palatinate, Germany). Two sensor services observe it:

- ``incident``: the district's incident network (weather stations, river
  gauges, gas detectors on fire engines, air-quality nodes);
- ``neighbour``: a smaller network of the neighbouring water agency upstream
  (North Rhine-Westphalia), which names its parameters in German.

Only constants live here; :mod:`hubcat.demo.data` turns them into STA entities.
Coordinates are lon/lat (WGS 84), rounded to about 10 m.
"""
from __future__ import annotations

import logging
from typing import NamedTuple, Optional

LOGGER = logging.getLogger(__name__)

OM = 'http://www.opengis.net/def/observationType/OGC-OM/2.0/'
MEASUREMENT = OM + 'OM_Measurement'
CATEGORY = OM + 'OM_CategoryObservation'

NVS_STANDARD_NAME = 'http://vocab.nerc.ac.uk/standard_name/'
INCIDENT_SITE = (7.0435, 50.5335)  # Dernau industrial area: the hazmat release


class Unit(NamedTuple):
    """An STA unitOfMeasurement."""
    name: Optional[str]
    symbol: Optional[str]
    definition: Optional[str]


class Property(NamedTuple):
    """An ObservedProperty and the range its simulated values move in."""
    name: str
    definition: str
    description: str
    low: float
    high: float
    decimals: int = 1
    categories: tuple = ()


class SensorModel(NamedTuple):
    """A Sensor entity: one per instrument model."""
    name: str
    description: str
    encoding_type: str
    metadata: str


class Place(NamedTuple):
    """A named site with its position and elevation."""
    name: str
    lon: float
    lat: float
    elevation_m: int
    river: str = ''


UNITS = {
    'degC': Unit('degree Celsius', '°C', 'http://qudt.org/vocab/unit/DEG_C'),
    'degF': Unit('degree Fahrenheit', '°F', 'http://qudt.org/vocab/unit/DEG_F'),
    'raw_C': Unit('C', 'C', ''),
    'percent': Unit('percent', '%', 'http://qudt.org/vocab/unit/PERCENT'),
    'hPa': Unit('hectopascal', 'hPa', 'http://qudt.org/vocab/unit/HectoPA'),
    'm_s': Unit('metre per second', 'm/s', 'http://qudt.org/vocab/unit/M-PER-SEC'),
    'deg': Unit('degree', '°', 'http://qudt.org/vocab/unit/DEG'),
    'mm': Unit('millimetre', 'mm', 'http://qudt.org/vocab/unit/MilliM'),
    'cm': Unit('centimetre', 'cm', 'http://qudt.org/vocab/unit/CentiM'),
    'm3_s': Unit('cubic metre per second', 'm³/s', 'http://qudt.org/vocab/unit/M3-PER-SEC'),
    'ppm': Unit('parts per million', 'ppm', 'http://qudt.org/vocab/unit/PPM'),
    'vol_pct': Unit('percent by volume', 'Vol-%', 'http://qudt.org/vocab/unit/PERCENT'),
    'lel': Unit('percent of lower explosive limit', '%LEL', 'http://qudt.org/vocab/unit/PERCENT'),
    'ug_m3': Unit('microgram per cubic metre', 'µg/m³',
                  'http://qudt.org/vocab/unit/MicroGM-PER-M3'),
    'none': Unit(None, None, None),
}

_AHR_PARAMS = 'http://pegel.ahr-demo.example.org/parameters/'
_GAS = 'urn:x-hubcat-demo:gas-detector:channel:'
_NRW_PARAMS = 'http://wasser.nachbar-demo.example.org/parameter/'
_GAS_LEGACY = 'urn:x-hubcat-demo:gas-detector-gx4:channel:'

PROPERTIES = {
    # well-described properties with vocabulary URIs
    'air_temperature': Property(
        'Air temperature', 'http://vocab.nerc.ac.uk/collection/P07/current/CFSN0023/',
        'Temperature of the air 2 m above ground.', 11.0, 17.0),
    'relative_humidity': Property(
        'Relative humidity', NVS_STANDARD_NAME + 'relative_humidity/',
        'Relative humidity of the air 2 m above ground.', 78.0, 99.0, 0),
    'air_pressure': Property(
        'Air pressure', NVS_STANDARD_NAME + 'air_pressure/',
        'Atmospheric pressure at station height.', 985.0, 1002.0),
    'wind_speed': Property(
        'Wind speed', NVS_STANDARD_NAME + 'wind_speed/',
        'Ten-minute mean wind speed 10 m above ground.', 0.5, 9.0),
    'wind_direction': Property(
        'Wind direction', NVS_STANDARD_NAME + 'wind_from_direction/',
        'Direction the wind blows from, clockwise from north.', 180.0, 290.0, 0),
    'precipitation': Property(
        'Precipitation amount', NVS_STANDARD_NAME + 'precipitation_amount/',
        'Precipitation in the last ten minutes.', 0.0, 6.0),
    'water_level': Property(
        'Water level', NVS_STANDARD_NAME + 'water_surface_height_above_reference_datum/',
        'Water level above the gauge datum.', 180.0, 520.0, 0),
    'discharge': Property(
        'Discharge', NVS_STANDARD_NAME + 'water_volume_transport_in_river_channel/',
        'Volume of water passing the gauge per second.', 40.0, 380.0),
    'water_temperature': Property(
        'Water temperature', 'http://vocab.nerc.ac.uk/collection/P01/current/TEMPPR01/',
        'Temperature of the river water.', 12.0, 15.5),
    'carbon_monoxide': Property(
        'Carbon monoxide', NVS_STANDARD_NAME + 'mole_fraction_of_carbon_monoxide_in_air/',
        'Carbon monoxide in ambient air at the detector.', 0.0, 35.0, 0),
    'pm10': Property(
        'PM10', NVS_STANDARD_NAME + 'mass_concentration_of_pm10_ambient_aerosol_particles_in_air/',
        'Particulate matter below 10 micrometres.', 8.0, 90.0),
    'pm25': Property(
        'PM2.5', NVS_STANDARD_NAME + 'mass_concentration_of_pm2p5_ambient_aerosol_particles_in_air/',
        'Particulate matter below 2.5 micrometres.', 5.0, 60.0),
    'nitrogen_dioxide': Property(
        'Nitrogen dioxide', NVS_STANDARD_NAME + 'mass_concentration_of_nitrogen_dioxide_in_air/',
        'Nitrogen dioxide in ambient air.', 10.0, 70.0),
    # opaque raw names, as data loggers and detectors report them
    'Parameter_1': Property(
        'Parameter_1', _AHR_PARAMS + 'Parameter_1',
        'Channel 1 of the gauge data logger.', 150.0, 480.0, 0),
    'TEMP_C': Property(
        'TEMP_C', _AHR_PARAMS + 'TEMP_C', 'Temperature channel of the gauge data logger.',
        12.0, 15.5),
    'temp': Property('temp', 'temp', '', 10.0, 18.0),
    'H2S': Property('H2S', _GAS + 'H2S', 'Detector channel H2S.', 0.0, 12.0),
    'O2': Property('O2', _GAS + 'O2', 'Detector channel O2.', 19.6, 20.9),
    'EX': Property('EX', _GAS + 'EX', 'Detector channel EX (flammable gases).', 0.0, 18.0, 0),
    # legacy detectors on some fire engines number their channels (demo dictionary maps them)
    'gas_p1': Property('Parameter_1', _GAS_LEGACY + '1', 'Channel 1 of the detector.',
                       0.0, 18.0, 0),
    'gas_p2': Property('Parameter_2', _GAS_LEGACY + '2', 'Channel 2 of the detector.',
                       0.0, 35.0, 0),
    'ALARM': Property('ALARM', _GAS + 'ALARM', 'Alarm state of the detector.', 0, 0, 0,
                      ('none', 'none', 'none', 'A1', 'A2')),
    # the neighbouring agency's German parameter names
    'Wasserstand': Property('Wasserstand', _NRW_PARAMS + 'W', 'Wasserstand am Pegel.',
                            90.0, 260.0, 0),
    'Abfluss': Property('Abfluss', _NRW_PARAMS + 'Q', 'Abfluss am Pegel.', 8.0, 95.0),
    'Lufttemperatur': Property('Lufttemperatur', _NRW_PARAMS + 'LT', 'Lufttemperatur 2 m.',
                               9.0, 15.0),
    'Niederschlag': Property('Niederschlag', _NRW_PARAMS + 'N', 'Niederschlag 10 min.', 0.0, 5.0),
    'temp_F': Property('temp', 'temp', '', 50.0, 62.0),
}

_DATASHEETS = 'https://sensors.hubcat-demo.example.org/'
_SENSORML = 'http://www.opengis.net/doc/IS/SensorML/2.0'

SENSORS = {
    'wxt536': SensorModel('Vaisala WXT536', 'Compact multi-parameter weather transmitter.',
                          'application/pdf', _DATASHEETS + 'vaisala-wxt536.pdf'),
    'hobby_wx': SensorModel('WH2650 hobby weather station', 'Consumer weather station on a mast.',
                            'text/html', _DATASHEETS + 'wh2650.html'),
    'radar_level': SensorModel('OTT RLS radar level sensor', 'Contactless radar water level sensor.',
                               'application/pdf', _DATASHEETS + 'ott-rls.pdf'),
    'pressure_logger': SensorModel('Pegel logger DL-3',
                                   'Pressure probe with a three-channel data logger.',
                                   _SENSORML, _DATASHEETS + 'sensorml/dl-3.xml'),
    'gas_detector': SensorModel('Multi-gas detector X-8',
                                'Portable four-channel gas detector with alarm output.',
                                'application/pdf', _DATASHEETS + 'multigas-x8.pdf'),
    'gas_detector_legacy': SensorModel('Gas detector GX-4 (legacy)',
                                       'Older detector that reports numbered channels only.',
                                       'application/pdf', _DATASHEETS + 'gx-4.pdf'),
    'aq_node': SensorModel('Air quality node AQ-2',
                           'Optical particle counter and electrochemical NO2 cell.',
                           'application/pdf', _DATASHEETS + 'aq-2.pdf'),
}

WEATHER_STATIONS = (
    Place('Nürburg', 6.9506, 50.3431, 620), Place('Hohe Acht', 7.0111, 50.3867, 747),
    Place('Adenau', 6.9331, 50.3836, 300), Place('Barweiler', 6.8594, 50.3581, 520),
    Place('Ahrhütte', 6.7811, 50.4272, 390), Place('Kesseling', 7.0506, 50.4561, 320),
    Place('Kalenborn', 7.0417, 50.5689, 350), Place('Grafschaft-Ringen', 7.0833, 50.5828, 230),
    Place('Bad Neuenahr', 7.1183, 50.5447, 92), Place('Bad Bodendorf', 7.2142, 50.5411, 70),
    Place('Altenahr Horn', 6.9925, 50.5231, 330), Place('Dernau Krausberg', 7.0461, 50.5217, 380),
)
GAUGES = (
    Place('Müsch', 6.8267, 50.3836, 300, 'Ahr'), Place('Schuld', 6.9044, 50.4456, 245, 'Ahr'),
    Place('Insul', 6.9289, 50.4397, 230, 'Ahr'), Place('Kreuzberg', 6.9889, 50.4994, 180, 'Ahr'),
    Place('Altenahr', 7.0047, 50.5167, 165, 'Ahr'), Place('Dernau', 7.0431, 50.5319, 130, 'Ahr'),
    Place('Walporzheim', 7.0803, 50.5394, 110, 'Ahr'), Place('Bad Neuenahr', 7.1156, 50.5456, 90, 'Ahr'),
    Place('Bad Bodendorf', 7.2125, 50.5403, 70, 'Ahr'),
    Place('Adenau', 6.9317, 50.3847, 290, 'Adenauer Bach'),
)
FIRE_ENGINES = (
    ('Florian Ahrweiler 1/46-1', 'HLF 20'), ('Florian Ahrweiler 2/44-1', 'HLF 10'),
    ('Florian Altenahr 1/42-1', 'LF 10'), ('Florian Grafschaft 1/48-1', 'HLF 20'),
    ('Florian Sinzig 1/46-2', 'HLF 20'), ('Florian Ahrweiler 1/55-1', 'GW-Mess'),
)
ENGINE_BASES = (
    (7.0969, 50.5425), (7.1172, 50.5474), (7.0011, 50.5172),
    (7.0631, 50.5786), (7.2408, 50.5447), (7.0947, 50.5451),
)
AIR_QUALITY_SITES = (
    Place('Dernau Bahnhof', 7.0458, 50.5342, 130), Place('Rech', 7.0378, 50.5178, 140),
    Place('Marienthal', 7.0592, 50.5375, 125), Place('Ahrweiler Markt', 7.0953, 50.5431, 105),
)
NEIGHBOUR_GAUGES = (
    Place('Blankenheim', 6.6497, 50.4378, 500, 'Ahr'), Place('Ahrdorf', 6.7736, 50.4133, 360, 'Ahr'),
    Place('Bad Münstereifel', 6.7631, 50.5564, 280, 'Erft'),
    Place('Kirspenich', 6.7878, 50.6092, 220, 'Erft'),
)
NEIGHBOUR_WEATHER = (
    Place('Nettersheim', 6.6317, 50.4925, 460), Place('Schmidtheim', 6.6347, 50.4117, 560),
)
