import pytest


@pytest.hookimpl(optionalhook=True, tryfirst=True)   # before xdist's own: the first result wins
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with shared session fixtures and slow files first (xdist_scheduling)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.xdist_scheduling import SharedFixtureFileScheduling
    return SharedFixtureFileScheduling(config, log)
