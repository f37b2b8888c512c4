"""Names vulture cannot see used (tests/test_architecture.py runs it with this file): values read
by templates and marshmallow schemas, hooks other libraries call,
and vocabulary kept for readers of the database."""
# flake8: noqa
status_label  # api/calls.py CallOut: a schema field
q  # api/contacts.py: a query-string field
instance  # api/problems.py: an RFC 9457 member
BRIDGE_STATUSES  # channel.py: the statuses a BridgeOutcome can have, for readers
FORWARD_REASONS  # channel_vars.py: values of pbx_forward_reason in the call log
BLOCK_REASONS  # channel_vars.py: values of pbx_block_reason
SOURCES  # contacts/records.py: where a contact comes from
OUTCOMES  # groups/kinds.py: GroupCall.outcome values
refused  # esl/server.py: connections refused, for the logs and tests
firing  # cpuyield.py: whether the kernel's timer runs now, for the tests
autoescape  # portal/app.py: Jinja setting
y  # portal/charts.py and views: SVG geometry read by templates
width
height
margin
heard  # voicemail/messages.py: fields of a message read by templates
urgent
updated_at  # peewee columns set on change
Meta  # peewee model options
_is_closed  # dbpool.py: peewee pool hook
METRIC_NAMES  # metrics.py: the series /metrics may carry, checked against the Grafana dashboard
mtime  # ops/backup.py: tarfile member attribute
CANCEL_REASONS  # calllog/classify.py: values of call_entry.cause, for readers
ignore_aliases  # tenantfile/document.py: PyYAML Dumper hook (no &anchors in exports)
after_commit  # api/etags.py: flask.g attribute, read by api/common.app_context with g.get
get_var  # callflows/session.py: the flow API (docs/flows.md), called by operators' flows
compute
http_json
flow_world  # callflows/testing.py: the flow authors' test helper (docs/flows.md)
handed_to
declared  # callflows/app.py GrantView: read by the portal template and the API schema
phonebook_url  # provisioning/rules.py PhoneFile: read by the phone templates
phonebook_url_with_login  # likewise (Snom, Grandstream, Cisco)
pickup_prefix  # likewise
utc_offset_hours  # likewise (Yealink)
gmt_offset  # likewise (Cisco)
keys_for  # likewise (every vendor: the keys its phones can show)
posix_tz  # likewise (Grandstream)
fanvil_zone  # likewise (Fanvil)
proxy_address  # likewise (Fanvil's ProxyAddr and ProxyPort)
summer  # likewise (Fanvil)
_page_translations  # portal/i18n.py: set on flask.g, read back by g.get("_page_translations")
_page_language  # portal/i18n.py page_language: likewise, g.get("_page_language")
portal_catalog  # portal/translated.py _catalog: set on a language's environment, read back by getattr
headers_sent  # httpserver.py LimitedHandler._write_with_headers: read by gevent's pywsgi (a second write sends no head)
read_request  # httpserver.py LimitedHandler: pywsgi's hooks, called by its handle_one_request and get_environ
_headers
log_request
getheader  # httphead.py Head: read by gevent's pywsgi as it did its own parsed headers
typeheader
template_class  # portal/escaping.py install: read by Jinja's loaders when they build a template
track_greenlet_tree  # launcher.py make_cooperative: gevent's config, read by gevent.Greenlet at each spawn
code_generator_class  # portal/app.py: read by Jinja's compiler when it compiles a template
visit_Output  # portal/codegen.py: called by Jinja's node visitor for each output node
