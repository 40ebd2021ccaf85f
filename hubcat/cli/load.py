"""CLI command ``hubcat load DIR``: plain metadata records from files into the catalogue."""
from __future__ import annotations

from pathlib import Path

import click


def register(cli: click.Group) -> None:
    """Add the ``load`` command to the CLI group."""
    from hubcat.cli import load_config

    @cli.command()
    @click.argument('directory', type=click.Path(file_okay=False, path_type=Path))
    @click.option('--no-progress', is_flag=True, help='no progress bar')
    @click.pass_context
    def load(ctx, directory, no_progress):
        """Load the Dublin Core / ISO 19139 records (*.xml) of DIRECTORY, as CSW-T Inserts.

        A record whose identifier is stored already is replaced.  Each bad file
        gets one line on stderr; the exit status is non-zero when any failed.
        """
        from hubcat.cli.sources import progress_bar
        from hubcat.loader import LoadError, load_directory, record_files
        config = load_config(ctx)
        try:
            files = record_files(directory)
        except LoadError as err:
            raise click.ClickException(str(err)) from None
        bar, update = (None, None) if no_progress else progress_bar(str(directory))
        try:
            report = load_directory(config, directory, progress=update, files=files)
        finally:
            if bar is not None:
                bar.close()
        for line in report.errors:
            click.echo(f'Error: {line}', err=True)
        click.echo(f'{directory}: {report.summary}')
        if report.errors:
            ctx.exit(1)
