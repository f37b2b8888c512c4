"""`centralita contact …`: every action, its help, and bad input with the exit status."""
import hashlib
import io
import os
import sys

import peewee
import pytest

from fs_plugins import batchjob, cli
from fs_plugins.contacts import csv_import
from fs_plugins.models import Tenant, User
from fs_plugins import plugins


@pytest.fixture
def policies(monkeypatch) -> list:
    """The CPU policies `contact import` asked for, instead of giving them to the test process."""
    asked = []
    monkeypatch.setattr(batchjob, "_set_policy", lambda thread, policy: asked.append(policy))
    return asked


@pytest.fixture
def run(db, db_url, capsys, policies):
    tenant = Tenant.create(name="Acme", domain="acme.example", country="ES")
    for ext, name in (("100", "Ana Admin"), ("101", "Bruno Bajo")):
        User.create(tenant=tenant, extension=ext, display_name=name,
                    a1_hash=hashlib.md5(f"{ext}:acme.example:x".encode()).hexdigest())

    def run(*args):
        capsys.readouterr()
        code = cli.main(["--database", db_url, "contact", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_the_contact_command_is_registered():
    assert "contacts" in plugins.installed().names()


@pytest.mark.parametrize("action", ["add", "list", "search", "set", "remove", "import", "export"])
def test_every_action_has_help(action, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["contact", action, "--help"])
    assert done.value.code == 0 and "--tenant" in capsys.readouterr().out


def test_add_list_search_set_and_remove_a_common_contact(run):
    code, out, _ = run("add", "Proveedor SA", "--tenant", "acme.example", "--work", "91 123 45 67",
                       "--mobile", "600111222", "--company", "Prov", "--email", "p@prov.es")
    assert code == 0 and out.startswith("contact ") and out.rstrip().endswith("added: Proveedor SA")
    contact_id = out.split()[1]
    code, out, _ = run("list", "--tenant", "acme.example")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "SOURCE", "NAME", "COMPANY", "NUMBERS", "EMAIL"]
    assert [line.split()[1] for line in lines[1:]] == ["user", "user", "common"]
    assert "work:91 123 45 67 mobile:600111222" in lines[3]
    code, out, _ = run("search", "911234567", "--tenant", "acme.example")
    assert code == 0 and "Proveedor SA" in out and "Ana Admin" not in out
    code, out, _ = run("set", contact_id, "--tenant", "acme.example", "--name", "Proveedor SL", "--mobile", "")
    assert code == 0 and "updated: Proveedor SL" in out
    assert "mobile:" not in run("list", "--tenant", "acme.example")[1]
    code, out, _ = run("remove", contact_id, "--tenant", "acme.example")
    assert code == 0 and "removed: Proveedor SL" in out
    assert "Proveedor" not in run("list", "--tenant", "acme.example")[1]


def test_personal_contacts_are_kept_apart_by_user(run):
    code, out, _ = run("add", "Mamá", "--tenant", "acme.example", "--user", "100", "--mobile", "600111222")
    contact_id = out.split()[1]
    assert "Mamá" in run("list", "--tenant", "acme.example", "--user", "100")[1]
    assert "Mamá" not in run("list", "--tenant", "acme.example", "--user", "101")[1]
    assert "Mamá" not in run("list", "--tenant", "acme.example")[1]
    assert "Mamá" not in run("search", "Mam", "--tenant", "acme.example", "--user", "101")[1]
    code, _, err = run("remove", contact_id, "--tenant", "acme.example", "--user", "101")
    assert code == 1 and f"no contact {contact_id} in the personal contacts of 101@acme.example" in err
    assert run("remove", contact_id, "--tenant", "acme.example")[0] == 1


@pytest.mark.parametrize("args, code, message", [
    (("add", "X", "--tenant", "acme.example", "--work", "12"), 2, "work: '12' is not a possible phone number"),
    (("add", "", "--tenant", "acme.example", "--work", "911234567"), 2, "name: is required"),
    (("add", "X", "--tenant", "acme.example"), 2, "number: a contact needs at least one number"),
    (("add", "X", "--tenant", "acme.example", "--work", "911234567", "--email", "bad"), 2, "email:"),
    (("add", "X", "--tenant", "nowhere.example", "--work", "911234567"), 1, "tenant: no tenant"),
    (("add", "X", "--tenant", "acme.example", "--user", "999", "--work", "911234567"), 1, "user: no user '999'"),
    (("set", "1", "--tenant", "acme.example"), 2, "set: nothing to change"),
    (("set", "abc", "--tenant", "acme.example", "--name", "Y"), 2, "id: 'abc' is not a contact id"),
    (("remove", "424242", "--tenant", "acme.example"), 1, "id: no contact 424242"),
    (("import", "/nonexistent/file.csv", "--tenant", "acme.example"), 2, "file: cannot read"),
])
def test_bad_input_names_the_field_and_exits_non_zero(run, args, code, message):
    status, out, err = run(*args)
    assert status == code and message in err and out == ""


def test_a_bad_file_imports_nothing_and_lists_every_bad_line(run, tmp_path):
    path = tmp_path / "contactos.csv"
    path.write_bytes("Nombre;Móvil\nBien;600111222\nMal;12\n;600111333\n".encode("cp1252"))
    code, out, err = run("import", str(path), "--tenant", "acme.example")
    assert code == 2 and out == ""
    assert f"{path}: line 3: Móvil: '12' is not a possible phone number in ES" in err
    assert f"{path}: line 4: Nombre: is required" in err
    assert "nothing imported into the common directory of acme.example: 2 problem(s)" in err
    assert "Bien" not in run("list", "--tenant", "acme.example")[1]
    code, out, err = run("import", str(path), "--tenant", "acme.example", "--partial")
    assert code == 2 and "1 added, 0 updated, 0 skipped, 2 bad line(s)" in out
    assert "Bien" in run("list", "--tenant", "acme.example")[1]


def test_import_with_a_duplicates_policy_and_no_progress_lines_when_not_on_a_terminal(run, tmp_path, monkeypatch):
    monkeypatch.setattr(csv_import, "PROGRESS_EVERY", 2)
    path = tmp_path / "c.csv"
    path.write_text("name,mobile\nA,600111221\nB,600111222\nC,600111223\n", encoding="utf-8-sig")
    code, out, err = run("import", str(path), "--tenant", "acme.example", "--user", "100")
    assert code == 0 and "imported into the personal contacts of 100@acme.example: 3 added" in out
    assert "checked" not in err and "stored" not in err  # bars are for terminals (tests/test_progress.py)
    path.write_text("name,mobile\na,600999999\n", encoding="utf-8")
    code, out, _ = run("import", str(path), "--tenant", "acme.example", "--user", "100", "--duplicates", "update")
    assert code == 0 and "0 added, 1 updated" in out
    assert "mobile:600999999" in run("list", "--tenant", "acme.example", "--user", "100")[1]
    with pytest.raises(SystemExit) as refused:
        run("import", str(path), "--tenant", "acme.example", "--duplicates", "merge")
    assert refused.value.code == 2


def test_an_import_yields_the_cpu_to_calls_on_postgresql_and_not_while_it_holds_sqlites_write_lock(
        run, tmp_path, db, policies):
    path = tmp_path / "c.csv"
    path.write_text("name,mobile\nA,600111221\n", encoding="utf-8")
    code, _, _ = run("import", str(path), "--tenant", "acme.example")
    assert code == 0
    if isinstance(db, peewee.SqliteDatabase):
        # Only the thread that reads and checks the file (tests/test_batchjob.py): descheduled in a
        # batch, the job's own thread would keep serve's writers waiting.
        assert policies == [os.SCHED_IDLE]
    else:
        assert policies and set(policies) == {os.SCHED_IDLE}  # every thread of the process


def test_a_bad_tenant_is_refused_before_the_import_yields_the_cpu(run, tmp_path, policies):
    path = tmp_path / "c.csv"
    path.write_text("name,mobile\nA,600111221\n", encoding="utf-8")
    code, _, err = run("import", str(path), "--tenant", "nobody.example")
    assert code != 0 and policies == []


def test_import_reads_standard_input(run, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"name,work\nStdin,911234567\n")))
    code, out, _ = run("import", "-", "--tenant", "acme.example")
    assert code == 0 and "1 added" in out


def test_export_to_stdout_and_to_a_file_for_spanish_excel(run, tmp_path):
    run("add", "=Evil", "--tenant", "acme.example", "--work", "+34 911 234 567")
    code, out, _ = run("export", "--tenant", "acme.example")
    assert code == 0 and out.splitlines() == ["name,company,work,mobile,home,other,email,note",
                                              "'=Evil,,'+34 911 234 567,,,,,"]
    path = tmp_path / "out.csv"
    assert run("export", str(path), "--tenant", "acme.example", "--delimiter", ";", "--bom")[0] == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfname;company;") and b"'=Evil;;'+34 911 234 567;;;;;\r\n" in data
