"""Chat platforms: each adapter parses platform events into commands and renders replies.

Adapters hold no business logic. Adding a platform means adding a module here and a line in
the CLI's adapter registry, nothing elsewhere.
"""
