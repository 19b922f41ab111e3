"""Audio for speech-to-text: the STT endpoint's body (FLAC, as ovos-backend-client sends it, or
WAV) decoded by libsndfile (the `soundfile` wheel) into 16 kHz mono 16-bit samples, the rate of
pocketsphinx's acoustic model. The bytes are untrusted: the size is bounded before decoding,
the frame count before reading, and every failure is a DecodeError naming its check."""

import io

from lightclient.chip.core.errors import DecodeError

RATE = 16000
MAX_AUDIO_BYTES = 1024 * 1024      # ~30 s of 16 kHz FLAC; the endpoint's body limit
MAX_SECONDS = 30
MIN_RATE, MAX_RATE = 8000, 48000


def decode(data):
    """FLAC / WAV / OGG bytes -> int16 numpy array at RATE, mono."""
    import numpy as np
    import soundfile as sf
    if not 0 < len(data) <= MAX_AUDIO_BYTES:
        raise DecodeError("audio_size", "audio missing or larger than the limit",
                          length=len(data), limit=MAX_AUDIO_BYTES)
    try:
        f = sf.SoundFile(io.BytesIO(bytes(data)))
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise DecodeError("audio_format", "not audio libsndfile reads (FLAC, WAV, OGG)",
                          reason=str(e)[:80])
    with f:
        if not MIN_RATE <= f.samplerate <= MAX_RATE or not 1 <= f.channels <= 2:
            raise DecodeError("audio_shape", "want 8..48 kHz, mono or stereo",
                              rate=f.samplerate, channels=f.channels)
        if f.frames > MAX_SECONDS * f.samplerate:
            raise DecodeError("audio_length", "longer than the limit", seconds=MAX_SECONDS)
        try:
            samples = f.read(dtype="int16", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise DecodeError("audio_data", "the audio does not decode", reason=str(e)[:80])
        rate = f.samplerate
    mono = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0].astype(np.float64)
    return resample(mono, rate)


def resample(samples, rate, to=RATE):
    """Linear interpolation to `to` Hz (speech: the energy is well below both Nyquist rates)."""
    import numpy as np
    if rate == to:
        return np.asarray(samples).astype(np.int16)
    n = int(len(samples) * to / rate)
    x = np.linspace(0, len(samples) - 1, n)
    return np.interp(x, np.arange(len(samples)), np.asarray(samples, dtype=np.float64)) \
        .astype(np.int16)


def encode_flac(samples, rate=RATE):
    """int16 samples -> FLAC bytes (what ovos-backend-client posts; tests and the bench)."""
    import soundfile as sf
    out = io.BytesIO()
    sf.write(out, samples, rate, format="FLAC", subtype="PCM_16")
    return out.getvalue()


def speak(text, rate_wpm=120, voice="en-us"):
    """espeak-ng's rendering of `text` at RATE, with 0.3 s of silence either side (tests and the
    bench; espeak-ng from apt, `make setup`)."""
    import subprocess
    import numpy as np
    import soundfile as sf
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate_wpm), "--stdout", text],
                         check=True, capture_output=True, timeout=30).stdout
    samples, rate = sf.read(io.BytesIO(wav), dtype="int16")
    pad = np.zeros(int(0.3 * RATE), np.int16)
    return np.concatenate([pad, resample(samples, rate), pad])
