"""``hubcat peer add|list|remove``: a click group ``peer`` that the main CLI adds.

Under the main CLI (``hubcat peer ...``) the configuration is the main CLI's
(``hubcat --config FILE peer ...``); the group used on its own takes
``--config``, else ``$HUBCAT_CONFIG``, else ``./pycsw.cfg``.
"""
from __future__ import annotations

import logging
from typing import Optional

import click

from hubcat.config import Config, ConfigError
from hubcat.federation.peers import PeerError, add_peer, list_peers, remove_peer

LOGGER = logging.getLogger(__name__)


def _config(ctx: click.Context, path: Optional[str]) -> Config:
    if path is None and ctx.find_root().command is not peer:  # under the main ``hubcat`` CLI
        from hubcat.cli import load_config
        return load_config(ctx)
    try:
        return Config(path)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


@click.group('peer')
@click.option('--config', 'config_path', type=click.Path(), default=None,
              help='pycsw.cfg to use (default: $HUBCAT_CONFIG, then ./pycsw.cfg)')
@click.pass_context
def peer(ctx: click.Context, config_path: Optional[str]) -> None:
    """Peer catalogues of the federated search."""
    ctx.meta['hubcat_peer_config'] = config_path


@peer.command('add')
@click.argument('url')
@click.option('--name', help='short unique name (default: host-port of the URL)')
@click.option('--timeout', type=float, default=None,
              help='seconds to wait for this peer (default: [hubcat:federation] default_timeout)')
@click.option('--no-check', is_flag=True, help='do not ask the peer for its capabilities')
@click.pass_context
def add(ctx: click.Context, url: str, name: Optional[str], timeout: Optional[float],
        no_check: bool) -> None:
    """Add the CSW at URL as a peer (an unreachable peer is added with a warning)."""
    config = _config(ctx, ctx.meta.get('hubcat_peer_config'))
    try:
        added, warnings = add_peer(config, url, name, timeout, probe=not no_check)
    except PeerError as err:
        raise click.ClickException(str(err)) from None
    for warning in warnings:
        click.echo(f'Warning: {warning}', err=True)
    click.echo(f'added peer {added.name} {added.url} (timeout {added.timeout:g} s)')


@peer.command('list')
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List peers: name, URL, timeout and where each is set."""
    config = _config(ctx, ctx.meta.get('hubcat_peer_config'))
    try:
        peers = list_peers(config)
    except PeerError as err:
        raise click.ClickException(str(err)) from None
    if not peers:
        click.echo('no peers')
        return
    width = max(len(p.name) for p in peers)
    for p in peers:
        click.echo(f'{p.name:<{width}}  {p.timeout:>5g}s  {p.origin:<8}  {p.url}')


@peer.command('remove')
@click.argument('name')
@click.pass_context
def remove(ctx: click.Context, name: str) -> None:
    """Remove the run-time peer NAME (peers set in pycsw.cfg are removed there)."""
    config = _config(ctx, ctx.meta.get('hubcat_peer_config'))
    try:
        removed = remove_peer(config, name)
    except PeerError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f'removed peer {removed.name} {removed.url}')
