"""Alembic migrations, applied by :func:`digestbot.bot.storage.db.migrate` at start-up."""
