"""Where papers come from: arXiv itself, the shipped sample day, or a JSON Lines file."""
