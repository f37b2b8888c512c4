"""Contacts: personal and common directories, CSV import/export, caller names, phone phonebooks.

Same file roles as every feature folder: ``records`` (frozen dataclasses and pure validation),
``numbers`` (phonenumbers normalisation), ``service`` (database reads and writes), ``caller_name``
(the dialplan hot path), ``csv_import`` / ``csv_export``, ``phonebook`` (WSGI app for desk
phones) and ``cli`` (`centralita contact …`).
"""
