"""Use cases. Each function takes a SQLAlchemy session and plain arguments, never imports Flask or
marshmallow, and flushes but never commits: the edge (a view or a CLI command) owns the transaction."""
