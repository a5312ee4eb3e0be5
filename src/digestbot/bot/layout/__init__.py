"""What a post looks like, platform-neutrally: its parts, order, labels and links (``parts``),
the labels per language (``locale``), the Markdown rendering for the console and the ``.md``
file (``markdown``) and the ranking explanation (``explain``)."""
