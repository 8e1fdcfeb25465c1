"""Verbatim indexing: parse transcripts into one data model and write them to a Whoosh index."""
