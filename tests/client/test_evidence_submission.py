"""detector._submit: a node that refuses evidence for its head (CometBFT has no commit for it
until the next block) gets it once more when its head has passed the conflicting height."""

import base64

from lightclient import detector
from lightclient.rpc import SourceError

HASH = bytes(range(32))


class Node:
    """refusals: how many submissions it refuses; heads: the heights /status reports, in turn."""

    def __init__(self, refusals, heads):
        self.refusals = refusals
        self.heads = list(heads)
        self.submitted = 0

    def broadcast_evidence(self, evidence, timeout=None):
        self.submitted += 1
        if self.submitted <= self.refusals:
            raise SourceError("rpc_error", "don't have commit at height #10")
        return {"hash": base64.b64encode(HASH).decode()}

    def status(self, timeout=None):
        return {"latest_height": self.heads.pop(0) if len(self.heads) > 1 else self.heads[0]}


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 0.5
        return self.t


def test_refused_at_its_head_then_accepted_once_the_head_moved():
    node = Node(refusals=1, heads=[10, 10, 11])
    out = detector._submit(node, {}, 10, Clock(), sleep=lambda s: None)
    assert out == {"ok": True, "hash": HASH.hex().upper(), "attempts": 2}
    assert node.submitted == 2 and node.heads == [11]


def test_accepted_at_once_is_not_resubmitted():
    node = Node(refusals=0, heads=[10])
    assert detector._submit(node, {}, 10, Clock(), sleep=lambda s: None)["attempts"] == 1
    assert node.submitted == 1


def test_refused_twice_is_given_up_with_the_error():
    node = Node(refusals=5, heads=[12])
    out = detector._submit(node, {}, 10, Clock(), sleep=lambda s: None)
    assert not out["ok"] and out["attempts"] == 2 and "don't have commit" in out["error"]


def test_a_head_that_never_passes_gets_no_second_submission():
    node = Node(refusals=5, heads=[10])     # stuck at the conflicting height until the deadline
    out = detector._submit(node, {}, 10, Clock(), sleep=lambda s: None)
    assert not out["ok"] and out["attempts"] == 1 and node.submitted == 1


def test_the_answered_hash_is_read_as_base64_or_hex():
    assert detector._answered_hash({"hash": base64.b64encode(HASH).decode()}) == HASH.hex().upper()
    assert detector._answered_hash({"hash": HASH.hex()}) == HASH.hex().upper()
    assert detector._answered_hash({"hash": "not base64!"}) is None
    assert detector._answered_hash({"hash": base64.b64encode(b"short").decode()}) is None
    assert detector._answered_hash("no object") is None
