# User-held keys, the chip's side and the pure constructions both sides share: sealed envelopes
# (envelope.py), key epochs (epochs.py), SPAKE2+ (spake2plus.py over group_*.py) and the pairing
# statement (pairing.py). Pure: no I/O, no clock; randomness is an argument. docs/envelopes.md,
# docs/pairing.md.
