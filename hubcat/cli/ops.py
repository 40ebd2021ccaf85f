"""CLI commands for operations: ``hubcat scheduler`` runs the harvest scheduler alone,
``hubcat worker`` runs queued harvests (with a broker, :mod:`hubcat.queue`)."""
from __future__ import annotations

import logging
import signal
import threading

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
    """Add the ``scheduler`` and ``worker`` commands to the CLI group."""
    from hubcat.cli import load_config

    @cli.command()
    @click.pass_context
    def scheduler(ctx):
        """Run scheduled harvests without serving HTTP (Ctrl-C or SIGTERM stops).

        Several scheduler processes may share one PostgreSQL database: a source's
        harvest never runs twice at once. With ``[hubcat] broker_url`` set, due
        harvests are queued for ``hubcat worker`` processes instead of run here.
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

    @cli.command()
    @click.option('-c', '--concurrency', default=2, show_default=True,
                  help='harvests at once in this worker')
    @click.option('--name', help='worker name (default hubcat-<pid>@<host>)')
    @click.pass_context
    def worker(ctx, concurrency, name):
        """Run queued harvests (needs [hubcat] broker_url; Ctrl-C or SIGTERM stops).

        Start any number of workers, on any machines that reach the broker and the
        database, and one `hubcat scheduler` that queues the due harvests.
        """
        from hubcat.db import init_db
        from hubcat.queue import run_worker
        config = load_config(ctx)
        if not config.broker_url:
            raise click.ClickException('no broker configured: set [hubcat] broker_url '
                                       '(or HUBCAT_BROKER_URL)')
        if concurrency < 1:
            raise click.UsageError('--concurrency must be at least 1')
        init_db(config.database_url, config.table)
        click.echo(f'HubCat worker on {config.broker_queue}, database {config.database_display}'
                   '  (Ctrl-C stops)', err=True)
        run_worker(config, concurrency, name)
