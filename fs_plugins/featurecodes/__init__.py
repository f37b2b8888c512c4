"""Feature codes: what a user dials from their phone (*78, *72 number, *97 …) to change their
settings, reach voicemail, pick up a call or call a colleague's speaker."""
