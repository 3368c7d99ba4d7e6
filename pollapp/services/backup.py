"""``flask data dump FILE`` / ``flask data restore FILE``: the whole database as one archive, and back.

The archive is a zip holding ``datapackage.json`` (a Frictionless data package descriptor) and one
JSON Lines file per table (:mod:`pollapp.services.backup_format`). Zip rather than tar.gz because
its members can be read in any order: restore reads the descriptor first and checks every member's
SHA-256 before it writes a row, and a member is streamed out of the archive without unpacking it.

A dump streams each table (``yield_per``) into its zip member, so memory stays flat however large the
database; it reads inside one transaction, REPEATABLE READ on PostgreSQL, so that the tables agree
with each other (no answer without its question) even while the API keeps writing. It is written to a
temporary file renamed at the end: a failed dump leaves no half archive under the given name.

A restore refuses, before writing anything, an archive whose checksums, files or tables do not
match its descriptor, a database at another migration, and a database holding any row. It then
inserts every table, parents first, keeping the ids, in the caller's one transaction (the CLI
commits; any error rolls everything back), and moves PostgreSQL's id sequences past the restored ids.
Rows are inserted with Core statements, which the revision history does not see: restoring copies
the history, it does not add to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import Conflict, FieldError, InvalidInput
from pollapp.services import backup_format as fmt
from pollapp.services import data_generation

BATCH = 2000
CHUNK = 1 << 20


@dataclass
class BackupReport:
    path: Path
    revision: str
    rows: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"{name}: {count} rows" for name, count in self.rows.items()]
        return [*out, f"{sum(self.rows.values())} rows in {len(self.rows)} tables, alembic revision {self.revision}: {self.path}"]


def dump(session: Session, path: Path) -> BackupReport:
    """Write the whole database to the archive ``path`` (replaced only once complete)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    revision = repository.schema_revision(session)
    if revision is None:
        raise InvalidInput("This database was not made by the migrations (no alembic_version): run `flask db upgrade`.")
    report = BackupReport(path, revision)
    generation = repository.data_generation(session)
    resources = []
    schemas = fmt.schemas()
    partial = path.with_name(f".{path.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for table in fmt.tables():
                digest, size, count = _write_table(session, archive, table)
                report.rows[table.name] = count
                resources.append({
                    "name": table.name, "path": fmt.resource_path(table), "profile": "tabular-data-resource",
                    "format": "jsonl", "mediatype": "application/jsonl", "encoding": "utf-8",
                    "hash": f"sha256:{digest}", "bytes": size, "pollapp:rows": count, "schema": schemas[table.name],
                })  # fmt: skip
            archive.writestr(fmt.DESCRIPTOR, orjson.dumps(_descriptor(revision, resources, generation), option=orjson.OPT_INDENT_2))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return report


def _write_table(session: Session, archive: zipfile.ZipFile, table: Any) -> tuple[str, int, int]:
    encode = fmt.encoder(table)
    digest, size, count, buffer = hashlib.sha256(), 0, 0, []
    info = zipfile.ZipInfo(fmt.resource_path(table), date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    buffer.append(orjson.dumps(fmt.header(table)) + b"\n")
    with archive.open(info, "w", force_zip64=True) as member:

        def flush() -> None:
            nonlocal size
            chunk = b"".join(buffer)
            digest.update(chunk)
            member.write(chunk)
            size += len(chunk)
            buffer.clear()

        for row in repository.table_rows(session, table, BATCH):
            buffer.append(orjson.dumps(encode(row)) + b"\n")
            count += 1
            if len(buffer) >= BATCH:
                flush()
        flush()
    return digest.hexdigest(), size, count


def _descriptor(revision: str, resources: list[dict[str, Any]], generation: int = 0) -> dict[str, Any]:
    return {
        "profile": "data-package",
        "name": "pollapp-backup",
        "title": "pollapp database backup",
        "description": "Every table of a pollapp database (alembic_version and data_generation excepted: see "
        "pollapp:alembic_revision and pollapp:data_generation). "
        "API keys are stored as SHA-256 hashes only, as in the database. Format: docs/backup.md.",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "pollapp:format_version": fmt.FORMAT_VERSION,
        "pollapp:version": importlib.metadata.version("pollapp"),
        "pollapp:alembic_revision": revision,
        "pollapp:data_generation": generation,
        "resources": resources,
    }


# ---------------------------------------------------------------- restore


def restore(session: Session, path: Path) -> BackupReport:
    """Rebuild the archive's database in the (empty, migrated) database of ``session``; the caller commits."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{path} is not a readable zip archive: {exc}.") from exc
    with archive:
        descriptor = _read_descriptor(archive)
        _check_members(archive, descriptor)
        revision = descriptor["pollapp:alembic_revision"]
        _check_target(session, revision)
        report = BackupReport(path, revision)
        resources = {r["name"]: r for r in descriptor["resources"]}
        for table in fmt.tables():
            count = _insert_table(session, archive, table, resources[table.name]["path"])
            if count != resources[table.name]["pollapp:rows"]:
                raise InvalidInput(f"{table.name}: {count} rows read, the descriptor says {resources[table.name]['pollapp:rows']}.")
            report.rows[table.name] = count
        repository.reset_sequences(session, fmt.tables())
        # Continue after the dumped database's generation (and this one's): a cache shared with either
        # must never find another content under the number the commit gives this one.
        repository.raise_data_generation(session, int(descriptor.get("pollapp:data_generation") or 0))
        data_generation.mark_changed(session)
    return report


def _read_descriptor(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The descriptor, checked against this code's tables: the same tables with the same columns."""
    try:
        descriptor = orjson.loads(archive.read(fmt.DESCRIPTOR))
        resources = {r["name"]: r for r in descriptor["resources"]}
        revision = descriptor["pollapp:alembic_revision"]
        for resource in resources.values():
            resource["path"], resource["hash"], resource["pollapp:rows"], resource["schema"]["fields"]  # noqa: B018
    except KeyError as exc:
        raise InvalidInput(f"The archive has no {fmt.DESCRIPTOR} or it lacks {exc}: not a pollapp backup.") from exc
    except (orjson.JSONDecodeError, TypeError) as exc:
        raise InvalidInput(f"{fmt.DESCRIPTOR} is not a valid descriptor: {exc}.") from exc
    expected = fmt.schemas()
    problems = [FieldError(name, "table missing from the archive") for name in expected if name not in resources]
    problems += [FieldError(name, "table unknown to this pollapp version") for name in resources if name not in expected]
    for name in expected.keys() & resources.keys():
        ours = [f["name"] for f in expected[name]["fields"]]
        theirs = [f.get("name") for f in resources[name]["schema"]["fields"]]
        if sorted(ours) != sorted(theirs):
            problems.append(FieldError(name, f"columns {theirs} differ from this database's {ours}"))
    if problems:
        raise InvalidInput(f"The archive (alembic revision {revision}) does not match this pollapp's tables.", problems)
    return descriptor


def _check_members(archive: zipfile.ZipFile, descriptor: dict[str, Any]) -> None:
    """Every resource file is present, of its size and SHA-256: checked before any row is written."""
    problems = []
    names = set(archive.namelist())
    for resource in descriptor["resources"]:
        if resource["path"] not in names:
            problems.append(FieldError(resource["path"], "file missing from the archive"))
            continue
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(resource["path"]) as member:
                while chunk := member.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            problems.append(FieldError(resource["path"], f"unreadable: {exc}"))
            continue
        if f"sha256:{digest.hexdigest()}" != resource["hash"] or size != resource.get("bytes", size):
            problems.append(FieldError(resource["path"], "SHA-256 checksum mismatch: the file was changed or damaged"))
    if problems:
        raise InvalidInput("The archive is damaged; nothing was restored.", problems)


def _check_target(session: Session, revision: str) -> None:
    current = repository.schema_revision(session)
    if current != revision:
        raise Conflict(
            f"The database is at alembic revision {current or '(none)'}, the archive at {revision}: "
            f"restore needs an empty database at the archive's revision (`flask db upgrade {revision}` on a new database)."
        )
    filled = repository.tables_with_rows(session, fmt.tables())
    if filled:
        raise Conflict(f"The database is not empty ({', '.join(filled)} hold rows): restore only into an empty database.")


def _insert_table(session: Session, archive: zipfile.ZipFile, table: Any, member_path: str) -> int:
    count, batch = 0, []
    with archive.open(member_path) as member:
        names = orjson.loads(member.readline() or b"null")
        if not isinstance(names, list) or sorted(names) != sorted(fmt.header(table)):
            raise InvalidInput(f"{member_path}: the header line {names} does not name the columns of {table.name}.")
        decode = fmt.decoder(table, names)
        for number, line in enumerate(member, start=2):
            try:
                batch.append(decode(orjson.loads(line)))
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                raise InvalidInput(f"{member_path}:{number}: not a row of {table.name}: {exc}.") from exc
            if len(batch) >= BATCH:
                session.execute(insert(table), batch)
                count, batch = count + len(batch), []
    if batch:
        session.execute(insert(table), batch)
        count += len(batch)
    return count
