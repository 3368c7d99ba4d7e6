"""pollapp's Python client: the API as pandas DataFrames.

    >>> from pollapp.client import Client
    >>> api = Client("http://127.0.0.1:5000")
    >>> trend = api.trend("ua-territorial-concessions")     # doctest: +SKIP

Installable on its own (``pip install pollapp``: requests and pandas only); nothing here imports
the server (Flask, SQLAlchemy, statsmodels), which ``import-linter`` and tests/client check.
See docs/client.md for the method table.
"""

from pollapp.client.version import __version__
from pollapp.client.client import Client, included_polls
from pollapp.client.errors import (
    ClientError,
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PollappError,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
)

__all__ = [
    "Client", "included_polls", "__version__",
    "PollappError", "ClientError", "InvalidInput", "Unauthorized", "Forbidden", "NotFound", "Gone", "Conflict",
    "PreconditionFailed", "PreconditionRequired", "PayloadTooLarge", "RateLimited", "ServerError",
    "ServiceUnavailable",
]
