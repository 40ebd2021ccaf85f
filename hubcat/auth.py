"""The one administrator-token check shared by every write: CSW-T, /api/sources, /api/peers.

Writes need ``Authorization: Bearer <token>`` (the scheme name is case-insensitive,
as RFC 7235 says) with ``[hubcat] admin_token`` (or ``HUBCAT_ADMIN_TOKEN``); with no
token configured every write is refused.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Optional

from hubcat.config import Config

#: the challenge sent with 401 answers
CHALLENGE = {'WWW-Authenticate': 'Bearer realm="HubCat"'}


@dataclass
class Refusal:
    """Why a write is refused: HTTP status (401 no/wrong token, 403 writes disabled),
    a one-line message and the headers to send."""
    status: int
    message: str
    headers: dict = field(default_factory=dict)


def bearer_token(headers) -> str:
    """The token of an ``Authorization: Bearer <token>`` header ('' if none; scheme in any case)."""
    scheme, _, token = (headers.get('Authorization', '') or '').strip().partition(' ')
    return token.strip() if scheme.lower() == 'bearer' else ''


def authorised(config: Config, headers) -> bool:
    """True when the request carries the administrator token (and one is configured)."""
    return admin_refusal(config, headers) is None


def admin_refusal(config: Config, headers) -> Optional[Refusal]:
    """None when the request may write, else the :class:`Refusal` to answer with."""
    token = config.admin_token
    if not token:
        return Refusal(403, 'writes are disabled: no administrator token is configured '
                            '([hubcat] admin_token or HUBCAT_ADMIN_TOKEN)')
    given = bearer_token(headers)
    if not given:
        return Refusal(401, 'this request needs the administrator token '
                            '(Authorization: Bearer <token>)', dict(CHALLENGE))
    if not hmac.compare_digest(given.encode('utf-8', 'surrogateescape'),
                               token.encode('utf-8', 'surrogateescape')):
        return Refusal(401, 'wrong administrator token', dict(CHALLENGE))
    return None
