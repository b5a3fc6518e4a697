"""Developer tooling that users of the app never need (see each module's header)."""
