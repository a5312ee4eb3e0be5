"""Chat platforms: each adapter parses platform events into commands and renders replies.

Adapters hold no business logic. Adding a platform means adding a package here and naming it in
the composition root's platform registry (``digestbot.app.platforms``), nothing elsewhere.
"""
