"""The benchmark (`manage.py bench`): our index and search beside SQLite FTS5; depends on index/ and search/, never the reverse."""
