"""Turns entities of a :class:`~hubcat.demo.sta_store.StaStore` into STA JSON.

Applies the query options: ``$filter``, ``$orderby``, ``$skip``, ``$top``
(capped, never an error), ``$count``, ``$select`` and nested ``$expand``, and
writes ``@iot.selfLink``, ``X@iot.navigationLink`` and absolute
``@iot.nextLink`` / ``X@iot.nextLink`` links.
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from urllib.parse import quote, urlencode

from hubcat.demo.sta_filter import compile_filter
from hubcat.demo.sta_query import QueryError, QueryOptions, format_options
from hubcat.demo.sta_store import SCHEMA, StaStore

LOGGER = logging.getLogger(__name__)

_ID_NAMES = ('id', '@iot.id')


def check_options(entity_set: str, options: QueryOptions) -> None:
    """Check that every name in the options exists on the entity set (recursively).

    :raises QueryError: naming the first unknown property or navigation property
    """
    spec = SCHEMA[entity_set]
    known = set(spec.properties) | set(spec.navigation) | {'id', '@iot.id', '@iot.selfLink'}
    for name in options.select or ():
        if name not in known:
            raise QueryError(f'{entity_set} have no property {name!r} to $select')
    for key in options.orderby:
        if key.prop not in spec.properties and key.prop not in _ID_NAMES:
            raise QueryError(f'{entity_set} have no property {key.prop!r} to $orderby')
    if options.filter is not None:
        compile_filter(options.filter, entity_set)
    for item in options.expand:
        if item.name not in spec.navigation:
            raise QueryError(f'{entity_set} have no navigation property {item.name!r} to $expand')
        check_options(spec.navigation[item.name][0], item.options)


class StaRenderer:
    """Renders entities and collections for one request's base URL."""

    def __init__(self, store: StaStore, base_url: str, page_size: int = 100, max_top: int = 100):
        """
        :param store: the entities
        :param base_url: absolute URL of the service root, without a trailing slash
        :param page_size: entities per page when the client gives no ``$top``
        :param max_top: the cap of ``$top``; larger values are lowered to it
        """
        self.store = store
        self.base_url = base_url
        self.page_size = min(page_size, max_top)
        self.max_top = max_top

    def self_link(self, entity_set: str, entity: dict) -> str:
        """Absolute URL of one entity."""
        return f"{self.base_url}/{entity_set}({entity['@iot.id']})"

    def collection(self, entity_set: str, entities: list, options: QueryOptions,
                   link: str) -> dict:
        """A collection response: ``@iot.count`` (if asked), ``value``, ``@iot.nextLink``.

        :param entities: the collection before filtering, ordering and paging
        :param link: absolute URL of the collection, used in the nextLink
        """
        page, total, next_options = self._page(entity_set, entities, options)
        body = {}
        if options.count:
            body['@iot.count'] = total
        body['value'] = [self.entity(entity_set, e, options) for e in page]
        if next_options is not None:
            body['@iot.nextLink'] = link + '?' + encode_query(format_options(next_options))
        return body

    def entity(self, entity_set: str, entity: dict, options: QueryOptions) -> dict:
        """One entity with its selected properties, navigation links and expansions."""
        spec = SCHEMA[entity_set]
        selected = options.select
        self_link = self.self_link(entity_set, entity)
        body = {}
        if selected is None or set(_ID_NAMES) & set(selected):
            body['@iot.id'] = entity['@iot.id']
        if selected is None or '@iot.selfLink' in selected:
            body['@iot.selfLink'] = self_link
        for name in spec.properties:
            if name in entity and (selected is None or name in selected):
                body[name] = entity[name]
        expanded = {item.name: item.options for item in options.expand}
        for nav, (target, many) in spec.navigation.items():
            if nav in expanded:
                related = self.store.related(entity_set, entity['@iot.id'], nav)
                if many:
                    body.update(self._expanded(target, nav, related, expanded[nav],
                                               f'{self_link}/{nav}'))
                else:
                    body[nav] = self.entity(target, related[0], expanded[nav]) if related else None
            elif selected is None or nav in selected:
                body[f'{nav}@iot.navigationLink'] = f'{self_link}/{nav}'
        return body

    def _expanded(self, entity_set: str, nav: str, entities: list, options: QueryOptions,
                  link: str) -> dict:
        page, total, next_options = self._page(entity_set, entities, options)
        body = {}
        if options.count:
            body[f'{nav}@iot.count'] = total
        body[nav] = [self.entity(entity_set, e, options) for e in page]
        if next_options is not None:
            body[f'{nav}@iot.nextLink'] = link + '?' + encode_query(format_options(next_options))
        return body

    def _page(self, entity_set: str, entities: list, options: QueryOptions) -> tuple:
        """(entities of the page, total after filtering, options of the next page or None)."""
        if options.filter is not None:
            matches = compile_filter(options.filter, entity_set)
            entities = [e for e in entities if matches(e)]
        entities = order(entities, options.orderby)
        top = self.page_size if options.top is None else min(options.top, self.max_top)
        page = entities[options.skip:options.skip + top]
        more = top > 0 and options.skip + top < len(entities)
        next_options = replace(options, top=top, skip=options.skip + top) if more else None
        return page, len(entities), next_options


def order(entities: list, orderby: tuple) -> list:
    """Entities sorted by the ``$orderby`` keys; missing values sort last, ties keep id order."""
    result = list(entities)
    for key in reversed(orderby):
        prop = '@iot.id' if key.prop in _ID_NAMES else key.prop
        present = [e for e in result if e.get(prop) is not None]
        missing = [e for e in result if e.get(prop) is None]
        present.sort(key=lambda e: sort_key(e[prop]), reverse=key.descending)
        result = present + missing
    return result


def sort_key(value) -> tuple:
    """A key that orders numbers, then strings, then anything else, without TypeError."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, '')
    if isinstance(value, str):
        return (1, 0, value)
    return (2, 0, json.dumps(value, sort_keys=True))


def encode_query(pairs: list) -> str:
    """A query string that keeps OData's ``$``, parentheses, commas and quotes readable."""
    return urlencode(pairs, quote_via=quote, safe="$(),;/'=:@")

