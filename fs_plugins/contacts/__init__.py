"""Contacts: personal and common directories, CSV import/export, caller names, phone phonebooks.

Same file roles as every feature folder: ``records`` (frozen dataclasses and pure validation),
``numbers`` (phonenumbers normalisation), ``service`` (database reads and writes), ``caller_name``
(the dialplan hot path), ``csv_import`` / ``csv_export``, ``phonebook`` (WSGI app and auth for
desk phones) with ``phonebook_xml`` (the vendor formats) and ``cli`` (`centralita contact …`).
"""
