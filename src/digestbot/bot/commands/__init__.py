"""What a person asks for: the ``/digest`` grammar (``grammar``), the handler that turns a parsed
command into a platform-neutral reply (``handlers``) and the replies themselves (``replies``)."""
