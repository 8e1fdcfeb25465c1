"""Verbatim web: Flask app factory, search page, transcript page and JSON API."""
