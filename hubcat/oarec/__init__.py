"""OGC API - Records Part 1 (OGC 20-004r1) on HubCat's catalogue.

The same records as ``/csw``, as GeoJSON and HTML under ``/records``.  Searches run
through HubCat's own CSW path in-process (one query engine, one set of rules), so a
query through OGC API - Records and the same query through CSW return the same records.
"""
