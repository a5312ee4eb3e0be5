"""Named, append-only revisions: never edit one that has shipped; add the next."""
