"""Plain-Python business rules: no Flask, no SQLAlchemy, only the standard library."""
