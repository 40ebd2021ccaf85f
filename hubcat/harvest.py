"""Running one harvest of one source: harvester -> catalogue, with a run record.

Records are stored as the harvester reads them, batch by batch. A failed harvest
loses no record and changes no status (records it read before failing are stored
with their new content), except that a source that did not answer has its online
records marked offline ``unreachable`` (they are kept).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy.exc import SQLAlchemyError

from harvesters import HarvestError, SourceUnreachable, get_harvester_class
from hubcat.catalogue import Catalogue, SyncCounts
from hubcat.config import Config
from hubcat.locks import LeaseLost, SourceBusy, source_lock
from hubcat.runs import FAILED, PARTIAL, SUCCESS, RunLog
from hubcat.sources import Source, SourceRegistry
from hubcat.urls import redact_text, split_credentials

LOGGER = logging.getLogger(__name__)


@dataclass
class RunReport:
    """The outcome of one harvest run, as the CLI, API and scheduler report it."""
    run_id: int
    source: str
    outcome: str
    counts: dict = field(default_factory=dict)
    requests: int = 0
    duration: float = 0.0
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)   # fallbacks taken; not errors
    inserted: list[str] = field(default_factory=list)  # identifiers of records added by this run

    def summary(self) -> str:
        """One line: source, outcome, counts, requests, duration."""
        c = self.counts
        text = (f'{self.source}: {self.outcome}; added {c.get("added", 0)}, '
                f'updated {c.get("updated", 0)}, unchanged {c.get("unchanged", 0)}, '
                f'went offline {c.get("went_offline", 0)}, '
                f'came online {c.get("came_online", 0)}, errors {len(self.errors)}, '
                f'notices {len(self.notices)}; '
                f'{self.requests} requests in {self.duration:.1f} s')
        if self.errors:
            text += f' ({self.errors[0]})'
        return text

    def as_dict(self) -> dict:
        """JSON-ready representation."""
        return {'run_id': self.run_id, 'source': self.source, 'outcome': self.outcome,
                'counts': self.counts, 'requests': self.requests,
                'duration': round(self.duration, 3), 'errors': self.errors,
                'notices': self.notices}


class AlreadyHarvested(RuntimeError):
    """A run of the source started after the time a queued harvest was asked for."""


def run_harvest(config: Config, source_key, trigger: str = 'manual',
                progress=None, force: bool = False,
                not_since: Optional[datetime] = None) -> RunReport:
    """Harvest one source now and store the result.

    The source's lease is held (and renewed by a heartbeat) for the whole run.
    Whatever goes wrong after the run started (the source, a harvester bug, the
    database while storing, the lease taken over) ends the run ``failed`` with
    the error; it never stays ``running``.

    :param source_key: the source's id or name
    :param trigger: manual | scheduled | csw-t | api (recorded in the run history)
    :param progress: optional callback ``progress(done, total, message)``
    :param force: take over the source's lease even when its holder looks alive
    :param not_since: the time a queued harvest was asked for: checked under the lease
    :raises SourceNotFound: when no such source exists
    :raises SourceBusy: when the source is being harvested elsewhere right now
    :raises AlreadyHarvested: when a run of the source started after ``not_since``
    """
    source = SourceRegistry(config.database_url).get(source_key)
    with source_lock(config.database_url, source.id, config.lease_seconds, force=force) as lease:
        runs = RunLog(config.database_url)
        for run_id in runs.mark_interrupted(source.id):
            LOGGER.warning('run %s of %s was interrupted (its process is gone)', run_id,
                           source.name)
        last = runs.last_started(source.id) if not_since is not None else None
        if last is not None and last >= not_since:
            raise AlreadyHarvested(f'source {source.id} was harvested at {last.isoformat()}')
        run_id = runs.start(source.id, source.name, trigger, owner=lease.owner)
        started = time.monotonic()
        harvester = None
        try:
            harvester = _harvester(config, source, progress)
            return _run_locked(config, source, runs, run_id, harvester, lease, started)
        except Exception as err:  # noqa: BLE001 - the run must end failed, never stay running
            LOGGER.exception('harvest of %s failed', source.name)
            return _finish(runs, run_id, source, FAILED, SyncCounts(), harvester, started,
                           [f'{_stage(err)}: {type(err).__name__}: {_first_line(err)}'])


def _harvester(config: Config, source: Source, progress):
    """The harvester of a source, with the configured options under the source's own."""
    options = dict(config.harvest_options())
    options.update(source.options)
    options.setdefault('source_name', source.name)     # generated service titles use it
    url, client = harvest_client(config, source.url, options)
    return get_harvester_class(source.type)(url, options, client=client, progress=progress)


