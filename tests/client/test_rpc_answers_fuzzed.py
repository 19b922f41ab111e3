"""Regression tests for what fuzzing the RPC client's answer checks found (fuzz target `rpc`): a
number JSON reads as infinity (1e400 is valid JSON, unlike the Infinity literal) in a height or a
total is the typed bad-answer error, never an OverflowError."""
import pytest

from lightclient.rpc import RpcClient, SourceError


class Replay(RpcClient):
    """A source whose every answer is `answer` (the parsing under test, no socket)."""

    def __init__(self, answer):
        super().__init__("http://127.0.0.1:1")
        self.answer = answer

    def _request(self, method, path, body=None, timeout=None):
        return self.answer


TIME = '"2023-01-01T00:00:00Z"'
HUGE = ["1e400", "-1e400", "1.5e308000"]


@pytest.mark.parametrize("num", HUGE)
def test_a_status_height_out_of_range_is_a_bad_answer(num):
    body = '{"result":{"sync_info":{"latest_block_height":%s,"latest_block_time":%s}}}' % (
        num, TIME)
    with pytest.raises(SourceError) as e:
        Replay(body.encode()).status()
    assert e.value.check == "bad_json"


@pytest.mark.parametrize("num", HUGE)
@pytest.mark.parametrize("field", ["total", "block_height"])
def test_a_validators_number_out_of_range_is_a_bad_answer(num, field):
    doc = {"total": "1", "validators": "[1]", "block_height": "10"}
    doc[field] = num
    body = '{"result":{%s}}' % ",".join('"%s":%s' % kv for kv in doc.items())
    with pytest.raises(SourceError) as e:
        Replay(body.encode()).validators(10)
    assert e.value.check == "bad_json"


@pytest.mark.parametrize("num", HUGE)
def test_a_signed_header_height_out_of_range_is_a_bad_answer(num):
    body = '{"result":{"signed_header":{"header":{"height":%s}}}}' % num
    with pytest.raises(SourceError) as e:
        Replay(body.encode()).light_block(10)
    assert e.value.check == "bad_json"
