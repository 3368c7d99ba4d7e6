"""``/api/v1/pollsters``: the organisations that conduct polls."""

from pollapp.api.organisations import organisation_blueprint
from pollapp.schemas.organisations import PollsterInSchema, PollsterOutSchema, PollsterPageSchema

PATH = "/pollsters"
blp = organisation_blueprint(
    "pollster", "/api/v1" + PATH, PollsterInSchema, PollsterOutSchema, PollsterPageSchema,
    "Polling organisations, with their professional memberships.",
)
