"""Local protocol fakes that the real client libraries talk to in tests."""
