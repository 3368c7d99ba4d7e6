"""Measures shared by the benchmarks."""

from __future__ import annotations

import os
import platform


def machine_line() -> str:
    """The machine line every result file starts with (host, architecture, cores, Python)."""
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """This process's resident-set high-water mark (``VmHWM``), in MB.

    Not ``resource.getrusage(...).ru_maxrss``: Linux keeps that figure across fork and exec, so a child
    started by a parent that had just built a large database reports the parent's peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def in_schema(database_url: str, schema: str) -> str:
    """``database_url`` with every connection's ``search_path`` set to ``schema``: the benchmarks that
    empty their database empty only that schema, never ``public`` (which may hold a dataset you keep)."""
    from sqlalchemy import make_url

    return make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def schema_of(database_url: str) -> str:
    """The schema :func:`in_schema` put in ``database_url`` (refuses a URL without one)."""
    from sqlalchemy import make_url

    options = make_url(database_url).query.get("options", "")
    prefix = "-csearch_path="
    if not isinstance(options, str) or not options.startswith(prefix) or options[len(prefix):] in ("", "public"):
        raise ValueError(f"not a benchmark schema URL (see measure.in_schema): {database_url}")
    return options[len(prefix):]


def reset_schema(database_url: str) -> None:
    """Drop and recreate the benchmark schema of ``database_url`` (made by :func:`in_schema`)."""
    from sqlalchemy import create_engine, text

    schema = schema_of(database_url)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def unreachable(database_url: str) -> str | None:
    """None when the database at ``database_url`` answers, else why not (the benchmarks that need
    PostgreSQL skip it, saying so, instead of failing ``make bench``)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, and say why
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        engine.dispose()
    return None
