"""Posting: the one use-case that sends a parent, links its thread and sends the rest
(``posting``), and the exactly-once daily delivery wrapped around it (``service``)."""
