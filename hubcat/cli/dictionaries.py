"""``hubcat dictionary load|list|show|remove|unmapped``: parameter dictionaries."""
from __future__ import annotations

import click

from hubcat.dictionaries import DictionaryError


def register(cli: click.Group) -> None:
    """Add the ``dictionary`` group to the CLI group."""
    from hubcat.cli import load_config

    @cli.group()
    def dictionary():
        """Load, list, show and remove parameter dictionaries (docs/dictionaries.md)."""

    @dictionary.command('load')
    @click.argument('path', metavar='FILE', type=click.Path(dir_okay=False))
    @click.option('--source', help='only for this source (name or id); default: every source')
    @click.option('--format', 'fmt', type=click.Choice(['yaml', 'csv', 'sssom']),
                  help='file format (default: from the extension: .yaml, .csv, .sssom.tsv)')
    @click.option('--name', help='dictionary name (default: the file\'s name key, else its file name)')
    @click.pass_context
    def dictionary_load(ctx, path, source, fmt, name):
        """Load FILE (YAML, CSV or SSSOM); one of the same name is replaced. Existing
        records are re-mapped at once."""
        from hubcat.dictionaries import service
        config = load_config(ctx)
        try:
            report = service.load_file(config, path, source, fmt, name)
        except DictionaryError as err:
            raise click.ClickException(str(err)) from None
        info = report.dictionary
        scope = f'source {info["source"]}' if info['source'] else 'every source'
        click.echo(f'loaded dictionary {info["name"]} ({info["format"]}, {info["entries"]} '
                   f'entries, {info["properties"]} properties, for {scope}); '
                   f'{report.changed} records changed')

    @dictionary.command('list')
    @click.pass_context
    def dictionary_list(ctx):
        """List the dictionaries, lowest precedence first."""
        from hubcat.dictionaries import DictionaryStore
        config = load_config(ctx)
        dictionaries = DictionaryStore(config.database_url).list()
        click.echo(f'{"name":<24} {"format":<8} {"entries":>7} {"props":>5}  '
                   f'{"source":<16} loaded')
        for d in dictionaries:
            click.echo(f'{d["name"]:<24} {d["format"]:<8} {d["entries"]:>7} '
                       f'{d["properties"]:>5}  {d["source"] or "(all)":<16} '
                       f'{d["loaded"] or "(built in)"}')

    @dictionary.command('show')
    @click.argument('name')
    @click.pass_context
    def dictionary_show(ctx, name):
        """Show a dictionary's entries."""
        from hubcat.dictionaries import DictionaryStore
        from hubcat.dictionaries.service import describe
        config = load_config(ctx)
        try:
            data = describe(DictionaryStore(config.database_url).get(name))
        except DictionaryError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f'{data["name"]} ({data["format"]}) for '
                   f'{data["source"] or "every source"}: {data["description"]}'.rstrip(': '))
        for e in data['entries']:
            scope = ''.join(f' [{k}={e[k]}]' for k in ('source', 'things', 'source_unit') if e[k])
            click.echo(f'  {e["match"]:<7} {e["raw"]!r} -> {e["property"]}'
                       f'{" <" + e["uri"] + ">" if e["uri"] else ""}'
                       f'{" (" + e["unit"] + ")" if e["unit"] else ""}{scope}')

    @dictionary.command('remove')
    @click.argument('name')
    @click.pass_context
    def dictionary_remove(ctx, name):
        """Remove a dictionary; records it mapped get their raw values back at once."""
        from hubcat.dictionaries import service
        config = load_config(ctx)
        try:
            report = service.remove(config, name)
        except DictionaryError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f'removed dictionary {name}; {report.changed} records changed')

    @dictionary.command('unmapped')
    @click.option('--source', help='only the records of this source (name or id)')
    @click.pass_context
    def dictionary_unmapped(ctx, source):
        """List raw properties and units no entry maps, and unit conflicts, with the number
        of records carrying each (most frequent first)."""
        from hubcat.dictionaries.unmapped import unmapped
        from hubcat.sources import SourceError, SourceRegistry
        config = load_config(ctx)
        source_id = None
        if source:
            try:
                source_id = SourceRegistry(config.database_url).get(source).id
            except SourceError as err:
                raise click.ClickException(str(err)) from None
        rows = unmapped(config, source_id)
        if not rows:
            click.echo('every observed property and unit is mapped')
            return
        click.echo(f'{"records":>7}  {"raw property":<40} {"unit":<12} problem')
        for r in rows:
            click.echo(f'{r["records"]:>7}  {r["raw"][:40]:<40} {(r["unit"] or "-")[:12]:<12} '
                       f'{r["problem"]}')
