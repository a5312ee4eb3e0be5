"""The composition root: the ``digestbot`` command line and the long-running process.

This is the only package that knows every layer. It reads the settings, opens the database once
(:func:`digestbot.app.wiring.build_bot`), builds the services of ``bot/`` with the back ends of
``summarizer/``, loads chat adapters by platform name (:mod:`digestbot.app.platforms`) and runs
them. Dependencies point ``app -> adapters -> bot -> summarizer``, never back (``lint-imports``
checks it).
"""
