"""Back ends that need no API key and no network: the embedded default of a fresh clone."""
