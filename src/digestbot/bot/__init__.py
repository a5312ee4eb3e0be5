"""The application: settings, the digest service, the command grammar, storage and the CLI.

Nothing here imports a chat platform's library; adapters are loaded by name at the
composition root (the CLI's ``run`` and ``post``).
"""
