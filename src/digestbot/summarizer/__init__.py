"""The domain: papers, categories, summaries and digests — nothing about chat.

Dependencies point ``adapters -> bot -> summarizer``; nothing here may import ``bot`` or
``adapters``.
"""
