"""marshmallow schemas: the HTTP contract (separate load and dump schemas), and the field-level and
document-level validation rules for polls, pollsters, sponsors and series."""
