"""sipp scenarios for tests/test_kamailio.py: a phone registering, and calls through the proxy."""
from __future__ import annotations

_HEAD = '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{name}">\n'
_REGISTER = """REGISTER sip:{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@{domain}>;tag=[pid]SIPpTag00[call_number]
To: <sip:{user}@{domain}>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: <sip:{user}@[local_ip]:{contact_port}>
{auth}Max-Forwards: 70
Expires: 300
Content-Length: 0

"""


def register(user: str, domain: str, auth_user: str, password: str, expected: int,
             contact_port: str = "[local_port]") -> str:
    """REGISTER user@domain, answer the 401 with auth_user's credentials, expect `expected`.
    sipp takes no keyword inside [authentication], so the credentials are written in."""
    first = _REGISTER.format(domain=domain, user=user, cseq=1, contact_port=contact_port, auth="")
    second = _REGISTER.format(domain=domain, user=user, cseq=2, contact_port=contact_port,
                              auth=f"[authentication username={auth_user} password={password}]\n")
    return (_HEAD.format(name="register") +
            f'  <send retrans="500"><![CDATA[\n{first}]]></send>\n'
            '  <recv response="401" auth="true"/>\n'
            f'  <send retrans="500"><![CDATA[\n{second}]]></send>\n'
            f'  <recv response="{expected}"/>\n</scenario>\n')


_INVITE = """INVITE sip:{callee}@[field0] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1001@[field0]>;tag=[pid]SIPpTag00[call_number]
To: <sip:{callee}@[field0]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:1001@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
"""
_IN_DIALOG = """{method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1001@[field0]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: {cseq} {method}
Contact: <sip:1001@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

"""


def call(callee: str = "[field1]") -> str:
    """INVITE callee@[field0] from 1001@[field0], answered 200: ACK, then BYE along the route set."""
    return (_HEAD.format(name="call") +
            f'  <send retrans="500"><![CDATA[\n{_INVITE.format(callee=callee)}]]></send>\n'
            '  <recv response="100" optional="true"/>\n'
            '  <recv response="180" optional="true"/>\n'
            '  <recv response="200" rrs="true" rtd="true"/>\n'
            f'  <send><![CDATA[\n{_IN_DIALOG.format(method="ACK", cseq=1)}]]></send>\n'
            f'  <send retrans="500"><![CDATA[\n{_IN_DIALOG.format(method="BYE", cseq=2)}]]></send>\n'
            '  <recv response="200" crlf="true"/>\n</scenario>\n')


# The ACK of a refused INVITE: to the request URI, hop by hop (the proxy's transaction absorbs it).
_ACK_REFUSED = _IN_DIALOG.format(method="ACK", cseq=1).replace("[next_url]", "sip:[field1]@[field0]")


def call_refused(status: int, reason_pattern: str) -> str:
    """INVITE [field1]@[field0] refused with `status`, whose Reason header must match `reason_pattern`."""
    return (_HEAD.format(name="refused") +
            f'  <send retrans="500"><![CDATA[\n{_INVITE.format(callee="[field1]")}]]></send>\n'
            '  <recv response="100" optional="true"/>\n'
            f'  <recv response="{status}">\n    <action>\n'
            f'      <ereg regexp="{reason_pattern}" search_in="hdr" header="Reason:" check_it="true"'
            ' assign_to="reason"/>\n'
            '    </action>\n  </recv>\n'
            f'  <send><![CDATA[\n{_ACK_REFUSED}]]></send>\n'
            '  <Reference variables="reason"/>\n</scenario>\n')


_ANSWER = """SIP/2.0 {status}
[last_Via:]
[last_Record-Route:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port]>
Content-Length: 0

"""


def answer() -> str:
    """A FreeSWITCH or a phone answering an INVITE 200 (echoing Record-Route, as a real one does, so ACK and
    BYE come back through the proxy), then the caller's BYE answered 200. No 180 first: the proxy's
    processes may relay a 180 after the 200, which the caller's scenario would take for an unexpected
    message once it has moved on."""
    return (_HEAD.format(name="answer") +
            '  <recv request="INVITE" crlf="true"/>\n'
            f'  <send retrans="500"><![CDATA[\n{_ANSWER.format(status="200 OK")}]]></send>\n'
            '  <recv request="ACK" optional="false"/>\n'
            '  <recv request="BYE"/>\n'
            f'  <send><![CDATA[\n{_ANSWER.format(status="200 OK")}]]></send>\n</scenario>\n')
