"""``/api/v1/sponsors``: who commissioned or paid for polls."""

from pollapp.api.organisations import organisation_blueprint
from pollapp.schemas.organisations import SponsorInSchema, SponsorOutSchema, SponsorPageSchema

PATH = "/sponsors"
blp = organisation_blueprint(
    "sponsor", "/api/v1" + PATH, SponsorInSchema, SponsorOutSchema, SponsorPageSchema,
    "Organisations that commissioned or paid for polls.",
)
