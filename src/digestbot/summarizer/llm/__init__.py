"""The OpenAI-compatible back end: one gateway for every model call, and what uses it."""
