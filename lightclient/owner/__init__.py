# The owner's side on the Pi or a laptop (issue 20): the owner key file and mnemonic (keyfile.py),
# the owner's records and epochs (settings.py), pairing with a chip (pair.py), the P-256 group of
# SPAKE2+'s test vectors (group_p256.py) and `mycroft-lc owner ...` (cli.py).
