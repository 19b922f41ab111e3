"""Speech-to-text with pocketsphinx, whose wheel carries CMU's US English acoustic model and
dictionary. It decodes against a small JSGF grammar of the utterances a device answers, not the
full language model: on espeak-ng's voice the full model gave "oh" for "hello" and took about
10 s per utterance on a busy 2-core machine, the grammar gives the phrase in ~0.2 s
(docs/paid-calls.md has the figures)."""

import threading

from lightclient.chip.core.errors import DecodeError

PHRASES = ("hello", "what is the weather", "good morning", "tell me a joke", "stop",
           "what time is it")


def grammar(phrases):
    for p in phrases:
        if not p or any(not (c.isascii() and (c.isalpha() or c == " ")) for c in p):
            raise DecodeError("phrase", "a phrase is ASCII letters and spaces", phrase=p)
    return ("#JSGF V1.0;\ngrammar utterances;\npublic <utterance> = %s;\n"
            % " | ".join(p.lower() for p in phrases))


class SpeechEngine:
    """One pocketsphinx decoder (about 2 s to load), one utterance at a time."""

    def __init__(self, phrases=PHRASES):
        from pocketsphinx import Decoder
        self.decoder = Decoder(samprate=16000, lm=None, loglevel="FATAL")
        self.decoder.add_jsgf_string("utterances", grammar(phrases))
        self.decoder.activate_search("utterances")
        self.lock = threading.Lock()

    def transcribe(self, samples):
        """int16 samples at 16 kHz -> the text ("" when nothing in the grammar was heard)."""
        with self.lock:
            d = self.decoder
            d.start_utt()
            d.process_raw(samples.tobytes(), full_utt=True)
            d.end_utt()
            hyp = d.hyp()
        return hyp.hypstr if hyp is not None else ""
