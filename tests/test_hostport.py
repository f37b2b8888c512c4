"""host[:port] read one way everywhere (fs_plugins/hostport.py): the SIP proxy phones are given and
where Kamailio and Centralita reach a media server; an IPv6 address in brackets when a port follows."""
from __future__ import annotations

import pytest

from fs_plugins import hostport
from fs_plugins.errors import InvalidInput


@pytest.mark.parametrize("address, parts", [
    ("sbc.example.net", ("sbc.example.net", None)), ("10.0.0.5:5080", ("10.0.0.5", 5080)),
    ("[2001:db8::5]", ("2001:db8::5", None)), ("[2001:db8::5]:5070", ("2001:db8::5", 5070)),
    ("2001:db8::5", ("2001:db8::5", None)),  # bare IPv6: all host (a port could not be told apart); joined in []
    ("", ("", None)),
])
def test_an_address_splits_into_its_host_and_port_and_joins_back(address, parts):
    assert hostport.split(address, "sip_proxy") == parts
    assert hostport.join(*parts) == (f"[{address}]" if address[:1] != "[" and address.count(":") > 1 else address)


@pytest.mark.parametrize("address", ["10.0.0.5:70000", "10.0.0.5:0", "10.0.0.5:", "10.0.0.5:sip", "10.0.0.5:٥٠٦٠",
                                     "[2001:db8::5]5070", "[2001:db8::5]:", "[2001:db8::5", "[2001:db8::5]:x"])
def test_a_port_that_is_not_1_to_65535_or_text_after_the_brackets_is_refused_naming_the_field(address):
    with pytest.raises(InvalidInput) as refused:
        hostport.split(address, "sip_address")
    assert refused.value.field == "sip_address" and address in str(refused.value)