def _run_locked(config: Config, source: Source, runs: RunLog, run_id: int, harvester,
                lease, started: float) -> RunReport:
    """Harvest into the catalogue batch by batch as pages arrive (flat memory); statuses
    and removals are applied when the source was read (:mod:`hubcat.sync_writer`)."""
    catalogue = Catalogue(config.database_url, config.table,
                          dataset_mapping=config.get('hubcat', 'dataset_mapping') or None)
    registry = SourceRegistry(config.database_url)
    now = datetime.now(timezone.utc)
    stale_after = source.stale_after or int(harvester.options['stale_after'])
    writer = catalogue.writer(source.id, stale_after=stale_after, before_write=lease.check,
                              before_commit=lease.renew_before_commit)
    try:
        result = harvester.harvest_to(writer.write)
    except (SQLAlchemyError, LeaseLost):
        raise                     # storing failed: run_harvest ends the run failed with it
    except HarvestError as err:
        unreachable = isinstance(err, SourceUnreachable)
        counts = writer.stored_counts()
        if unreachable:
            lease.check()
            counts.went_offline = catalogue.mark_unreachable(source.id)
        registry.record_outcome(source.id, reachable=not unreachable, success=False, when=now)
        return _finish(runs, run_id, source, FAILED, counts, harvester, started, [str(err)])
    except Exception as err:  # noqa: BLE001 - a harvester bug must not lose records either
        LOGGER.exception('harvest of %s crashed', source.name)
        registry.record_outcome(source.id, reachable=True, success=False, when=now)
        return _finish(runs, run_id, source, FAILED, writer.stored_counts(), harvester, started,
                       [f'internal error: {type(err).__name__}: {err}'])
    finally:
        harvester.client.close()
    harvester.progress(None, None, 'storing status changes' +
                       (' and removals' if result.complete else ''))
    counts = writer.finish(complete=result.complete)
    registry.record_outcome(source.id, reachable=True, success=True, when=now)
    outcome = SUCCESS if result.complete and not result.warnings else PARTIAL
    report = _finish(runs, run_id, source, outcome, counts, harvester, started, result.warnings,
                     result.notices)
    report.inserted = counts.inserted
    return report


def _stage(err: Exception) -> str:
    """How a run-ending error is named in the run history."""
    if isinstance(err, LeaseLost):
        return 'lease lost'
    if isinstance(err, SQLAlchemyError):
        return 'database error while storing'
    return 'internal error'


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else ''


def harvest_client(config: Config, source_url: str, options: dict):
    """(the URL without credentials, an HttpClient) for harvesting ``source_url``.

    The client checks every request against the configured URL policy and sends the
    URL's credentials, as given, to the source's own origin only: the harvester,
    its records and its messages never see them.
    """
    from harvesters.http import OriginBasicAuth, client_from_options
    from hubcat.url_policy import UrlPolicy
    url, credentials = split_credentials(source_url)
    auth = OriginBasicAuth(url, *credentials) if credentials else None
    return url, client_from_options(options, policy=UrlPolicy.from_config(config), auth=auth)


def _finish(runs: RunLog, run_id: int, source: Source, outcome: str, counts: SyncCounts,
            harvester, started: float, errors: list[str], notices: tuple = ()) -> RunReport:
    duration = time.monotonic() - started
    report = RunReport(run_id=run_id, source=source.name, outcome=outcome,
                       counts=counts.as_dict(),
                       requests=harvester.client.requests if harvester is not None else 0,
                       duration=duration, errors=[redact_text(e) for e in errors],
                       notices=[redact_text(n) for n in notices])
    runs.finish(run_id, outcome, report.counts, report.requests, report.errors, duration,
                notices=report.notices)
    log = LOGGER.warning if outcome == FAILED else LOGGER.info
    log('harvest %s', report.summary())
    return report


__all__ = ['AlreadyHarvested', 'RunReport', 'SourceBusy', 'run_harvest']
