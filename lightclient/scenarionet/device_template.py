"""Default sections of a device record, shaped like the Mycroft / Selene device API answers.

The record (docs/device-records.md) stores what `GET /v1/device/{uuid}`, `.../setting`,
`.../location`, `.../skill/settings` and `.../subscription` return, so an unmodified
voice-assistant backend client reads them unchanged through the local device API.

No floats in canonical JSON: coordinates are strings of decimal degrees ("38.971669"), UTC
offsets are integers in milliseconds (as Selene sends them), and every other number is an
integer.
"""

import copy

_DEVICE = {
    "uuid": "",
    "name": "Mark II",
    "description": "Living room",
    "coreVersion": "ovos-core 0.0.8",
    "enclosureVersion": "mark2",
    "platform": "mycroft_mark_2",
    "user": {"uuid": ""},
}

_SETTING = {
    "uuid": "",
    "lang": "en-us",
    "time_format": "half",
    "date_format": "MDY",
    "system_unit": "imperial",
    "opt_in": False,
    "confirm_listening": True,
    "play_wav_cmdline": "paplay %1 --stream-name=mycroft-voice",
    "play_mp3_cmdline": "mpg123 %1",
    "skills": {"blacklisted_skills": [], "priority_skills": ["mycroft-pairing"]},
    "tts": {"module": "mimic3", "mimic3": {"voice": "en_UK/apope_low"}},
    "listener": {
        "wake_word": "hey mycroft",
        "phonemes": "HH EY . M AY K R AO F T",
        "threshold": "1e-90",
        "multiplier": "1.0",
        "energy_ratio": "1.5",
        "sample_rate": 16000,
        "channels": 1,
    },
    "hotwords": {"hey mycroft": {"module": "precise", "phonemes": "HH EY . M AY K R AO F T"}},
    "stt": {"module": "mycroft"},
    "ttsSettings": [{"@type": "mimic3", "voice": "en_UK/apope_low"}],
}

_LOCATION = {
    "city": {
        "code": "Lawrence",
        "name": "Lawrence",
        "state": {
            "code": "KS",
            "name": "Kansas",
            "country": {"code": "US", "name": "United States"},
        },
    },
    # Decimal degrees as strings: canonical JSON carries no floats.
    "coordinate": {"latitude": "38.971669", "longitude": "-95.235250"},
    # offset and dstOffset in milliseconds, integers, as the Selene API sends them.
    "timezone": {
        "code": "America/Chicago",
        "name": "Central Standard Time",
        "offset": -21600000,
        "dstOffset": 3600000,
    },
}

_SUBSCRIPTION = {"@type": "free"}


def default_sections(uuid, account=""):
    """Fresh default sections {device, setting, location, skills, subscription} for a device."""
    device = copy.deepcopy(_DEVICE)
    device["uuid"] = uuid
    device["user"]["uuid"] = account
    setting = copy.deepcopy(_SETTING)
    setting["uuid"] = uuid
    return {
        "device": device,
        "setting": setting,
        "location": copy.deepcopy(_LOCATION),
        "skills": [],
        "subscription": copy.deepcopy(_SUBSCRIPTION),
    }


def merge_setting(base, changes):
    """A copy of `base` with the keys of `changes` replaced (one level deep for dicts), the way
    a settings page changes a few fields of mycroft.conf."""
    out = copy.deepcopy(base)
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k].update(copy.deepcopy(v))
        else:
            out[k] = copy.deepcopy(v)
    return out
