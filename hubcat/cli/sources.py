"""CLI commands for sources, harvests and run history."""
from __future__ import annotations

import contextlib
import logging

import click

from hubcat.runs import MAX_RUNS
from hubcat.sources import SourceError


def progress_bar(label: str):
    """A tqdm bar fed by a harvester's progress(done, total, message) calls."""
    from tqdm import tqdm
    bar = tqdm(desc=label, unit=' items', leave=False, dynamic_ncols=True, file=click.get_text_stream('stderr'))

    def update(done, total=None, message=''):
        if total is not None and bar.total != total:
            bar.total = total
        if done is not None:
            bar.n = done
        if message:
            bar.set_postfix_str(message[:40], refresh=False)
        bar.refresh()
    return bar, update


def echo_details(errors: list[str], notices: list[str]) -> None:
    """Print a run's errors and notices, one indented line each."""
    for line in errors:
        click.echo(f'  error: {line}')
    for line in notices:
        click.echo(f'  notice: {line}')


@contextlib.contextmanager
def _quiet_run_log(quiet: bool):
    """Without -v the summary line printed by ``hubcat harvest`` is the only report of a
    run: the run log's copy of it (and a crash's traceback) stay out of the terminal."""
    logger = logging.getLogger('hubcat.harvest')
    level = logger.level
    if quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def nonempty(_ctx, param, value):
    """Click callback: refuse an empty (or blank) SOURCE argument or --name."""
    values = value if isinstance(value, tuple) else (value,)
    if any(v is not None and not str(v).strip() for v in values):
        raise click.BadParameter('must not be empty', param=param)
    return value


