# The way back from a halt (a light-client attack was detected) or from a trust anchor older than
# the trusting period: a fresh checkpoint the device can trust, named by its owner (signed with
# the owner key of the config) or agreed by k independent sources (checkpoint.py checks both),
# becomes the new anchor and the only trusted block; only then is the halt cleared. The next boot
# syncs from there, and cross-checks again: if the attack goes on, it halts again.
#
# Order for a power cut at any instant: anchor, then blocks, then the halt cleared. A cut before
# the last step leaves the device halted; running the recovery again finishes it.

from lightclient import checkpoint


def recover(client, owner_checkpoint=None, k=None, deadline_s=5.0):
    """Re-anchor `client` (a LightClient) on a fresh checkpoint and clear its halt. Returns a dict
    (height, hash, by, halt it cleared, and checkpoint.py's info); raises RecoveryError,
    SignatureError / VerificationError (a bad owner checkpoint) or NoSource."""
    cfg = client.config
    now = client.clock.now_ns()
    drift = client.options.clock_drift_ns
    if owner_checkpoint is not None:
        raw, info = checkpoint.recover_owner(client.pool, owner_checkpoint, cfg.owner_pubkey,
                                             cfg.chain_id, now, drift)
        by = "owner"
    else:
        raw, info = checkpoint.recover_k_of_n(client.pool, cfg.chain_id, k or cfg.ws_k, now,
                                              drift, deadline_s=deadline_s)
        by = "k_of_n"
    header = raw.light_block.signed_header.header
    if header.time_ns + client.options.trusting_period_ns <= now:
        raise checkpoint.RecoveryError("ws_checkpoint_expired", "the checkpoint is itself older "
                                       "than the trusting period", height=raw.height)
    client.store.save_anchor(cfg.chain_id, raw.height, header.hash(), source=by)
    client.blocks = client.store.save_blocks([raw])
    halt = client.store.halt()
    client.clear_halt()
    return {"height": raw.height, "hash": header.hash().hex().upper(), "by": by,
            "time_ns": header.time_ns, "cleared_halt": halt, "info": info}
