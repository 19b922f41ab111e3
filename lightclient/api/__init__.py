"""The verified local device API: the Mycroft device endpoints an unmodified voice assistant
(ovos-backend-client's personal backend, mycroft-core) calls, answered on 127.0.0.1 from the light
client's verified state. Routes, shapes and headers: docs/device-api.md."""
