"""The WSGI application FreeSWITCH's mod_xml_curl calls: directory (SIP auth) and dialplan."""
