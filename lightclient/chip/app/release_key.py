# The release key (Ed25519 public key, hex) frozen into a release build of the firmware: the
# only key a release board takes updates signed by (docs/ota.md, "The release key"). `mycroft-lc
# board release build` stamps it here in the release it compiles, and `board release key-module`
# writes this module for a frozen (ESP-IDF) build. None: a development build, which reads the
# key from /board.json and says so (status `release_key_source`).
RELEASE_KEY = None
