# The device API's transport limits, in one place (docs/device-api.md, "The HTTP server and its
# limits"). Kept apart from server.py so `mycroft-lc` imports them without loading aiohttp.

DEFAULT_PORT = 6713
MAX_BODY = 64 * 1024
MAX_STT_BODY = 1024 * 1024      # POST /v1/stt's FLAC audio (~30 s at 16 kHz; providers.audio)
READ_DEADLINE_S = 5.0           # an honest local client sends its request in one go, in ms
KEEPALIVE_S = 4.0               # idle keep-alive closes cleanly before the read deadline cuts it
MAX_LINE = 8 * 1024             # request line and each header line
MAX_HEADERS = 64                # OVOS sends about 8
MAX_PENDING = 256               # connections still sending their request
BACKLOG = 512                   # a burst of clients at boot waits in the kernel, not in SYN retries
WORKERS = 16                    # threads running the routes (a sync holds one per waiting reader)
