"""CLI commands for operations: ``hubcat scheduler`` runs the harvest scheduler alone;
``hubcat worker`` and ``hubcat enqueue`` run harvests on a Celery queue (:mod:`hubcat.queue`)."""
from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timezone

import click

from hubcat.config import Config

LOGGER = logging.getLogger(__name__)


def run_scheduler(config: Config, stop: threading.Event = None) -> None:
    """Run scheduled harvests until ``stop`` is set (SIGINT/SIGTERM set it from the CLI).

    :param config: HubCat configuration
    :param stop: an event that ends the loop; a new one when None
    """
    from hubcat.scheduler import HubCatScheduler
    stop = stop or threading.Event()
    sched = HubCatScheduler(config).start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        sched.shutdown(wait=False)


def register(cli: click.Group) -> None:
    """Add the ``scheduler`` command to the CLI group."""
    from hubcat.cli import load_config

    @cli.command()
    @click.pass_context
    def scheduler(ctx):
        """Run scheduled harvests without serving HTTP (Ctrl-C or SIGTERM stops).

        Several scheduler processes may share one PostgreSQL database: a source's
        harvest never runs twice at once.
        """

        from hubcat.db import init_db
        config = load_config(ctx)
        init_db(config.database_url, config.table)
        stop = threading.Event()

        def _stop(*_args):
            stop.set()
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        click.echo(f'HubCat scheduler running on {config.database_display}  (Ctrl-C stops)',
                   err=True)
        run_scheduler(config, stop)


def register_queue(cli: click.Group) -> None:
    """Add the ``worker`` and ``enqueue`` commands (harvests on a Celery queue) to the CLI."""
    from hubcat.cli import load_config

    @cli.command()
    @click.option('--concurrency', '-c', default=4, show_default=True, type=click.IntRange(1, 64),
                  help='Harvests this worker runs at once (threads).')
    @click.option('--name', '-n', default=None,
                  help='Celery node name (default celery@<host>); unique per worker.')
    @click.pass_context
    def worker(ctx, concurrency, name):
        """Run queued harvests from the broker of [hubcat] broker_url (SIGTERM stops).

        Start any number of workers, on any machines that reach the broker and the
        catalogue database: a source's harvest never runs twice at once.
        """
        from hubcat.db import init_db
        from hubcat.queue import broker_url, celery_app, run_worker
        from hubcat.urls import redact_url
        config = load_config(ctx)
        try:
            celery_app(config)
        except ValueError as err:
            raise click.ClickException(str(err)) from None
        init_db(config.database_url, config.table)
        click.echo(f'HubCat worker: harvests from {redact_url(broker_url(config))} into '
                   f'{config.database_display}', err=True)
        run_worker(config, concurrency=concurrency, name=name)

    @cli.command()
    @click.argument('sources', nargs=-1)
    @click.option('--all', 'all_sources', is_flag=True, help='Enqueue every source.')
    @click.pass_context
    def enqueue(ctx, sources, all_sources):
        """Send harvests of SOURCES (ids or names) to the workers' queue."""
        from hubcat.queue import celery_app, enqueue_harvest
        from hubcat.sources import SourceNotFound, SourceRegistry
        config = load_config(ctx)
        try:
            celery_app(config)
        except ValueError as err:
            raise click.ClickException(str(err)) from None
        registry = SourceRegistry(config.database_url)
        if all_sources == bool(sources):
            raise click.UsageError('name SOURCES or give --all (not both)')
        try:
            chosen = registry.list() if all_sources else [registry.get(key) for key in sources]
        except SourceNotFound as err:
            raise click.ClickException(str(err)) from None
        requested = datetime.now(timezone.utc)
        for source in chosen:
            task = enqueue_harvest(config, source.id, trigger='manual', requested=requested)
            click.echo(f'{source.name}: enqueued (task {task.id})')

