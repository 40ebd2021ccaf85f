"""The ``hubcat`` command line: thin click wrappers around plain functions.

Every error is one line on stderr and a non-zero exit status.
"""
from __future__ import annotations

import contextlib
import logging
import sys

import click

from hubcat.config import Config, ConfigError


def _setup_logging(config: Config, verbose: bool) -> None:
    level = logging.INFO if verbose else getattr(logging, config.log_level, logging.WARNING)
    logging.basicConfig(level=level, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    for noisy in ('pycsw', 'urllib3', 'waitress', 'werkzeug'):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    if not verbose:  # urllib3's retry warnings are internals; -v shows them
        logging.getLogger('urllib3').setLevel(logging.ERROR)


def load_config(ctx: click.Context) -> Config:
    """The configuration named by --config / $HUBCAT_CONFIG / ./pycsw.cfg (cached on ctx)."""
    root = ctx.find_root()
    if 'config' not in root.meta:
        try:
            root.meta['config'] = Config(root.params.get('config_path'))
        except ConfigError as err:
            raise click.ClickException(str(err)) from None
        _setup_logging(root.meta['config'], root.params.get('verbose', False))
    return root.meta['config']


class OneLineUsageError(click.ClickException):
    """A usage error shown as one line (``Error: ...``), exit status 2 like click's."""
    exit_code = 2


class OneLineGroup(click.Group):
    """The root command group: usage errors (a bad option value, a missing argument) are
    one line on stderr like every other error, without click's usage text."""

    def make_context(self, *args, **kwargs):
        with _one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _one_line_usage_errors():
            return super().invoke(ctx)


@contextlib.contextmanager
def _one_line_usage_errors():
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise
    except click.UsageError as err:
        raise OneLineUsageError(err.format_message()) from None


@click.group(cls=OneLineGroup)
@click.option('--config', 'config_path', type=click.Path(dir_okay=False),
              help='configuration file (default: $HUBCAT_CONFIG, then ./pycsw.cfg)')
@click.option('-v', '--verbose', is_flag=True, help='log progress at INFO level')
@click.version_option(package_name='hubcat')
def cli(config_path, verbose):
    """HubCat: a CSW catalogue of sensors and sensor services (STA, SOS)."""


@cli.command()
@click.pass_context
def init(ctx):
    """Create or upgrade the catalogue database (idempotent)."""
    from hubcat.db import init_db, spatial_status
    config = load_config(ctx)
    try:
        done = init_db(config.database_url, config.table)
        spatial = spatial_status(config.database_url)
    except Exception as err:  # noqa: BLE001 - reported as one line
        raise click.ClickException(f'cannot initialise {config.database_display}: '
                                   f'{str(err).splitlines()[0]}') from None
    for line in done:
        click.echo(line)
    if spatial and done:  # how spatial filters run, whenever the database changed
        click.echo(spatial)
    _report_duplicate_sources(config)
    click.echo(f'catalogue database ready: {config.database_display}')


def _report_duplicate_sources(config: Config) -> None:
    """Warn (stderr) about sources registered twice for one endpoint: they take each
    other's records on every harvest; the user removes all but one."""
    from hubcat.sources import SourceRegistry
    for group in SourceRegistry(config.database_url).duplicates():
        names = ', '.join(f'{s.name!r} (id {s.id})' for s in group)
        click.echo(f'warning: sources {names} harvest the same endpoint '
                   f'{group[0].display_url}; keep one (hubcat source remove NAME)', err=True)


PORT = click.IntRange(1, 65535)


def configured_port(config: Config) -> int:
    """``[hubcat] port``, checked (1-65535)."""
    text = str(config.get('hubcat', 'port') or '').strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise click.ClickException(f'[hubcat] port must be a number from 1 to 65535, not {text!r}')
    return int(text)


@cli.command()
@click.option('--host', help='interface to listen on (default [hubcat] host)')
@click.option('--port', type=PORT, help='port, 1-65535 (default [hubcat] port)')
@click.option('--no-scheduler', is_flag=True, help='do not run scheduled harvests in this process')
@click.option('--threads', type=click.IntRange(1, 256),
              help='requests answered at once (default [hubcat] threads, 8)')
@click.pass_context
def serve(ctx, host, port, no_scheduler, threads):
    """Serve /csw, the API and /healthz."""
    from hubcat.server import PortUnavailable, serve_forever, serve_threads
    config = load_config(ctx)
    try:
        threads = threads or serve_threads(config)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    try:
        serve_forever(config, host or config.get('hubcat', 'host'),
                      port or configured_port(config), scheduler=not no_scheduler,
                      threads=threads)
    except PortUnavailable as err:
        raise click.ClickException(str(err)) from None


@cli.command()
@click.option('--host', default='127.0.0.1', show_default=True)
@click.option('--port', default=8000, show_default=True, type=PORT)
@click.option('--workdir', type=click.Path(file_okay=False),
              help='where the demo catalogue is written (default: a new temporary folder)')
@click.pass_context
def demo(ctx, host, port, workdir):
    """Start sample STA services, harvest them into a SQLite catalogue, serve /csw."""
    from hubcat.cli.sources import progress_bar
    from hubcat.demo import run_demo
    config = load_config(ctx)
    try:
        run_demo(config, host, port, workdir, progress_factory=progress_bar,
                 echo=lambda text: click.echo(text))
    except OSError as err:
        raise click.ClickException(f'cannot start the demo: {err}') from None


def _register_subcommands() -> None:
    """Add the commands that live in their own modules (they import load_config from here)."""
    from hubcat.cli import dictionaries, load, ops, peers, sources
    sources.register(cli)      # source, harvest, runs
    dictionaries.register(cli)  # dictionary
    load.register(cli)         # load
    cli.add_command(peers.peer)
    ops.register(cli)          # scheduler
    ops.register_queue(cli)    # worker, enqueue


_register_subcommands()


def main() -> None:
    """Console-script entry point: unexpected failures end as one line (traceback with -v)."""
    try:
        code = cli(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:  # noqa: BLE001 - the last line of defence
        if '-v' in sys.argv or '--verbose' in sys.argv:
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else ''
        click.echo(f'Error: {type(err).__name__}: {first} (run with -v for details)', err=True)
        sys.exit(2)
