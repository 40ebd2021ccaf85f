"""Maps a source type ('sta', 'sos', ...) to its harvester class.

Built-ins and third-party harvesters are both listed in the ``hubcat.harvesters``
entry-point group; a dotted path ``package.module:Class`` also works.
"""
from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from harvesters.base import BaseHarvester

BUILTIN = {
    'sta': 'harvesters.sta:SensorThingsHarvester',
    'sos': 'harvesters.sos:SensorObservationServiceHarvester',
}


class UnknownSourceType(ValueError):
    """No harvester is registered under that name."""


def _registered() -> dict[str, str]:
    found = dict(BUILTIN)
    for ep in entry_points(group='hubcat.harvesters'):
        found.setdefault(ep.name, ep.value)
    return found


def available_types() -> list[str]:
    """The source types a harvester is registered for."""
    return sorted(_registered())


def get_harvester_class(name: str) -> type[BaseHarvester]:
    """The harvester class for a short name or a dotted ``module:Class`` path.

    :raises UnknownSourceType: when neither names a BaseHarvester subclass
    """
    target = _registered().get(name.lower(), name)
    module_name, _, class_name = target.replace(':', '.').rpartition('.')
    if not module_name:
        raise UnknownSourceType(
            f'unknown source type {name!r} (known: {", ".join(available_types())})')
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except ModuleNotFoundError as err:
        if err.name and module_name.startswith(err.name):
            raise UnknownSourceType(
                f'unknown source type {name!r} (known: {", ".join(available_types())})') from None
        raise UnknownSourceType(f'cannot load harvester {target}: {err}') from None
    except (ImportError, AttributeError, ValueError) as err:
        raise UnknownSourceType(f'cannot load harvester {target}: {err}') from None
    if not (isinstance(cls, type) and issubclass(cls, BaseHarvester)):
        raise UnknownSourceType(f'{target} is not a harvester')
    return cls
