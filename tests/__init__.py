"""The test suite: real client libraries against local fakes of the remote protocols."""
