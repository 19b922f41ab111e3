"""A session chain stops right after the last test that uses it (tests/localchain/conftest.py),
not when its worker's session ends: an idle chain keeps burning CPU the other tests need."""
from types import SimpleNamespace

from tests.localchain import conftest


def _item(nodeid, *fixtures):
    return SimpleNamespace(nodeid=nodeid, fixturenames=list(fixtures))


def test_the_chain_stops_after_its_last_user_only():
    items = [_item("a.py::t1", "net7"), _item("a.py::t2", "relays", "net7"),
             _item("b.py::t1", "chain"), _item("c.py::t1")]
    request = SimpleNamespace(fixturename="net7", session=SimpleNamespace(items=items))
    stopped = []
    conftest._stop_after_its_last_user(request, SimpleNamespace(stop=lambda: stopped.append(1)))
    for i, item in enumerate(items):
        conftest.pytest_runtest_teardown(item, items[i + 1] if i + 1 < len(items) else None)
        assert stopped == ([] if i == 0 else [1]), item.nodeid    # after a.py::t2, once
    assert "a.py::t2" not in conftest._STOP_AFTER
