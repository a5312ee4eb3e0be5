"""Paper Digest Bot: a daily, categorized digest of new AI papers from arXiv for chat teams."""

__version__ = "0.1.0"
