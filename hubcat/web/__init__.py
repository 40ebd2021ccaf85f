"""HubCat's Flask blueprints: ``/csw``, ``/federated/csw``, and the JSON API under ``/api``."""
