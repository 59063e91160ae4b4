from tests.incidents.conftest import incident_data  # noqa: F401 - the log form, filled in (fault tests)
