"""XML Schema validation against the schemas pycsw ships (loaded once, never from the network)."""
from __future__ import annotations

import functools
import os

import pycsw
from lxml import etree

PYCSW = os.path.dirname(pycsw.__file__)
ISO_BASE = os.path.join(PYCSW, 'plugins/profiles/apiso/schemas/ogc/iso/19139/20060504')


@functools.lru_cache(maxsize=None)
def csw202() -> etree.XMLSchema:
    """CSW 2.0.2 discovery schema (with Dublin Core, OWS 1.0, Filter 1.1)."""
    return etree.XMLSchema(etree.parse(os.path.join(PYCSW, 'core/schemas/ogc/csw/2.0.2/CSW-discovery.xsd')))


@functools.lru_cache(maxsize=None)
def iso19139() -> etree.XMLSchema:
    """ISO 19139 gmd + srv (2006-05-04 release, GML 3.2.0 namespace)."""
    wrapper = f'''<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="http://www.isotc211.org/2005/gmd" schemaLocation="file://{ISO_BASE}/gmd/gmd.xsd"/>
      <xs:import namespace="http://www.isotc211.org/2005/srv" schemaLocation="file://{ISO_BASE}/srv/srv.xsd"/>
    </xs:schema>'''
    return etree.XMLSchema(etree.fromstring(wrapper))


def assert_valid(schema: etree.XMLSchema, element) -> None:
    """Fail with the schema's first error when ``element`` (bytes or Element) is invalid."""
    if isinstance(element, (bytes, str)):
        element = etree.fromstring(element)
    tree = etree.ElementTree(element)
    if not schema.validate(tree):
        raise AssertionError(f'schema-invalid: {schema.error_log.last_error}')
