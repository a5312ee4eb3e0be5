"""The application: settings, the digest service, the command grammar, delivery and storage.

Nothing here imports a chat adapter or a platform's library; the composition root
(``digestbot.app``) wires these services to the adapters.
"""
