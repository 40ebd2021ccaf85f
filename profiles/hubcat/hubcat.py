"""The pycsw profile plugin of HubCat's sensor catalogue.

pycsw imports profiles only as ``pycsw.plugins.profiles.<name>.<name>``;
:func:`profiles.register` makes this module importable there.  pycsw loads every
Profile subclass found here: the ebRIM-like sensor profile (``rim:RegistryObject``,
output schema ebRIM 3.0) and an ISO 19139 profile that extends pycsw's APISO
(its queryables stay) with HubCat's own ISO writer.
"""
from __future__ import annotations

import logging
import os

from pycsw.core import util
from pycsw.core.etree import etree
from pycsw.plugins.profiles import profile as _profile
from pycsw.plugins.profiles.apiso import apiso as _apiso

from profiles.hubcat import ebrim, iso
from profiles.hubcat.queryables import ASSOCIATION_QUERYABLES, SENSOR_QUERYABLES, as_pycsw
from profiles.hubcat.rows import RowView

LOGGER = logging.getLogger(__name__)
HUBCAT_NS = 'urn:hubcat:def:csw'
STA_RESOURCE_TYPES = ('http://www.opengis.net/doc/IS/sensorthings/1.1',
                      'http://www.opengis.net/doc/IS/sensorthings/1.0')


class SensorEbRIM(_profile.Profile):
    """ebRIM 3.0 output and the sensor queryables (status, observed property, service, ...)."""

    def __init__(self, model, namespaces, context):
        self.context = context
        self.namespaces = {'rim': ebrim.RIM, 'wrs': ebrim.WRS, 'hubcat': HUBCAT_NS}
        self.repository = {
            'outputschema': ebrim.RIM,
            'queryables': {'SupportedHubCatQueryables': as_pycsw(SENSOR_QUERYABLES)},
            'mappings': {'csw:Record': {}},
        }
        _profile.Profile.__init__(
            self, name='hubcat', version='1.0.0', title='HubCat ebRIM-like STA/SOS sensor profile',
            url='https://github.com/hubcat/hubcat', namespace=ebrim.RIM,
            typename='rim:RegistryObject', outputschema=ebrim.RIM, prefixes=['rim', 'hubcat'],
            model=model, core_namespaces=namespaces, added_namespaces=self.namespaces,
            repository=self.repository)
        # rim:Association is a typename of its own: GetRecords typeNames=rim:Association
        # returns association rows (source, target, type), so a client can walk
        # Service -> Thing -> Datastream through the catalogue.
        model['operations']['GetRecords']['parameters']['typeNames']['values'].append('rim:Association')
        if 'DescribeRecord' in model['operations']:
            model['operations']['DescribeRecord']['parameters']['typeName']['values'].append(
                'rim:Association')
        if 'Harvest' in model['operations']:  # HubCat's own harvesters (hubcat/csw_harvest.py)
            model['operations']['Harvest']['parameters']['ResourceType']['values'].extend(
                STA_RESOURCE_TYPES)
        model['typenames']['rim:Association'] = {
            'outputschema': ebrim.RIM,
            'queryables': {'SupportedAssociationQueryables': as_pycsw(ASSOCIATION_QUERYABLES)},
            'mappings': {'csw:Record': {}},
        }

    def extend_core(self, model, namespaces, config):
        """Remember where OGC schemas live."""
        self.ogc_schemas_base = config.get('server', 'ogc_schemas_base')

    def check_parameters(self, kvp):
        """No extra parameters."""
        return None

    def get_extendedcapabilities(self):
        """No extended capabilities."""
        return None

    def get_schemacomponents(self):
        """The CSW-ebRIM schema that pycsw ships (DescribeRecord)."""
        node = etree.Element(util.nspath_eval('csw:SchemaComponent', self.context.namespaces),
                             schemaLanguage='XMLSCHEMA', targetNamespace=self.namespace)
        path = os.path.join(self.context.pycsw_home, 'plugins', 'profiles', 'ebrim', 'schemas',
                            'ogc', 'csw', '2.0.2', 'profiles', 'ebrim', '1.0', 'csw-ebrim.xsd')
        node.append(etree.parse(path, self.context.parser).getroot())
        return [node]

    def check_getdomain(self, kvp):
        """No extra GetDomain checks."""
        return None

    def write_record(self, result, esn, outputschema, queryables):
        """A rim:Service, rim:ExtrinsicObject or rim:Association for one row."""
        return ebrim.render(RowView.from_row(result), esn)

    def transform2dcmappings(self, queryables):
        """No mapping changes."""
        return None


class SensorISO(_apiso.APISO):
    """pycsw's APISO (queryables, capabilities) with HubCat's ISO writer for its records."""

    def write_record(self, result, esn, outputschema, queryables, caps=None):
        """gmd:MD_Metadata for one row: HubCat's writer for its records and for records
        stored in another schema (e.g. Dublin Core loaded by CSW-T: APISO's mapping of them
        is not valid ISO 19139) or asked for in brief/summary; a record stored as ISO keeps
        its own document in ``full``."""
        if getattr(result, 'hc_kind', None) or getattr(result, 'schema', None) != self.namespace \
                or esn != 'full':   # APISO's brief and summary of ISO records are not valid either
            return iso.render(RowView.from_row(result), esn)
        return super().write_record(result, esn, outputschema, queryables, caps)
