"""The contract every harvester fulfils, and its named errors."""
from __future__ import annotations

import abc
import logging
from dataclasses import dataclass, field
from typing import Callable, Optional

from hubcat.records import CatalogRecord

LOGGER = logging.getLogger(__name__)

#: progress(done, total_or_None, message) -- called as work advances; ``done`` is None for
#: a step that has no count (the message says what is being done)
ProgressCallback = Callable[[Optional[int], Optional[int], str], None]


class HarvestError(Exception):
    """A harvest failed; the message is one line a user can act on."""


class SourceUnreachable(HarvestError):
    """The source did not answer (connection refused, DNS, timeout): its records
    stay and are marked offline ``unreachable``."""


@dataclass
class HarvestResult:
    """What one harvest of one source produced.

    :param records: every record the source holds now (service first)
    :param requests: HTTP requests made
    :param warnings: errors that did not stop the harvest: something the source holds
        could not be read (a request failed, a description was refused); the run is
        ``partial``
    :param notices: everything was read, but a fallback was taken or a value was
        kept as given (navigation links after a refused ``$expand``, an offering
        listed twice); the run stays ``success``
    :param complete: False when part of the source could not be read; the
        catalogue then must not mark missing records as removed
    """
    records: list[CatalogRecord] = field(default_factory=list)
    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    complete: bool = True


class BaseHarvester(abc.ABC):
    """Fetches one source and maps it to :class:`CatalogRecord` objects.

    Subclasses keep fetching (HTTP) and mapping (pure functions) apart: the
    harvester is the thin glue between them.
    """

    #: short name used in the registry and in ``hubcat source add --type``
    source_type: str = ''

    def __init__(self, url: str, options: Optional[dict] = None, client=None,
                 progress: Optional[ProgressCallback] = None):
        """
        :param url: the source URL as registered
        :param options: source options (page size, timeouts, ...)
        :param client: a :class:`harvesters.http.HttpClient`; one is made if None
        :param progress: optional progress callback
        """
        from harvesters.http import client_from_options
        self.url = url
        self.options = dict(options or {})
        self.client = client or client_from_options(self.options)
        self.progress = progress or (lambda done, total, message='': None)

    @abc.abstractmethod
    def harvest(self) -> HarvestResult:
        """Fetch the source and return every record it holds; raise HarvestError on failure."""

    def harvest_to(self, sink: Callable[[list[CatalogRecord]], None]) -> HarvestResult:
        """Fetch the source, handing its records to ``sink`` in batches as they are read
        (a batch holds a Thing with its Datastreams); raise HarvestError on failure.

        This default reads everything first and hands it over in one batch; harvesters
        of large sources override it to stream.

        :returns: the result, without records
        """
        result = self.harvest()
        sink(result.records)
        result.records = []
        return result

    @classmethod
    def normalise_url(cls, url: str) -> str:
        """The canonical form of a source URL (used for identifiers and de-duplication)."""
        return url.strip()
