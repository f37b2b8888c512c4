"""Look the caller up in a CRM over HTTP, then route by the answer.

The CRM is asked ``GET <crm_url>?number=<caller>`` and answers JSON such as
``{"name": "Ana García", "segment": "vip"}``; a CRM that is down, slow (past `timeout` seconds) or
answers something else counts as "unknown caller", so the call is never lost to the CRM.

    centralita flow enable crm_router --tenant acme.example --set crm_url=https://crm.example/api/lookup
    centralita flow attach crm_router --tenant acme.example --set vip=user:1001 --set customers=group:Sales
"""
from fs_plugins.callflows import DESTINATION, INTEGER, URL, CallFlow, Setting


def crm_router(session):
    answer = session.http_json(session.settings["crm_url"], params={"number": session.caller},
                               timeout=session.settings["timeout"])
    customer = answer if isinstance(answer, dict) else {}
    name = str(customer.get("name") or "")[:60]
    if customer.get("segment") == "vip":
        session.note(f"CRM: VIP {name}".strip())
        session.transfer(session.settings["vip"])
    elif customer:
        session.note(f"CRM: {name}".strip())
        session.transfer(session.settings["customers"])
    else:
        session.note("CRM: unknown caller" if answer is not None else "CRM: no answer")
        session.transfer(session.settings["others"])


flow = CallFlow(
    "crm_router", crm_router, description="asks a CRM who is calling and routes VIPs, customers and others",
    settings=(
        Setting("crm_url", URL, required=True, help="the CRM's lookup address (GET ?number=+34…, answers JSON)"),
        Setting("timeout", INTEGER, default=2, minimum=1, maximum=5, help="seconds to wait for the CRM"),
        Setting("vip", DESTINATION, required=True, help="where VIP customers go"),
        Setting("customers", DESTINATION, required=True, help="where other known customers go"),
        Setting("others", DESTINATION, default="voicemail:", help="unknown callers, or the CRM did not answer"),
    ),
)
