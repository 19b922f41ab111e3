"""The scheduler `make test` gives pytest-xdist (tests/xdist_scheduling.py), driven as xdist's
DSession drives it, with stand-in workers that record what they are sent."""
from types import SimpleNamespace

from tests.xdist_scheduling import (SHARED, SHARED_ATTACKED, SHARED_CHAIN4, SHARED_NET7,
                                    SHARED_SCENARIONET, SLOW_FIRST, SharedFixtureFileScheduling)

# the longest file that is not in a shared group
SLOW_FILE = next(f for f in SLOW_FIRST if not any(f in g for g in SHARED))


class Worker:
    shutting_down = False

    def __init__(self, name):
        self.gateway = SimpleNamespace(id=name)
        self.sent = []

    def send_runtest_some(self, indexes):
        self.sent.extend(indexes)

    def shutdown(self):
        self.shutting_down = True


def scheduled(collection, workers=2):
    opts = {"tx": ["%d*popen" % workers], "dist": "loadfile"}
    config = SimpleNamespace(getvalue=opts.get, option=SimpleNamespace(loadscopereorder=True))
    sched = SharedFixtureFileScheduling(config)
    nodes = [Worker("gw%d" % i) for i in range(workers)]
    for n in nodes:
        sched.add_node(n)
        sched.add_node_collection(n, collection)
    sched.schedule()
    done = [0] * workers
    while any(done[k] < len(n.sent) for k, n in enumerate(nodes)):   # each finishes one test
        for k, n in enumerate(nodes):
            if done[k] < len(n.sent):
                sched.mark_test_complete(n, n.sent[done[k]])
                done[k] += 1
    assert sched.tests_finished
    return [[collection[i] for i in n.sent] for n in nodes]


COLLECTION = (["tests/a/test_many.py::t%d" % i for i in range(6)]
              + ["tests/b/test_some.py::t%d" % i for i in range(4)]
              + [SHARED_SCENARIONET[0] + "::f%d" % i for i in range(2)]
              + [SHARED_SCENARIONET[1] + "::n%d" % i for i in range(2)]
              + [SHARED_NET7[1] + "::c%d" % i for i in range(2)]
              + [SHARED_NET7[2] + "::s%d" % i for i in range(2)]
              + [SLOW_FILE + "::story"])


def test_the_slowest_file_goes_out_first():
    first, second = scheduled([t for t in COLLECTION if not t.startswith(sum(SHARED, ()))])
    # loadfile alone would hand out the 6-test file first and the one-test file last
    assert first[0] == SLOW_FILE + "::story"


def test_a_slow_shared_group_goes_out_first_and_whole():
    # the net7 group is the longest unit: it is handed out before the longest single file
    assert SLOW_FIRST[0] == SHARED_NET7[0]
    coll = COLLECTION + [SHARED_NET7[0] + "::boot"]
    first, second = scheduled(coll)
    net7 = [t for t in coll if t.startswith(SHARED_NET7)]
    assert first[:len(net7)] == net7
    assert second[0] == SLOW_FILE + "::story"


def test_files_sharing_a_session_scenarionet_run_on_one_worker():
    got = scheduled(COLLECTION)
    holders = [i for i, sent in enumerate(got)
               if any(t.startswith(SHARED_SCENARIONET) for t in sent)]
    assert len(holders) == 1
    assert sum(t.startswith(SHARED_SCENARIONET) for t in got[holders[0]]) == 4


def test_files_sharing_the_session_chain_net7_run_on_one_worker():
    got = scheduled(COLLECTION)
    holders = [i for i, sent in enumerate(got) if any(t.startswith(SHARED_NET7) for t in sent)]
    assert len(holders) == 1
    assert sum(t.startswith(SHARED_NET7) for t in got[holders[0]]) == 4
    # one work unit, whichever worker it lands on
    split = SharedFixtureFileScheduling._split_scope
    assert len({split(None, f + "::t") for f in SHARED_NET7}) == 1


def _fixture_users(folder, fixture):
    """The test files under tests/<folder> with a function taking `fixture`."""
    import ast
    from pathlib import Path
    repo = Path(__file__).resolve().parents[1]
    users = set()
    for f in sorted((repo / "tests" / folder).glob("test_*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.FunctionDef) and fixture in [a.arg for a in node.args.args]:
                users.add(f.relative_to(repo).as_posix())
    return users


def test_shared_net7_lists_every_file_that_uses_it():
    # a file missing from SHARED_NET7 would start a second seven-node chain on the other worker
    assert _fixture_users("localchain", "net7") == set(SHARED_NET7)


def test_every_test_is_sent_once_and_files_stay_whole():
    got = scheduled(COLLECTION)
    assert sorted(got[0] + got[1]) == sorted(COLLECTION)
    for path in {t.split("::")[0] for t in COLLECTION}:
        assert len({i for i, sent in enumerate(got) for t in sent if t.startswith(path)}) == 1


def test_shared_attacked_lists_every_file_that_uses_it():
    # a file missing here would start a second attacked chain on the other worker
    assert _fixture_users("localchain", "attacked_chain") == set(SHARED_ATTACKED)


def test_shared_chain4_lists_every_file_that_uses_it():
    # a file missing here would start a second 4-validator chain on the other worker
    assert _fixture_users("localchain", "chain") == set(SHARED_CHAIN4)


def test_shared_scenarionet_lists_every_file_that_uses_it():
    # a file missing from SHARED_SCENARIONET would build the 90,000-block scenarionet a second time
    assert _fixture_users("scenarionet", "net") == set(SHARED_SCENARIONET)


def test_slow_first_names_existing_files():
    from pathlib import Path
    repo = Path(__file__).resolve().parents[1]
    assert [f for f in SLOW_FIRST + sum(SHARED, ()) if not (repo / f).is_file()] == []
