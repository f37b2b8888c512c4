"""The tenant's audio library ("Grabación de voz"): uploaded and phone-recorded messages.

Files: app.py (the application layer: list, upload, record by phone, remove), convert.py (decode,
validate, convert to a playable WAV: soundfile + soxr), library.py (rows and files: store, list,
remove, what still plays a file), served.py (library files over HTTP for FreeSWITCH), phone.py (the recording call), lookup.py (the call-time resolver and the ``message:``
destination resolver), cli.py (`centralita audio …`). Table: fs_plugins/models/audio.py.

Other features use it like this:
  * a destination ``message:<name>`` is resolved through the DestinationKind of plugin.py;
  * at call time `resolve_audio(tenant_domain, audio_id)` gives the path to play, or None
    (`audio_resolver(config)`: the same, giving the URL when FreeSWITCH fetches audio over HTTP);
  * a table pointing at AudioFile with a foreign key is found by `audio_users` before removal.
"""
from fs_plugins.audio.lookup import audio_resolver, resolve_audio

__all__ = ["audio_resolver", "resolve_audio"]
