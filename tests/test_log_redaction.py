"""No hash or password in any log at any level (issue 12, item 5): every line logged at DEBUG,
peewee's SQL included, while users, passwords and voicemail PINs are set."""
from __future__ import annotations

import hashlib
import io
import logging

from fs_plugins.cli import main


def test_debug_logs_of_password_and_pin_changes_carry_no_hash_and_no_password(db_url, monkeypatch, caplog, capsys):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")  # no FreeSWITCH to flush here
    caplog.set_level(logging.DEBUG)
    run = [["tenant", "add", "acme.example", "--name", "Acme"],
           ["user", "add", "--tenant", "acme.example", "1001", "--name", "Ana"],
           ["user", "set", "--tenant", "acme.example", "1001", "--password-stdin"],
           ["voicemail", "set", "--tenant", "acme.example", "--user", "1001", "--pin", "246813"]]
    for argv in run:
        monkeypatch.setattr("sys.stdin", io.StringIO("clave-secreta-2026\n"))
        assert main(["--database", db_url, "-vv", *argv]) == 0, capsys.readouterr()
    capsys.readouterr()
    logged = caplog.text + "".join(str(record.msg) for record in caplog.records)
    assert "UPDATE" in logged or "INSERT" in logged  # peewee's SQL was logged at DEBUG
    a1 = hashlib.md5(b"1001:acme.example:clave-secreta-2026").hexdigest()
    vm_a1 = hashlib.md5(b"1001:acme.example:246813").hexdigest()
    for secret in ("clave-secreta-2026", a1, "246813", vm_a1):
        assert secret not in logged, secret
    assert "(hidden)" in logged
