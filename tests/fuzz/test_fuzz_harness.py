# The fuzz harness (fuzz/run.py) itself: a typed error passes, anything else is a crash, and an
# input that allocates past the bound is one too; replay reports a crashing input.
import pytest

from fuzz import run
from lightclient.chip.core.errors import DecodeError, LightClientError

ALLOWED = (LightClientError,)


def test_typed_errors_pass_and_anything_else_is_a_crash():
    def typed(data):
        raise DecodeError("x", "typed")

    def untyped(data):
        raise KeyError("untyped")
    run.make_one(typed, ALLOWED)(b"a")
    with pytest.raises(KeyError):
        run.make_one(untyped, ALLOWED)(b"a")


def test_an_allocation_past_the_bound_is_a_crash():
    def greedy(data):
        return bytearray(run.ALLOC_BOUND + 1024 * 1024)
    one = run.make_one(greedy, ALLOWED)
    with pytest.raises(run.AllocationBound):
        for _ in range(run.SAMPLE):
            one(b"a")
    modest = run.make_one(lambda data: bytearray(1024), ALLOWED)
    for _ in range(2 * run.SAMPLE):
        modest(b"a")


def test_replay_reports_crashing_inputs(tmp_path, capsys):
    ok, bad = tmp_path / "ok", tmp_path / "bad"
    ok.write_bytes(b"fine")
    bad.write_bytes(b"boom")

    def fn(data):
        if data == b"boom":
            raise IndexError("boom")
    assert run.replay(fn, ALLOWED, [str(ok)]) == 0
    assert run.replay(fn, ALLOWED, [str(ok), str(bad)]) == 1
    assert "IndexError" in capsys.readouterr().out
