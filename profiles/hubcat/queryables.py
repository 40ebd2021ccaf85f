"""The sensor profile's queryables: names clients use -> columns of the records table.

Usable in OGC Filter and CQL constraints, listed in GetCapabilities
(``SupportedHubCatQueryables`` and ``SupportedAssociationQueryables``) and in GetDomain.
"""

#: name -> records table column
SENSOR_QUERYABLES = {
    'hubcat:Status': 'hc_status',
    'hubcat:StatusReason': 'hc_status_reason',
    'hubcat:LastSeen': 'hc_last_seen',
    'hubcat:StatusChanged': 'hc_status_changed',
    'hubcat:ObservedProperty': 'hc_observed_property',
    'hubcat:ObservedPropertyURI': 'hc_observed_property_uri',
    'hubcat:ObservedPropertyRaw': 'hc_observed_property_raw',
    'hubcat:Unit': 'hc_unit',
    'hubcat:ServiceType': 'hc_service_type',
    'hubcat:ServiceURL': 'hc_service_url',
    'hubcat:ServiceIdentifier': 'hc_service_id',
    'hubcat:ThingIdentifier': 'hc_thing_id',
    'hubcat:ParentIdentifier': 'parentidentifier',
    'hubcat:ObjectType': 'hc_object_type',
    'hubcat:EntityType': 'hc_kind',
    'hubcat:PhenomenonTimeBegin': 'time_begin',
    'hubcat:PhenomenonTimeEnd': 'time_end',
    'hubcat:ExternalId': 'hc_external_ids',
}

ASSOCIATION_QUERYABLES = {
    'rim:associationType': 'hc_assoc_type',
    'rim:sourceObject': 'hc_assoc_source',
    'rim:targetObject': 'hc_assoc_target',
}

#: columns holding lists (comma-joined in the records table, one row per value in
#: hubcat_record_values): a comparison applies to each value (hubcat/multivalue.py)
MULTI_VALUED_COLUMNS = ('hc_observed_property_raw', 'hc_observed_property',
                        'hc_observed_property_uri', 'hc_unit', 'keywords', 'operateson',
                        'hc_external_ids')


def as_pycsw(queryables: dict) -> dict:
    """pycsw's queryable structure: name -> {'xpath': ..., 'dbcol': ...}."""
    return {name: {'xpath': name, 'dbcol': column} for name, column in queryables.items()}
