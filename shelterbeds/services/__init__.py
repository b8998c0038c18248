"""Use cases. First argument is the session; they flush, never commit; they raise domain errors."""
