import pytest


def pytest_collection_modifyitems(items):
    """Mark each case of a per-URL sweep (a test parametrised with a `route` of tests/security/url_sweep.py)
    `url_sweep`, so that the end of the run counts them (tests/conftest.py) and a sweep cut short shows."""
    from tests.security.url_sweep import Route

    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and isinstance(callspec.params.get("route"), Route):
            item.add_marker(pytest.mark.url_sweep)
