"""Exit status of every `mycroft-lc` command: each code means one thing, whichever subcommand
returns it (the README's "Exit status" table). Its own module, importing nothing, so that every
subcommand module uses the same numbers without importing the CLI that imports them."""

EXIT_OK = 0
EXIT_INVALID = 1       # verification failed: the data does not verify (a source lied, or corrupt)
EXIT_USAGE = 2         # a wrong command line (argparse's own code)
EXIT_UNAVAILABLE = 3   # no source gave verified data in time, and nothing usable is cached
EXIT_LOCAL = 4         # our side failed: config, files, state store, chip link, board, a bug
EXIT_HALTED = 5        # a light-client attack was detected: halted until `mycroft-lc recover`
EXIT_NO_RECORD = 6     # the chain (proven) has no record for this device
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
EXIT_BROKEN_PIPE = 141  # the reader went away (`| head`): 128 + SIGPIPE, as shells report it
