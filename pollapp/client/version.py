"""The client's version (sent in its User-Agent): the installed distribution's.

Read from the package metadata rather than imported from ``pollapp``, whose ``create_app`` reaches
the whole server: import-linter's "client stands alone" contract would see that chain."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pollapp")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0+unknown"
