"""Provisioned desk phones: /api/v1/tenants/{domain}/devices (list, add, change, remove). Adding one answers
its provisioning secret once (the phone's HTTP password for /provision/<vendor>/, user = its MAC);
the user's SIP password becomes one derived from it (fs_plugins/provisioning/app.py)."""
from __future__ import annotations

from dataclasses import asdict

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, List, Nested, String
from apiflask.validators import OneOf

from fs_plugins.api.common import app_context
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import TENANT, access
from fs_plugins.provisioning import app
from fs_plugins.provisioning.kinds import VENDORS

bp = APIBlueprint("devices", __name__, url_prefix="/api/v1/tenants/<domain>/devices", tag="Phone provisioning")


class DeviceOut(Schema):
    mac = String(required=True, metadata={"example": "805ec0123456"})
    vendor = String(required=True)
    user = String(required=True, metadata={"description": "the extension whose SIP account the phone gets"})
    blf = List(String(), required=True, metadata={"description": "colleagues whose busy lamps the phone shows"})
    general_mwi = Boolean(required=True, metadata={
        "description": "a key shows the general voicemail box's message-waiting lamp (Cisco files only)"})
    file = String(required=True, metadata={"description": "what the phone asks for under /provision/<vendor>/"})
    created_at = UtcDateTime(required=True)


class DeviceList(Schema):
    items = List(Nested(DeviceOut), required=True)


class NewDeviceOut(DeviceOut):
    secret = String(required=True, metadata={"description": "the phone's provisioning password: shown only here"})


class DeviceIn(Schema):
    mac = String(required=True, metadata={"example": "80:5e:c0:aa:bb:01"})
    vendor = String(required=True, validate=OneOf(VENDORS))
    user = String(required=True, metadata={"example": "1001"})
    blf = List(String(), load_default=[], metadata={"example": []})
    general_mwi = Boolean(load_default=False)


class DeviceChange(Schema):
    blf = List(String(), metadata={"description": "the busy-lamp keys, in order; absent: unchanged"})
    general_mwi = Boolean(metadata={"description": "absent: unchanged"})
    vendor = String(validate=OneOf(VENDORS), metadata={"description": "absent: unchanged"})
    user = String(metadata={"description": "give the phone to this user (a new secret is answered); absent: unchanged"})


class ChangedDeviceOut(DeviceOut):
    secret = String(metadata={"description": "only when the phone went to another user: its new provisioning "
                                             "password, shown only here"})


@bp.get("")
@access(TENANT)
@bp.output(DeviceList)
def list_devices(domain):
    """The tenant's provisioned phones."""
    return {"items": [asdict(view) for view in app.list_devices(app_context(), domain)]}


@bp.post("")
@access(TENANT)
@bp.input(DeviceIn, arg_name="body", example={"mac": "80:5e:c0:aa:bb:01", "vendor": "yealink", "user": "1001"})
@bp.output(NewDeviceOut, status_code=201)
def add_device(domain, body):
    """Give a phone (by MAC) to a user; 409 when the MAC or the user already has one."""
    done = app.add_device(app_context(), domain, body["mac"], body["vendor"], body["user"], tuple(body["blf"]),
                          body["general_mwi"]).value
    return {**asdict(done.device), "secret": done.secret}


@bp.patch("/<mac>")
@access(TENANT)
@bp.input(DeviceChange, arg_name="body", example={"general_mwi": True})
@bp.output(ChangedDeviceOut)
def change_device(domain, mac, body):
    """Change a phone's keys, vendor or user; another user: a new secret, answered only here.

    Keys and vendor keep the phone's secret and its user's SIP password. Another user: 409 when that
    user has a phone; the previous user gets a new SIP password nobody is shown."""
    blf = tuple(body["blf"]) if "blf" in body else None
    done = app.change_device(app_context(), domain, mac, blf, body.get("general_mwi"), user=body.get("user"),
                          vendor=body.get("vendor")).value
    return {**asdict(done.device), **({"secret": done.secret} if done.secret else {})}


@bp.delete("/<mac>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_device(domain, mac):
    """Forget a phone: its file is gone and its user gets a new SIP password nobody is shown."""
    app.remove_device(app_context(), domain, mac)
    return ""
