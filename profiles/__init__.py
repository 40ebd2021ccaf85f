"""Output side of HubCat: pycsw profile plugins.

pycsw loads profiles only from ``pycsw.plugins.profiles.<name>.<name>``.
:func:`register` is the one place that makes HubCat's profile importable under
that path; :mod:`hubcat.csw` calls it before pycsw loads profiles.
"""
from __future__ import annotations

import sys

PROFILE_NAME = 'hubcat'


def register() -> str:
    """Make ``profiles.hubcat`` importable as ``pycsw.plugins.profiles.hubcat``; returns its name."""
    import pycsw.plugins.profiles as pycsw_profiles

    from profiles import hubcat as package
    from profiles.hubcat import hubcat as module

    sys.modules.setdefault(f'pycsw.plugins.profiles.{PROFILE_NAME}', package)
    sys.modules.setdefault(f'pycsw.plugins.profiles.{PROFILE_NAME}.{PROFILE_NAME}', module)
    setattr(pycsw_profiles, PROFILE_NAME, package)
    return PROFILE_NAME
