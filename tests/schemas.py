"""XML Schema validation against the schemas pycsw ships (loaded once, never from the network)."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pycsw
from lxml import etree

PYCSW = os.path.dirname(pycsw.__file__)
ISO_BASE = os.path.join(PYCSW, 'plugins/profiles/apiso/schemas/ogc/iso/19139/20060504')
#: OASIS rim.xsd 3.0 (with its length limits), read in place from ../shared
RIM_XSD = Path(__file__).resolve().parents[1].parent / 'shared' / 'schemas' / 'ebrim-3.0' / 'rim.xsd'


@functools.lru_cache(maxsize=None)
def csw202() -> etree.XMLSchema:
    """CSW 2.0.2 discovery schema (with Dublin Core, OWS 1.0, Filter 1.1)."""
    return etree.XMLSchema(etree.parse(os.path.join(PYCSW, 'core/schemas/ogc/csw/2.0.2/CSW-discovery.xsd')))


@functools.lru_cache(maxsize=None)
def csw30() -> etree.XMLSchema:
    """CSW 3.0 (GetRecords responses with csw30 Dublin Core records, OWS 2.0, FES 2.0)."""
    return etree.XMLSchema(etree.parse(os.path.join(PYCSW, 'core/schemas/ogc/cat/csw/3.0/cswAll.xsd')))


@functools.lru_cache(maxsize=None)
def iso19139() -> etree.XMLSchema:
    """ISO 19139 gmd + srv (2006-05-04 release, GML 3.2.0 namespace)."""
    wrapper = f'''<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="http://www.isotc211.org/2005/gmd" schemaLocation="file://{ISO_BASE}/gmd/gmd.xsd"/>
      <xs:import namespace="http://www.isotc211.org/2005/srv" schemaLocation="file://{ISO_BASE}/srv/srv.xsd"/>
    </xs:schema>'''
    return etree.XMLSchema(etree.fromstring(wrapper))


@functools.lru_cache(maxsize=None)
def ebrim() -> etree.XMLSchema:
    """OASIS ebRIM 3.0 (../shared rim.xsd) with pycsw's CSW-ebRIM ``wrs`` schema (wrs:ValueList,
    wrs:AnyValue) and GML 3.1.1 (through Filter 1.1) for the envelopes inside; local files only."""
    core = os.path.join(PYCSW, 'core/schemas')
    imports = [
        ('urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0', str(RIM_XSD)),
        ('http://www.w3.org/1999/xlink', f'{core}/w3c/1999/xlink.xsd'),
        ('http://www.opengis.net/ogc', f'{core}/ogc/filter/1.1.0/filter.xsd'),
        ('http://www.opengis.net/cat/csw/2.0.2', f'{core}/ogc/csw/2.0.2/CSW-publication.xsd'),
        ('http://www.opengis.net/cat/wrs/1.0', os.path.join(
            PYCSW, 'plugins/profiles/ebrim/schemas/ogc/csw/2.0.2/profiles/ebrim/1.0/csw-ebrim.xsd')),
    ]
    wrapper = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">%s</xs:schema>' % ''.join(
        f'<xs:import namespace="{ns}" schemaLocation="file://{path}"/>' for ns, path in imports)
    return etree.XMLSchema(etree.fromstring(wrapper))


def assert_valid(schema: etree.XMLSchema, element) -> None:
    """Fail with the schema's first error when ``element`` (bytes or Element) is invalid."""
    if isinstance(element, (bytes, str)):
        element = etree.fromstring(element)
    tree = etree.ElementTree(element)
    if not schema.validate(tree):
        raise AssertionError(f'schema-invalid: {schema.error_log.last_error}')
