"""HubCat: a CSW catalogue of sensors and sensor services (STA, SOS) built on pycsw."""
__version__ = '0.1.0'
