"""Command-line edges: ``flask data load DIR``, ``flask data import FILE``, ``flask data dump|restore FILE``,
``flask data history-baseline|versions`` and ``flask keys create|list|revoke``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import marshmallow as ma
from flask.cli import AppGroup

from pollapp.exceptions import DomainError, FieldError, InvalidInput
from pollapp.extensions import db
from pollapp.schemas.organisations import PollsterInSchema, SponsorInSchema
from pollapp.schemas.errors import webargs_errors
from pollapp.schemas.imports import import_validators
from pollapp.schemas.polls import PollInSchema
from pollapp.schemas.series import SeriesInSchema
from pollapp.services import backup, data_version_store, history, imports, keys, seed
from pollapp.services.keys import SCOPES

data_cli = AppGroup("data", help="Load and manage poll data.")
keys_cli = AppGroup("keys", help="Manage API keys.")


def _validator(schema: ma.Schema) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Adapt a schema's ``load`` to the services' validator contract (raise InvalidInput)."""

    def validate(raw: dict[str, Any]) -> dict[str, Any]:
        try:
            return schema.load(raw)
        except ma.ValidationError as exc:
            errors = [FieldError(e["pointer"], e["detail"]) for e in webargs_errors({"json": exc.messages})]
            raise InvalidInput("Invalid record.", errors) from exc

    return validate


def _fail(exc: DomainError) -> None:
    click.echo(f"Error: {exc.detail}", err=True)
    for error in exc.errors[:200]:
        click.echo(f"  {error.pointer or error.parameter}: {error.message}", err=True)
    if len(exc.errors) > 200:
        click.echo(f"  ... and {len(exc.errors) - 200} more", err=True)
    raise SystemExit(1)


REASON_OPTION = click.option(
    "--reason", default=None, help="Why: recorded with every poll revision this command writes (max 500 characters)."
)


def _attribute(command: str, reason: str | None) -> None:
    """Record the command (and the reason given) as the author of the poll revisions it writes."""
    if reason is not None and len(reason) > history.REASON_MAX_LENGTH:
        _fail(InvalidInput("--reason is too long.", [FieldError(None, f"At most {history.REASON_MAX_LENGTH} characters.", "--reason")]))
    history.set_actor(db.session, f"cli: {command}")
    history.set_reason(db.session, reason)


@data_cli.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@REASON_OPTION
def load_data(directory: Path, reason: str | None) -> None:
    """Load pollsters, sponsors, series and polls from DIRECTORY (idempotent; all or nothing)."""
    _attribute("flask data load", reason)
    validators = seed.Validators(
        pollster=_validator(PollsterInSchema()),
        sponsor=_validator(SponsorInSchema()),
        series=_validator(SeriesInSchema()),
        poll=_validator(PollInSchema()),
    )
    _commit_and_report(lambda: seed.load_directory(db.session, directory, validators))


def _commit_and_report(work: Callable[[], Any]) -> None:
    """Run ``work`` (a service call returning a report) as one transaction: a domain error rolls it
    all back and exits non-zero with the problem; success commits, then prints the report."""
    try:
        report = work()
    except DomainError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    for line in report.lines():
        click.echo(line)


@data_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(imports.FORMATS), default="auto", show_default=True,
              help="Layout: FiveThirtyEight's approval CSV (fte), a pollapp poll CSV or JSON (pollapp), or detect it.")
@click.option("--series", "series_slug", default=None, help="Add every imported question to this series (created if missing).")
@click.option("--dry-run", is_flag=True, help="Report what would be created, updated and unchanged; write nothing.")
@REASON_OPTION
def import_data(file: Path, fmt: str, series_slug: str | None, dry_run: bool, reason: str | None) -> None:
    """Import polls from FILE (idempotent; all or nothing)."""
    _attribute("flask data import", reason)
    try:
        report = imports.import_file(db.session, file, import_validators(), fmt=fmt, series_slug=series_slug)
    except DomainError as exc:
        db.session.rollback()
        _fail(exc)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was written.")


@data_cli.command("dump")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def dump_data(file: Path) -> None:
    """Write the whole database to FILE, a zip data package (datapackage.json + one JSON Lines file
    per table; docs/backup.md). FILE is replaced only once the archive is complete."""
    try:
        report = backup.dump(db.session, file)
    except DomainError as exc:
        _fail(exc)
    finally:
        db.session.rollback()  # read only: end the snapshot transaction
    for line in report.lines():
        click.echo(line)


@data_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_data(file: Path) -> None:
    """Rebuild the database of archive FILE (from `flask data dump`) in this EMPTY database, which
    `flask db upgrade` has brought to the archive's revision. Checks every checksum first; all or nothing."""
    _commit_and_report(lambda: backup.restore(db.session, file))


@data_cli.command("history-baseline")
def history_baseline() -> None:
    """Record revision 1 of every poll stored before revision history existed (run once after
    upgrading; idempotent), so that ``as_of`` and series changelogs include them."""
    _attribute("flask data history-baseline", "baseline: state of the poll when history recording began")
    count = history.record_baseline(db.session)
    db.session.commit()
    click.echo(f"revisions: {count} recorded")


@data_cli.command("versions")
def store_versions() -> None:
    """Store the data version of every series whose stored one is missing or stale (run once after
    upgrading from 0.1.0; idempotent): until then an uncached read hashes the series' points itself."""
    stored, current = data_version_store.refresh_all(db.session)
    db.session.commit()
    click.echo(f"data versions: {stored} stored, {current} already current")


@keys_cli.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(SCOPES), default="write", show_default=True, help="What the key may do.")
def create_key(name: str, scope: str) -> None:
    """Create an API key called NAME and print it (shown this once; only a hash is stored)."""
    try:
        key, token = keys.create_key(db.session, name, scope)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(token)
    click.echo(f"Created key '{key.name}' (prefix {key.prefix}, scopes: {', '.join(key.scopes)}). "
               "Store it now: it cannot be shown again.", err=True)


@keys_cli.command("list")
def list_keys() -> None:
    """List keys (name, prefix, scopes, status); never the keys themselves."""
    for key in keys.list_keys(db.session):
        status = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
        click.echo(f"{key.prefix}  {key.name}  [{','.join(key.scopes)}]  {status}, {used}")


@keys_cli.command("revoke")
@click.argument("name_or_prefix")
def revoke_key(name_or_prefix: str) -> None:
    """Revoke the key(s) with this name or prefix."""
    try:
        revoked = keys.revoke(db.session, name_or_prefix)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    for key in revoked:
        click.echo(f"Revoked {key.prefix} ({key.name}).")
