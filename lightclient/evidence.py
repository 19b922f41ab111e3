# LightClientAttackEvidence in CometBFT 0.38's JSON (types/evidence.go, as /broadcast_evidence
# takes it and /block shows it). The Go struct's fields have no json tags, so its keys are the Go
# field names (a node silently drops any other key, then refuses the evidence as empty):
#   {"type": "tendermint/LightClientAttackEvidence",
#    "value": {"ConflictingBlock": {"signed_header": ..., "validator_set": {"validators",
#                                                                         "proposer"}},
#              "CommonHeight": "H", "ByzantineValidators": [...],
#              "TotalVotingPower": "P", "Timestamp": "RFC3339"}}
# Byzantine validators follow CometBFT's GetByzantineValidators: for a lunatic attack (the
# conflicting header's state hashes differ from the trusted header at that height) the validators
# of the common set who signed the conflicting block; for an equivocation (same round) those who
# signed both blocks; none for amnesia (the chain must investigate).

from lightclient.chip.core import types as T

EVIDENCE_TYPE = "tendermint/LightClientAttackEvidence"


def _format_time(ns):
    # Go's RFC3339Nano in UTC (same as lightclient.scenarionet.chain.format_rfc3339_ns; kept here so
    # the shell does not import tools/).
    import datetime
    secs, nanos = divmod(ns, 1000000000)
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
    s = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        s += ("." + "%09d" % nanos).rstrip("0")
    return s + "Z"


def _validators_by_address(raw):
    out = {}
    for v in raw.validators_json.get("validators", []):
        if isinstance(v, dict) and isinstance(v.get("address"), str):
            out[v["address"].upper()] = v
    return out


def is_lunatic(conflicting_header, trusted_header):
    """CometBFT ConflictingHeaderIsInvalid: the conflicting header's state differs."""
    for f in ("validators_hash", "next_validators_hash", "consensus_hash", "app_hash",
              "last_results_hash"):
        if getattr(conflicting_header, f) != getattr(trusted_header, f):
            return True
    return False


def _signers(commit):
    return set(cs.validator_address for cs in commit.signatures
               if cs.flag == T.BLOCK_ID_FLAG_COMMIT)


def byzantine_validators(conflicting_raw, trusted_raw, common_raw):
    """Validator JSON objects (sorted by power then address, as CometBFT sorts them)."""
    conf = conflicting_raw.light_block
    trusted = trusted_raw.light_block
    common_vals = common_raw.light_block.validators
    if is_lunatic(conf.signed_header.header, trusted.signed_header.header):
        addrs = [a for a in _signers(conf.signed_header.commit) if common_vals.get(a) is not None]
        by = _validators_by_address(common_raw)
    elif conf.signed_header.commit.round == trusted.signed_header.commit.round:
        addrs = _signers(conf.signed_header.commit) & _signers(trusted.signed_header.commit)
        by = _validators_by_address(conflicting_raw)
    else:
        return []
    vals = [by[a.hex().upper()] for a in addrs if a.hex().upper() in by]
    vals.sort(key=lambda v: (-int(v.get("voting_power", "0")), v["address"]))
    return vals


def attack_evidence(conflicting_raw, trusted_raw, common_raw):
    """Evidence that `conflicting_raw` (a light block) conflicts with `trusted_raw` (the other
    side's block at the same height), both descending from `common_raw` (the last block both
    sides agree on)."""
    common = common_raw.light_block
    vals = list(conflicting_raw.validators_json.get("validators", []))
    return {"type": EVIDENCE_TYPE, "value": {
        "ConflictingBlock": {
            "signed_header": conflicting_raw.signed_header_json,
            "validator_set": {"validators": vals, "proposer": vals[0] if vals else None}},
        "CommonHeight": str(common.signed_header.header.height),
        "ByzantineValidators": byzantine_validators(conflicting_raw, trusted_raw, common_raw),
        "TotalVotingPower": str(common.validators.total_power),
        "Timestamp": _format_time(common.signed_header.header.time_ns)}}
