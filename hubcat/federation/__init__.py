"""Federated search: one CSW query fanned out to many catalogues at once, merged.

``fanout`` (fan-out, deadlines, the pure ``merge``), ``peer_client`` (one peer),
``peers`` (the peer list), ``csw_request`` (requests in, requests to peers),
``responses`` and ``capabilities`` (CSW documents out), ``provenance`` and
``record_values`` (reading and marking records), ``search_query`` (the JSON search),
``service`` (the operations of ``/federated/csw``).
"""
