"""Phone provisioning's decisions (pure): MAC addresses, which file a phone asked for, what goes
into a file, and how user-typed text is made harmless in each file format."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fs_plugins import hostport
from fs_plugins.errors import InvalidInput
from fs_plugins.provisioning.kinds import MAX_BLF_KEYS, VENDORS

_MAC = re.compile(r"[0-9a-f]{12}\Z")
# The file name each vendor's phone asks for, with its MAC (any case): see kinds.py.
_FILES = {
    "yealink": re.compile(r"([0-9A-Fa-f]{12})\.cfg\Z"),
    "snom": re.compile(r"([0-9A-Fa-f]{12})\.xml\Z"),
    "grandstream": re.compile(r"cfg([0-9A-Fa-f]{12})\.xml\Z"),
    "cisco": re.compile(r"spa([0-9A-Fa-f]{12})\.xml\Z"),
    "fanvil": re.compile(r"([0-9A-Fa-f]{12})\.cfg\Z"),
}
FILE_NAMES = {"yealink": "{mac}.cfg", "snom": "{MAC}.xml", "grandstream": "cfg{mac}.xml", "cisco": "spa{mac}.xml",
              "fanvil": "{mac}.cfg"}
# The languages a tenant may speak, as each vendor names them in its file (else English).
LANGUAGES = {
    "yealink": {"es": "Spanish", "en": "English", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese"},
    "snom": {"es": "Espanol", "en": "English", "fr": "Francais", "de": "Deutsch", "it": "Italiano", "pt": "Portugues"},
    "grandstream": {"es": "es", "en": "en", "fr": "fr", "de": "de", "it": "it", "pt": "pt"},
    "cisco": {"es": "Spanish", "en": "English", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese"},
    "fanvil": {"es": "es", "en": "en", "fr": "fr", "de": "de", "it": "it", "pt": "pt"},  # the X-series' codes
}


def mac(value: str, field: str = "mac") -> str:
    """A MAC address written with or without : - . separators, as 12 lowercase hex digits."""
    cleaned = re.sub(r"[:.\-\s]", "", (value or "").strip()).lower()
    if not _MAC.match(cleaned):
        raise InvalidInput(field, f"{value!r} is not a MAC address (12 hex digits, e.g. 80:5e:c0:12:34:56)")
    if cleaned == "000000000000" or int(cleaned[1], 16) & 1:
        raise InvalidInput(field, f"{value!r} is not a phone's address (zero or multicast)")
    return cleaned


def vendor(value: str, field: str = "vendor") -> str:
    value = (value or "").strip().lower()
    if value not in VENDORS:
        raise InvalidInput(field, f"{value!r}: one of {', '.join(VENDORS)}")
    return value


def requested(vendor_name: str, file_name: str) -> str | None:
    """The MAC in the file name a phone of `vendor_name` asked for, or None when it is no such file."""
    pattern = _FILES.get(vendor_name)
    match = pattern.match(file_name) if pattern else None
    return match.group(1).lower() if match else None


def file_name(vendor_name: str, mac_address: str) -> str:
    return FILE_NAMES[vendor_name].format(mac=mac_address, MAC=mac_address.upper())


def blf_list(extensions, own: str, field: str = "blf") -> tuple[str, ...]:
    """Colleagues' extensions for busy-lamp keys: digits, no repeats, not the phone's own user."""
    found = []
    for item in extensions:
        item = str(item).strip()
        if not (item.isascii() and item.isdigit()) or len(item) > 16:
            raise InvalidInput(field, f"{item!r} is not an extension")
        if item == own:
            raise InvalidInput(field, "a phone's own extension needs no busy lamp")
        if item not in found:
            found.append(item)
    if len(found) > MAX_BLF_KEYS:
        raise InvalidInput(field, f"at most {MAX_BLF_KEYS} busy-lamp keys")
    return tuple(found)


# Vendors whose phones can show a second box's message-waiting lamp on a key, each confirmed in the
# vendor's documentation: Cisco MPP's administration guide, "voicemail PLK" (`fnc=mwi;sub=box@domain`).
# For the others no such key could be confirmed here, so their files leave it out.
MWI_KEY_VENDORS = ("cisco",)


@dataclass(frozen=True)
class Key:
    kind: str  # "blf" (a colleague's lamp; pressing it while it rings picks the call up), "mwi" or "speed"
    label: str
    value: str  # an extension, a feature code, or (mwi) the box whose lamp the key shows


@dataclass(frozen=True)
class PhoneFile:
    """Everything a file says; the templates only lay it out. Text a person typed is in `label`s
    and `display_name` and is made harmless by the template's format (cfg_text, XML escaping)."""

    vendor: str
    mac: str
    domain: str
    extension: str
    display_name: str
    sip_password: str
    proxy: str  # where phones send SIP (the tenant's domain, or the configured proxy)
    phonebook_url: str
    language: str  # as the vendor names it
    utc_offset_minutes: int  # the tenant's standard offset (the phone applies its own summer time)
    pickup_prefix: str  # the tenant's directed-pickup code (**): a BLF key pressed while ringing
    keys: tuple[Key, ...]
    posix_tz: str = ""  # the tenant's zone as a POSIX TZ rule, summer time included (Grandstream)
    summer: "SummerTime | None" = None  # this year's summer time of the tenant's zone (Fanvil)

    def keys_for(self, vendor_name: str) -> tuple[Key, ...]:
        """The keys this vendor's phones can show (message-waiting keys only where confirmed)."""
        return tuple(key for key in self.keys if key.kind != "mwi" or vendor_name in MWI_KEY_VENDORS)

    @property
    def fanvil_zone(self) -> tuple[int, str]:
        """Fanvil's TimeZone (the offset in quarter hours) and, for whole hours, its TimeZoneName as
        Wazo's wazo_fanvil plugin writes them (UCT, UTC+1, UTC-05)."""
        code = self.utc_offset_minutes // 15
        hours, rest = divmod(self.utc_offset_minutes, 60)
        if rest or not -12 <= hours <= 12:
            return code, ""
        return code, "UCT" if hours == 0 else f"UTC+{hours}" if hours > 0 else f"UTC-{-hours:02d}"

    @property
    def phonebook_url_with_login(self) -> str:
        """The phonebook URL with the user's SIP login in it (`http://EXT:PASSWORD@host/…`, RFC 3986
        userinfo, percent-encoded): /phonebook asks for the user's SIP credentials, and these
        vendors' files have no confirmed separate user name and password for it."""
        if not self.phonebook_url:
            return ""
        scheme, _, rest = self.phonebook_url.partition("://")
        login = f"{quote(self.extension, safe='')}:{quote(self.sip_password, safe='')}"
        return f"{scheme}://{login}@{rest}"

    @property
    def proxy_address(self) -> tuple[str, int]:
        """The proxy's host and port apart (phones with a field for each, Fanvil's ProxyAddr and
        ProxyPort); the port is 5060 when the proxy names none."""
        host, port = hostport.split(self.proxy, "sip_proxy")
        return host, port or SIP_PORT

    @property
    def utc_offset_hours(self) -> str:
        """+1, -5, +5:30 (Yealink's local_time.time_zone)."""
        sign = "+" if self.utc_offset_minutes >= 0 else "-"
        hours, minutes = divmod(abs(self.utc_offset_minutes), 60)
        return f"{sign}{hours}" + (f":{minutes:02d}" if minutes else "")

    @property
    def gmt_offset(self) -> str:
        """GMT+01:00 (Cisco's Time_Zone)."""
        sign = "+" if self.utc_offset_minutes >= 0 else "-"
        hours, minutes = divmod(abs(self.utc_offset_minutes), 60)
        return f"GMT{sign}{hours:02d}:{minutes:02d}"


