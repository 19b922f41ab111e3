"""Governance transactions built both by lightclient.gov (with lightclient/chip/cosmos_tx.py) and
by cosmjs (cosmjs-types' gov v1 and authz messages): the device's own vote, its vote for the
owner through authz MsgExec, the owner's MsgGrant and a text proposal. Recorded in
docs/vectors/gov-tx.json (`python -m tests.cosmostx.gov_cases`)."""

from lightclient import gov
from tests.cosmostx import cases
from tests.cosmostx.cases import DEVICE, OWNER, SECRETS, _h

VOTE_JS = lambda pid, voter, opt: {"type_url": gov.MSG_VOTE,  # noqa: E731
                                   "value": {"proposalId": "bigint:%d" % pid, "voter": voter,
                                             "option": opt, "metadata": ""}}


def _exec_js(pid, voter, opt):
    _u, inner = gov.msg_vote(pid, voter, opt)
    return {"type_url": gov.MSG_EXEC,
            "value": {"grantee": DEVICE, "msgs": [{"typeUrl": gov.MSG_VOTE, "value": _h(inner)}]}}


def _grant_js(expiration):
    auth = {"typeUrl": gov.GENERIC_AUTHORIZATION,
            "value": _h(b"\x0a" + bytes([len(gov.MSG_VOTE)]) + gov.MSG_VOTE.encode())}
    grant = {"authorization": auth}
    if expiration is not None:
        grant["expiration"] = {"seconds": "bigint:%d" % expiration, "nanos": 0}
    return {"type_url": gov.MSG_GRANT, "value": {"granter": OWNER, "grantee": DEVICE,
                                                  "grant": grant}}


# (name, [(ours, cosmjs)], tx fields)
CASES = [
    ("device_votes_yes",
     [(gov.msg_vote(7, DEVICE, "yes"), VOTE_JS(7, DEVICE, 1))],
     {"chain_id": "mycroft-local-1", "account_number": 12, "sequence": 4, "gas_limit": 200000,
      "fee": [["stake", 500]]}),
    ("device_votes_for_owner_through_authz",
     [(gov.msg_exec(DEVICE, [gov.msg_vote(2 ** 40, OWNER, "no_with_veto")]),
       _exec_js(2 ** 40, OWNER, 4))],
     {"chain_id": "mycroft-local-1", "account_number": 12, "sequence": 5, "gas_limit": 250000,
      "fee": [], "granter": OWNER, "timeout_height": 1234}),
    ("owner_grants_vote_never_expiring_and_one_expiring",
     [(gov.msg_grant_vote(OWNER, DEVICE), _grant_js(None)),
      (gov.msg_grant_vote(OWNER, DEVICE, 1893456000), _grant_js(1893456000))],
     {"chain_id": "mycroft-local-1", "account_number": 3, "sequence": 9, "gas_limit": 300000,
      "fee": [["stake", 1]]}),
    ("owner_submits_a_text_proposal",
     [(gov.msg_submit_proposal(OWNER, [("stake", 10 ** 7)], "Raise the STT price", "by 2",
                               "ipfs://x"),
       {"type_url": gov.MSG_SUBMIT_PROPOSAL,
        "value": {"messages": [], "initialDeposit": [{"denom": "stake", "amount": "10000000"}],
                  "proposer": OWNER, "metadata": "ipfs://x", "title": "Raise the STT price",
                  "summary": "by 2", "expedited": False}})],
     {"chain_id": "mycroft-local-1", "account_number": 3, "sequence": 10, "gas_limit": 300000,
      "fee": []}),
]


def oracle_cases():
    return cases.oracle_cases(CASES)


def ours(i, sign):
    """(tx_raw, sign_doc) of case i as lightclient.chip.cosmos_tx builds it."""
    from lightclient.chip import cosmos_tx as ct
    from lightclient.chip.crypto import secp256k1
    _name, msgs, tx = CASES[i]
    secret = bytes.fromhex(SECRETS[i % len(SECRETS)])
    pub = secp256k1.public_key(secret)
    body = ct.tx_body([m for m, _js in msgs], tx.get("memo", ""), tx.get("timeout_height", 0))
    auth = ct.auth_info(pub, tx["sequence"], tx["gas_limit"], tx["fee"], tx.get("payer", ""),
                        tx.get("granter", ""))
    doc = ct.sign_doc(body, auth, tx["chain_id"], tx["account_number"])
    return ct.tx_raw(body, auth, sign(secret)(doc)), doc


def record():
    import json
    from tests.cosmostx.oracle import REPO, cosmjs
    inputs = oracle_cases()
    out = {"about": "Governance transactions (gov v1 MsgVote, authz MsgExec wrapping MsgVote, "
                    "MsgGrant of GenericAuthorization, MsgSubmitProposal): inputs and what "
                    "@cosmjs/proto-signing 0.39.0 built for them (hex). Spec: docs/gov.md; "
                    "checked by tests/cosmostx/test_gov_tx_vs_cosmjs.py.", "cases": []}
    for (name, _m, _t), c, r in zip(CASES, inputs, cosmjs(inputs)):
        out["cases"].append({"name": name, "input": c, **r})
    (REPO / "docs" / "vectors" / "gov-tx.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    record()
