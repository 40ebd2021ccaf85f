"""The demo STA server's data model: entity sets, their properties and navigation.

:data:`SCHEMA` states the SensorThings API 1.1 sensing data model (entity
sets, properties in output order, navigation properties and their targets).
:class:`StaStore` indexes one :class:`hubcat.demo.data.StaDataset` by id and
answers navigation in both directions. Read-only; safe to share between threads.
"""
from __future__ import annotations

import logging
from typing import NamedTuple, Optional

from hubcat.demo.data import StaDataset

LOGGER = logging.getLogger(__name__)


class EntitySet(NamedTuple):
    """An entity set of the data model."""
    attribute: str      # the StaDataset list that holds its entities
    properties: tuple   # properties in output order
    navigation: dict    # navigation property -> (target entity set, is a collection)


SCHEMA = {
    'Things': EntitySet('things', ('name', 'description', 'properties'), {
        'Locations': ('Locations', True), 'HistoricalLocations': ('HistoricalLocations', True),
        'Datastreams': ('Datastreams', True)}),
    'Locations': EntitySet('locations', ('name', 'description', 'encodingType', 'location',
                                         'properties'), {
        'Things': ('Things', True), 'HistoricalLocations': ('HistoricalLocations', True)}),
    'HistoricalLocations': EntitySet('historical_locations', ('time',), {
        'Thing': ('Things', False), 'Locations': ('Locations', True)}),
    'Datastreams': EntitySet('datastreams', (
        'name', 'description', 'unitOfMeasurement', 'observationType', 'observedArea',
        'phenomenonTime', 'resultTime', 'properties'), {
        'Thing': ('Things', False), 'Sensor': ('Sensors', False),
        'ObservedProperty': ('ObservedProperties', False), 'Observations': ('Observations', True)}),
    'ObservedProperties': EntitySet('observed_properties', (
        'name', 'definition', 'description', 'properties'), {'Datastreams': ('Datastreams', True)}),
    'Sensors': EntitySet('sensors', ('name', 'description', 'encodingType', 'metadata',
                                     'properties'), {'Datastreams': ('Datastreams', True)}),
    'Observations': EntitySet('observations', (
        'phenomenonTime', 'resultTime', 'result', 'resultQuality', 'validTime', 'parameters'), {
        'Datastream': ('Datastreams', False), 'FeatureOfInterest': ('FeaturesOfInterest', False)}),
    'FeaturesOfInterest': EntitySet('features_of_interest', (
        'name', 'description', 'encodingType', 'feature', 'properties'), {
        'Observations': ('Observations', True)}),
}

#: (entity set, navigation property, StaDataset relation, inverse navigation property)
_RELATIONS = (
    ('Things', 'Locations', 'thing_locations', 'Things'),
    ('HistoricalLocations', 'Thing', 'historical_location_thing', 'HistoricalLocations'),
    ('HistoricalLocations', 'Locations', 'historical_location_locations', 'HistoricalLocations'),
    ('Datastreams', 'Thing', 'datastream_thing', 'Datastreams'),
    ('Datastreams', 'Sensor', 'datastream_sensor', 'Datastreams'),
    ('Datastreams', 'ObservedProperty', 'datastream_observed_property', 'Datastreams'),
    ('Observations', 'Datastream', 'observation_datastream', 'Observations'),
    ('Observations', 'FeatureOfInterest', 'observation_feature', 'Observations'),
)


class StaStore:
    """One service's entities, indexed by id, with navigation both ways."""

    def __init__(self, dataset: StaDataset):
        """:param dataset: the service's entities and relations"""
        self.dataset = dataset
        self._entities = {
            name: {e['@iot.id']: e for e in getattr(dataset, spec.attribute)}
            for name, spec in SCHEMA.items()}
        self._links = {}
        for source, nav, relation, inverse in _RELATIONS:
            target = SCHEMA[source].navigation[nav][0]
            for source_id, target_ids in getattr(dataset, relation).items():
                if isinstance(target_ids, int):
                    target_ids = [target_ids]
                for target_id in target_ids:
                    self._link(source, nav, source_id, target_id)
                    self._link(target, inverse, target_id, source_id)
        for by_id in self._links.values():
            for ids in by_id.values():
                ids.sort()

    def _link(self, entity_set: str, nav: str, from_id: int, to_id: int) -> None:
        self._links.setdefault((entity_set, nav), {}).setdefault(from_id, []).append(to_id)

    def all(self, entity_set: str) -> list:
        """Every entity of an entity set, by ascending id."""
        return list(self._entities[entity_set].values())

    def get(self, entity_set: str, entity_id: int) -> Optional[dict]:
        """The entity with this id, or None."""
        return self._entities[entity_set].get(entity_id)

    def related(self, entity_set: str, entity_id: int, nav: str) -> list:
        """Entities reached from one entity through a navigation property, by ascending id."""
        target = SCHEMA[entity_set].navigation[nav][0]
        ids = self._links.get((entity_set, nav), {}).get(entity_id, [])
        return [self._entities[target][i] for i in ids]
