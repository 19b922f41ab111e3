"""`mycroft-lc gov list | show | vote`: proposals, votes and final tallies read from verified state
(lightclient/gov.py: ICS23 proofs of x/gov keys against the head our light client verified), and
a vote signed by the chip (the device's own, or the owner's through an authz grant: --for) or by
the owner's key directly (--key). A vote weighs the voter's bonded stake; the tool says so."""

import time

from lightclient import gov, txclient
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core.errors import LightClientError
from lightclient.commands import _client, _emit, common_args
from lightclient.exitcodes import EXIT_OK
from lightclient.sources import NoSource

PROVE_TIMEOUT_S = 30.0


class GovError(LightClientError):
    """A vote the chain would not count (proposal absent or not in its voting period)."""


def _reader(client, deadline):
    client.sync(deadline_s=deadline)
    header = client.trusted().light_block.signed_header.header
    return gov.pooled(client.pool, header), header


def _proposal_doc(p, header):
    d = dict(p)
    d["verified_height"] = header.height
    return d


def cmd_list(args):
    client = _client(args)
    reader, header = _reader(client, args.deadline)
    ps = reader.proposals(args.limit)
    lines = ["%-4s %-15s %s" % ("id", "status", "title")]
    lines += ["%-4d %-15s %s" % (p["id"], p["status"], p["title"]) for p in ps]
    lines.append("(verified at height %d; %s)" % (header.height, gov.WEIGHT_NOTE))
    _emit(args, {"proposals": ps, "verified_height": header.height,
                 "note": gov.WEIGHT_NOTE}, "\n".join(lines))
    return EXIT_OK


def cmd_show(args):
    client = _client(args)
    reader, header = _reader(client, args.deadline)
    p = reader.proposal(args.id)
    if p is None:
        raise GovError("gov_no_proposal", "the chain proves there is no such proposal",
                       id=args.id)
    doc = _proposal_doc(p, header)
    text = gov.summary_text(p)
    if args.voter:
        v = reader.vote(args.id, gov.address_bytes(args.voter))
        doc["vote"] = v
        text += "\n  vote of %s: %s" % (args.voter, "proven absent" if v is None else
                                        ", ".join("%s %s" % o for o in v["options"]))
    _emit(args, doc, text)
    return EXIT_OK


def _signer(args):
    """(voter bech32, messages signer pub, sign(doc) -> (sig, summary), closer)."""
    if args.key:
        with open(args.key) as f:
            secret = bytes.fromhex(f.read().strip())
        from lightclient.chip.crypto import backend
        pub = backend.secp256k1_public_key(secret)
        sign = ct.sign_secp256k1(secret)
        return pub, (lambda doc: (sign(doc), None)), (lambda: None)
    from lightclient.mcu import McuClient
    mcu = McuClient(args.mcu)
    return mcu.account_key(), mcu.sign_tx_summary, mcu.close


def cmd_vote(args):
    option = args.option.lower()
    if option not in gov.OPTIONS:
        raise SystemExit("vote option must be one of " + ", ".join(gov.OPTIONS))
    client = _client(args)
    reader, header = _reader(client, args.deadline)
    p = reader.proposal(args.id)
    if p is None or p["status"] != "VOTING_PERIOD":
        raise GovError("gov_not_voting", "the proposal is not in its voting period (verified)",
                       id=args.id, status=None if p is None else p["status"])
    pub, sign, close = _signer(args)
    try:
        signer = ct.bech32_address(pub)
        voter = args.for_owner or signer
        msgs = gov.vote_messages(args.id, option, signer, args.for_owner)
        cands = client.pool.candidates()
        if not cands:
            raise NoSource("no_source", "no source to send the vote to")
        rpc = cands[0].rpc
        summaries = []

        def sign_doc(doc):
            sig, text = sign(doc)
            summaries.append(text)
            return sig

        tx = txclient.TxClient(rpc, header.chain_id, pub, sign_doc, lambda: txclient.verified_account(
            rpc, client.trusted().light_block.signed_header.header, ct.account_address(pub)))
        [(_res, height)] = tx.send([msgs])
    finally:
        close()
    # the vote in state: a header above the inclusion height, verified, proves it
    mono = client.clock.monotonic
    end = mono() + PROVE_TIMEOUT_S
    while True:
        reader, header = _reader(client, max(1.0, end - mono()))
        if header.height > height or mono() > end:
            break
        time.sleep(0.3)
    v = reader.vote(args.id, gov.address_bytes(voter)) if header.height > height else None
    doc = {"proposal_id": args.id, "voter": voter, "signer": signer, "height": height,
           "summary": summaries[-1] if summaries else None, "vote": v,
           "verified_height": header.height, "note": gov.WEIGHT_NOTE}
    text = "%s\nincluded at height %d; %s\n(%s)" % (
        summaries[-1] or "vote %s on proposal %d" % (option.upper(), args.id), height,
        "vote proven in state at height %d" % header.height if v else "vote NOT yet proven",
        gov.WEIGHT_NOTE)
    _emit(args, doc, text)
    if v is None:
        raise GovError("gov_vote_unproven", "the vote was included but is not proven in "
                       "verified state", height=height)
    return EXIT_OK


def register(subparsers):
    g = subparsers.add_parser("gov", help="proposals, votes and tallies from verified state; "
                              "vote through the chip")
    sub = g.add_subparsers(dest="gov_command", required=True)
    p = sub.add_parser("list", help="the newest proposals, verified")
    common_args(p)
    p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("show", help="one proposal and its final tally, verified")
    common_args(p)
    p.add_argument("id", type=int)
    p.add_argument("--voter", metavar="ADDR", help="also prove this account's vote")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("vote", help="vote, then prove the vote in verified state",
                       description="Signs with the chip (--mcu PORT; --for OWNER votes for the "
                       "owner through the owner's authz grant) or with the owner's secp256k1 "
                       "key (--key FILE, hex). " + gov.WEIGHT_NOTE[0].upper() + gov.WEIGHT_NOTE[1:]
                       + ".")
    common_args(p, deadline=10.0)
    p.add_argument("id", type=int)
    p.add_argument("option", help="yes, no, abstain or no_with_veto")
    s = p.add_mutually_exclusive_group(required=True)
    s.add_argument("--mcu", metavar="PORT", help="the chip signs (it reads the vote first)")
    s.add_argument("--key", metavar="FILE", help="a secp256k1 secret (hex) signs directly")
    p.add_argument("--for", dest="for_owner", metavar="ADDR", help="with --mcu: vote for this "
                   "owner account (MsgExec; the owner granted the device MsgVote)")
    p.set_defaults(func=cmd_vote)
