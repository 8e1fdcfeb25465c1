"""Verbatim search: the one search API that the CLI, the web app and the tests call."""
