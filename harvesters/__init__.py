"""Harvesters: one module per source type, a registry that maps a type to its class.

Public surface: :func:`get_harvester_class`, :class:`BaseHarvester`,
:class:`HarvestResult`, :class:`HarvestError`.
"""
from harvesters.base import BaseHarvester, HarvestError, HarvestResult, SourceUnreachable
from harvesters.registry import available_types, get_harvester_class

__all__ = ['BaseHarvester', 'HarvestError', 'HarvestResult', 'SourceUnreachable', 'available_types',
           'get_harvester_class']
