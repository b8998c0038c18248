"""marshmallow schemas: the API and form contract (shape, types, cross-field checks; no DB)."""
