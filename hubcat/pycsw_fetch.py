"""pycsw's own fetches (a CSW-T Harvest of a non-sensor ResourceType) under HubCat's URL policy.

pycsw 2.6.2 fetches a Harvest's Source with ``pycsw.core.util.http_request`` (urllib,
which follows redirects anywhere).  :func:`install` replaces that function with one
that fetches through HubCat's harvest HTTP client, so the Source and every redirect
pass :class:`hubcat.url_policy.UrlPolicy` (the configuration of the running app).
OWSLib's requests for service ResourceTypes (WMS, CSW, ...) are not covered.
"""
from __future__ import annotations

from pycsw.core import util

_ORIGINAL = util.http_request


def _policy():
    from hubcat.url_policy import UrlPolicy
    try:
        from flask import current_app
        return UrlPolicy.from_config(current_app.config['HUBCAT'])
    except (RuntimeError, KeyError):   # outside the app: the default policy
        return UrlPolicy()


def http_request(method, url, request=None, timeout=30):
    """pycsw's ``http_request`` with every URL (redirects too) checked against the policy.

    :raises UrlRefused: when the URL or a redirect is refused (pycsw reports it)
    """
    from harvesters.http import HttpClient
    policy = _policy()
    if method == 'POST':
        policy.check(url)
        return _ORIGINAL(method, url, request, timeout)
    client = HttpClient(timeout=timeout, retries=0, max_workers=1, policy=policy)
    try:
        response = client.session.get(url, timeout=timeout)
        response.raise_for_status()
        return response.content
    finally:
        client.close()


def install() -> None:
    """Make pycsw fetch through :func:`http_request` (idempotent)."""
    util.http_request = http_request
