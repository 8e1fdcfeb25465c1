"""The installed dependencies are the ones we chose."""

from importlib import metadata

import whoosh


def test_whoosh_is_the_pinned_whoosh3_fork():
    assert whoosh.versionstring().startswith("3.54")
    assert metadata.version("whoosh3") == "3.54.0"


def test_original_whoosh_distribution_is_not_installed():
    # The original `Whoosh` would silently overwrite the `whoosh` module.
    installed = {dist.metadata["Name"].lower() for dist in metadata.distributions()}
    assert "whoosh" not in installed