SIP_PORT = 5060


def standard_offset_minutes(zone: str, today: dt.date) -> int:
    """The zone's offset without summer time (January's in the north, July's in the south)."""
    tz = ZoneInfo(zone)
    offsets = [dt.datetime(today.year, month, 1, 12, tzinfo=tz).utcoffset() for month in (1, 7)]
    return int(min(offsets).total_seconds() // 60)


@dataclass(frozen=True)
class Change:
    month: int
    day: int  # of the month
    hour: int  # local time, before the change


@dataclass(frozen=True)
class SummerTime:
    start: Change
    end: Change
    minutes: int  # how far clocks go forward


def summer_time(zone: str, year: int) -> SummerTime | None:
    """When `zone` goes to and from summer time in `year` (None: it does not). The changes of that
    year, as a phone that takes dates (Fanvil) needs them; it gets new ones at its next fetch."""
    tz = ZoneInfo(zone)
    moment = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc) - dt.timedelta(hours=14)
    before = moment.astimezone(tz).utcoffset()
    changes = []
    for _ in range(366 * 24 + 28):
        moment += dt.timedelta(hours=1)
        offset = moment.astimezone(tz).utcoffset()
        if offset != before:
            local = moment + before  # the wall clock just before it changes
            if local.year == year:
                changes.append((offset > before, Change(local.month, local.day, local.hour), offset - before))
            before = offset
    start = next((change for forward, change, _ in changes if forward), None)
    end = next((change for forward, change, _ in changes if not forward), None)
    if start is None or end is None:
        return None
    step = next(delta for forward, _, delta in changes if forward)
    return SummerTime(start, end, int(step.total_seconds() // 60))


_POSIX_TZ = re.compile(r"[A-Za-z0-9<>+\-,./:]{1,80}\Z")


def posix_tz(tzif: bytes, standard_offset: int) -> str:
    """The POSIX TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`) a TZif file of version 2 or later ends with
    (RFC 8536 section 3.3, the footer), which is how phones that take a TZ string learn summer time.
    Without one: the fixed standard offset (`<+0100>-1`: POSIX counts west as positive)."""
    footer = tzif.rstrip(b"\n").rsplit(b"\n", 1)[-1] if tzif.startswith(b"TZif") else b""
    text = footer.decode("ascii", "replace")
    if footer and _POSIX_TZ.match(text):
        return text
    sign = "-" if standard_offset >= 0 else "+"
    hours, minutes = divmod(abs(standard_offset), 60)
    name = f"<{'+' if standard_offset >= 0 else '-'}{hours:02d}{minutes:02d}>"
    return f"{name}{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def cfg_text(value: str, max_length: int = 64) -> str:
    """Text for a `key = value` line (Yealink's .cfg): no control characters (a line break would
    start a line of the attacker's choosing), no leading/trailing spaces, bounded."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value or "")
    return " ".join(text.split())[:max_length]
