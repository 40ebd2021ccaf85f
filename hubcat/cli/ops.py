"""CLI command for operations: ``hubcat scheduler`` runs the harvest scheduler alone."""
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