def register(cli: click.Group) -> None:
    """Add the ``source``, ``harvest`` and ``runs`` commands to the CLI group."""
    from hubcat.cli import load_config

    @cli.group()
    def source():
        """Register, list, change and remove harvest sources."""

    @source.command('add')
    @click.argument('url')
    @click.option('--type', 'type_', required=True, help='source type: sta or sos')
    @click.option('--name', callback=nonempty, help='a short unique name (default: from the URL)')
    @click.option('--every', help='harvest interval with its unit, e.g. 15m, 1h '
                                  '(at least [hubcat:scheduler] min_interval, default 1m)')
    @click.option('--cron', help='harvest schedule as a cron expression (UTC), e.g. "*/10 * * * *"')
    @click.option('--stale-after', help='offline (stale) when no observation is newer (default 24h)')
    @click.pass_context
    def source_add(ctx, url, type_, name, every, cron, stale_after):
        """Register the service at URL."""
        from hubcat.sources import SourceRegistry
        config = load_config(ctx)
        if every and cron:
            raise click.UsageError('give --every or --cron, not both')
        try:
            registry = SourceRegistry.for_config(config)
            schedule = registry.schedule(every, 'every') if every else \
                registry.schedule(cron, 'cron') if cron else None
            src = registry.add(url, type_, name=name, schedule=schedule, stale_after=stale_after)
        except (SourceError, ValueError) as err:
            raise click.ClickException(str(err)) from None
        click.echo(f'added source {src.id} {src.name} ({src.type}) {src.display_url}')

    @source.command('list')
    @click.pass_context
    def source_list(ctx):
        """List the registered sources."""
        from hubcat.sources import SourceRegistry
        config = load_config(ctx)
        rows = SourceRegistry(config.database_url).list()
        if not rows:
            click.echo('no sources; add one with: hubcat source add URL --type sta')
            return
        click.echo(f'{"id":>3}  {"name":<24} {"type":<4} {"schedule":<18} {"reachable":<9} url')
        for src in rows:
            reach = {True: 'yes', False: 'no', None: '-'}[src.reachable]
            click.echo(f'{src.id:>3}  {src.name:<24} {src.type:<4} {src.schedule or "-":<18} '
                       f'{reach:<9} {src.display_url}')

    @source.command('update')
    @click.argument('source_key', metavar='SOURCE', callback=nonempty)
    @click.option('--name', callback=nonempty)
    @click.option('--url')
    @click.option('--every', help='harvest interval with its unit, e.g. 15m')
    @click.option('--cron', help='cron expression (UTC)')
    @click.option('--no-schedule', is_flag=True, help='remove the schedule')
    @click.option('--stale-after')
    @click.pass_context
    def source_update(ctx, source_key, name, url, every, cron, no_schedule, stale_after):
        """Change a source (by id or name)."""
        from hubcat.sources import SourceRegistry
        config = load_config(ctx)
        changes = {k: v for k, v in (('name', name), ('url', url), ('stale_after', stale_after))
                   if v is not None}
        if sum(map(bool, (every, cron, no_schedule))) > 1:
            raise click.UsageError('give one of --every, --cron, --no-schedule')
        try:
            registry = SourceRegistry.for_config(config)
            if every or cron or no_schedule:
                changes['schedule'] = None if no_schedule else \
                    registry.schedule(every, 'every') if every else registry.schedule(cron, 'cron')
            src = registry.update(source_key, **changes)
        except (SourceError, ValueError) as err:
            raise click.ClickException(str(err)) from None
        click.echo(f'updated source {src.id} {src.name}')

    @source.command('remove')
    @click.argument('source_key', metavar='SOURCE', callback=nonempty)
    @click.option('--delete-records', is_flag=True,
                  help='also delete every catalogue record of the source (default: keep them)')
    @click.pass_context
    def source_remove(ctx, source_key, delete_records):
        """Unregister a source; its records stay unless --delete-records."""
        from hubcat.catalogue import Catalogue
        from hubcat.sources import SourceRegistry
        config = load_config(ctx)
        try:
            src = SourceRegistry(config.database_url).remove(source_key)
        except SourceError as err:
            raise click.ClickException(str(err)) from None
        deleted = Catalogue(config.database_url, config.table).delete_source_records(src.id) \
            if delete_records else 0
        click.echo(f'removed source {src.id} {src.name}' +
                   (f'; deleted {deleted} records' if delete_records else '; records kept'))

    @cli.command()
    @click.argument('source_keys', nargs=-1, metavar='[SOURCE]...', callback=nonempty)
    @click.option('--all', 'all_', is_flag=True, help='harvest every registered source')
    @click.option('--no-progress', is_flag=True, help='no progress bar')
    @click.option('--force', is_flag=True,
                  help='take over the source lease even when its holder looks alive '
                       '(a harvest on another machine that died)')
    @click.option('-v', '--verbose', is_flag=True,
                  help='list every error and notice of each run under its summary')
    @click.pass_context
    def harvest(ctx, source_keys, all_, no_progress, force, verbose):
        """Harvest sources now (by id or name) and print a summary line for each.

        Errors are what could not be read (the run is partial); notices are fallbacks
        taken while still reading everything (the run stays a success)."""
        from hubcat.harvest import SourceBusy, run_harvest
        from hubcat.sources import SourceRegistry
        config = load_config(ctx)
        registry = SourceRegistry(config.database_url)
        if all_:
            source_keys = [str(s.id) for s in registry.list()]
        if not source_keys:
            raise click.UsageError('name a source, or use --all')
        verbose = verbose or ctx.find_root().params.get('verbose')
        failed = 0
        with _quiet_run_log(not verbose):
            for key in source_keys:
                try:
                    src = registry.get(key)
                except SourceError as err:
                    raise click.ClickException(str(err)) from None
                bar, update = (None, None) if no_progress else progress_bar(src.name)
                try:
                    report = run_harvest(config, src.id, trigger='manual', progress=update,
                                         force=force)
                except SourceBusy as err:
                    click.echo(f'{src.name}: skipped ({err})', err=True)
                    failed += 1
                    continue
                finally:
                    if bar is not None:
                        bar.close()
                click.echo(report.summary(), err=report.outcome == 'failed')
                if verbose:
                    echo_details(report.errors, report.notices)
                failed += report.outcome == 'failed'
        if failed and len(source_keys) > 1:
            raise click.ClickException(f'{failed} of {len(source_keys)} harvests failed')
        if failed:
            ctx.exit(1)   # the summary line said why

    @cli.command()
    @click.argument('source_key', required=False, metavar='[SOURCE]', callback=nonempty)
    @click.option('--limit', default=20, show_default=True, type=click.IntRange(1, MAX_RUNS),
                  help=f'how many runs, 1-{MAX_RUNS}')
    @click.option('--running', is_flag=True,
                  help='only the running runs, with their process and lease end')
    @click.option('-v', '--verbose', is_flag=True, help='list every error and notice of each run')
    @click.pass_context
    def runs(ctx, source_key, limit, running, verbose):
        """Show the harvest run history, newest first (``err``/``note``: errors and notices)."""
        from hubcat.runs import RunLog
        from hubcat.sources import SourceRegistry
        config = load_config(ctx)
        source_id = None
        if source_key:
            try:
                source_id = SourceRegistry(config.database_url).get(source_key).id
            except SourceError as err:
                raise click.ClickException(str(err)) from None
        rows = RunLog(config.database_url).list(source_id, limit, running=running)
        if running:
            if not rows:
                click.echo('no running harvests')
                return
            click.echo(f'{"run":>4} {"source":<20} {"trigger":<9} {"started":<20} '
                       f'{"lease until":<20} process')
            for r in rows:
                click.echo(f'{r["id"]:>4} {(r["source_name"] or "-")[:20]:<20} {r["trigger"]:<9} '
                           f'{r["started"] or "-":<20} {r["lease_until"] or "lost":<20} '
                           f'{r["owner"] or "-"}')
            return
        click.echo(f'{"run":>4} {"source":<20} {"trigger":<9} {"started":<20} {"outcome":<8} '
                   f'{"add":>5} {"upd":>5} {"same":>5} {"off":>5} {"on":>4} {"req":>5} {"secs":>6} '
                   f'{"err":>4} {"note":>4}  error')
        for r in rows:
            click.echo(f'{r["id"]:>4} {(r["source_name"] or "-")[:20]:<20} {r["trigger"]:<9} '
                       f'{r["started"] or "-":<20} {r["outcome"] or "-":<8} {r["added"] or 0:>5} '
                       f'{r["updated"] or 0:>5} {r["unchanged"] or 0:>5} {r["went_offline"] or 0:>5} '
                       f'{r["came_online"] or 0:>4} {r["requests"] or 0:>5} {r["duration"] or 0:>6.1f} '
                       f'{len(r["errors"]):>4} {len(r["notices"]):>4}  '
                       f'{(r["errors"] or [""])[0][:60]}')
            if verbose or ctx.find_root().params.get('verbose'):
                echo_details(r['errors'], r['notices'])
