"""CSV import and export: encodings, delimiters, header spellings, the report, all-or-nothing,
duplicates, progress, formula safety and round trips."""
import codecs
import csv
import hashlib
import io

import pytest

from fs_plugins.contacts import csv_export, csv_import, service
from fs_plugins.contacts.csv_import import BadLine, import_contacts
from fs_plugins.contacts.records import ContactInput
from fs_plugins.errors import InvalidInput
from fs_plugins.models import Tenant, User
from tests.contact_directories import operator_directory


@pytest.fixture
def acme(db):
    tenant = Tenant.create(name="Acme", domain="acme.example", country="ES")
    for ext, name in (("100", "Ana Admin"), ("101", "Bruno Bajo")):
        User.create(tenant=tenant, extension=ext, display_name=name,
                    a1_hash=hashlib.md5(f"{ext}:acme.example:x".encode()).hexdigest())
    return tenant


@pytest.fixture
def common(acme):
    return operator_directory("acme.example")


@pytest.fixture
def personal(acme):
    return operator_directory("acme.example", "100")


def stored(directory):
    return [(v.name, tuple(n.e164 for n in v.numbers)) for v in service.list_contacts(directory) if v.source != "user"]


SPANISH_EXCEL = "Nombre;Apellidos;Empresa;Teléfono;Móvil;Correo electrónico;Observaciones\r\n" \
                "José;Núñez Peña;Cañerías SL;91 123 45 67;600 111 222;jose@canerias.es;Llamar por la mañana\r\n" \
                "María;Gómez;;;+34 600 333 444;;\r\n"


def test_a_windows_1252_semicolon_file_from_spanish_excel_imports(common):
    report = import_contacts(common, SPANISH_EXCEL.encode("cp1252"))
    assert (report.encoding, report.delimiter, report.errors, report.added) == ("cp1252", ";", [], 2)
    assert stored(common) == [("José Núñez Peña", ("+34911234567", "+34600111222")),
                              ("María Gómez", ("+34600333444",))]
    jose = service.search(common, "José")[0]
    assert (jose.company, jose.email, jose.note) == ("Cañerías SL", "jose@canerias.es", "Llamar por la mañana")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_utf8_with_or_without_bom_and_utf16_with_bom_import(common, encoding):
    text = "name,mobile,company\nZoë Ærø,600 111 222,Ñu\n"
    report = import_contacts(common, text.encode(encoding))
    assert report.errors == [] and stored(common) == [("Zoë Ærø", ("+34600111222",))]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(common, delimiter):
    text = delimiter.join(["Name", "Work phone", "Notes"]) + "\n" + delimiter.join(["Ann", "911234567", "x, y; z"]) + "\n"
    if delimiter in ",;":
        text = text.replace("x, y; z", '"x, y; z"')
    report = import_contacts(common, text.encode())
    assert report.delimiter == delimiter and report.errors == []
    assert service.search(common, "Ann")[0].note == "x, y; z"


@pytest.mark.parametrize("header", [
    "name,work", "Nombre,Teléfono", "NOMBRE COMPLETO,TELEFONO TRABAJO", "Full Name,Business Phone",
    "nombre y apellidos,tel. trabajo", "Contacto,Oficina", "display_name,phone",
])
def test_common_spanish_and_english_header_spellings_are_recognised(common, header):
    report = import_contacts(common, f"{header}\nAna,911234567\n".encode())
    assert report.errors == [] and stored(common) == [("Ana", ("+34911234567",))]


def test_first_and_last_name_columns_are_joined(common):
    import_contacts(common, b"First Name,Last Name,Mobile\nAna,Lopez,600111222\n")
    assert stored(common) == [("Ana Lopez", ("+34600111222",))]


def test_unknown_columns_are_ignored_and_listed(common):
    report = import_contacts(common, b"name,mobile,birthday,colour\nAna,600111222,1990,red\n")
    assert report.ignored_columns == ("birthday", "colour") and report.added == 1


def test_repeated_number_columns_and_several_numbers_in_one_cell_are_kept(common):
    import_contacts(common, b'name,phone,phone,mobile\nAna,911234567,917654321,"600111222, 600333444"\n')
    assert stored(common) == [("Ana", ("+34911234567", "+34917654321", "+34600111222", "+34600333444"))]


def test_every_bad_line_is_reported_with_line_field_and_reason_and_nothing_is_stored(common):
    text = ("Nombre;Móvil;Email\n"
            "Bien;600111222;\n"
            ";600111223;\n"                     # line 3: no name
            "Mal número;12;correo-malo\n"       # line 4: two problems
            "\n"                                # line 5: blank, ignored
            '"Multi\nlínea";600111224;\n'       # line 6-7: a name over two lines
            "Sin número;;\n")                   # line 8: nothing to call
    report = import_contacts(common, text.encode())
    assert not report.stored
    assert report.errors == [
        BadLine(3, "Nombre", "is required"),
        BadLine(4, "Email", "'correo-malo' is not an e-mail address"),
        BadLine(4, "Móvil", "'12' is not a possible phone number in ES or in international form"),
        BadLine(6, "Nombre", "must be one line"),
        BadLine(8, "number", "a contact needs at least one number (work, mobile, home, other) or an e-mail"),
    ]
    assert str(report.errors[0]) == "line 3: Nombre: is required"
    assert stored(common) == []


def test_partial_import_stores_the_good_lines_and_reports_the_bad(common):
    report = import_contacts(common, b"name,mobile\nGood,600111222\nBad,12\n", partial=True)
    assert report.stored and report.added == 1 and [e.line for e in report.errors] == [3]
    assert stored(common) == [("Good", ("+34600111222",))]


def test_a_file_without_a_name_column_is_refused_as_a_whole(common):
    report = import_contacts(common, b"phone,email\n911234567,a@b.es\n")
    assert report.errors == [BadLine(1, "header", "no name column (expected e.g. name, nombre, first name, apellidos)")]
    assert not report.stored


def test_two_columns_for_the_same_text_field_are_refused(common):
    report = import_contacts(common, b"name,nombre,mobile\nA,B,600111222\n")
    assert report.errors == [BadLine(1, "nombre", "same field as column 'name'")]


def test_an_empty_file_is_reported(common):
    assert import_contacts(common, b"").errors == [BadLine(1, "header", "the file is empty")]


def test_an_unknown_duplicates_policy_is_refused(common):
    with pytest.raises(InvalidInput) as err:
        import_contacts(common, b"name,mobile\n", duplicates="merge")
    assert err.value.field == "duplicates"


def test_duplicates_are_skipped_by_default_ignoring_case_and_accents(common):
    service.add_contact(common, ContactInput("José Núñez", numbers=(("work", "911234567"),)))
    report = import_contacts(common, "name,mobile\njose nunez,600111222\nOtra,600111333\notra,600111444\n".encode())
    assert (report.added, report.skipped) == (1, 2)
    assert stored(common) == [("José Núñez", ("+34911234567",)), ("Otra", ("+34600111333",))]


def test_duplicates_update_overwrites_given_cells_and_numbers_of_the_given_kinds(common):
    service.add_contact(common, ContactInput("Ana", company="Old", email="ana@old.es",
                                             numbers=(("work", "911234567"), ("mobile", "600111222"))))
    report = import_contacts(common, b"name,mobile,company,email\nANA,600999888,New,\n", duplicates="update")
    assert (report.added, report.updated) == (0, 1)
    ana = service.list_contacts(common)[0]
    assert (ana.name, ana.company, ana.email) == ("ANA", "New", "ana@old.es")
    assert [(n.kind, n.e164) for n in ana.numbers] == [("work", "+34911234567"), ("mobile", "+34600999888")]


def test_duplicates_keep_stores_both(common):
    service.add_contact(common, ContactInput("Ana", numbers=(("work", "911234567"),)))
    report = import_contacts(common, b"name,mobile\nAna,600111222\n", duplicates="keep")
    assert report.added == 1 and [n for n, _ in stored(common)] == ["Ana", "Ana"]


def test_import_into_personal_contacts_is_private_to_that_user(common, personal):
    import_contacts(personal, b"name,mobile\nMam\xc3\xa1,600111222\n")
    assert stored(personal) == [("Mamá", ("+34600111222",))]
    assert stored(common) == []
    assert stored(operator_directory("acme.example", "101")) == []


def test_progress_is_reported_for_large_files(common, monkeypatch):
    monkeypatch.setattr(csv_import, "PROGRESS_EVERY", 10)
    lines = ["name,mobile"] + [f"Contact {i},6{i:08d}" for i in range(25)]
    calls = []
    report = import_contacts(common, "\n".join(lines).encode(), progress=lambda *a: calls.append(a))
    assert report.added == 25
    assert calls == [(10, 25, "checked"), (20, 25, "checked"),
                     (10, 25, "stored"), (20, 25, "stored"), (25, 25, "stored")]


def test_small_files_report_no_progress(common):
    calls = []
    import_contacts(common, b"name,mobile\nA,600111222\n", progress=lambda *a: calls.append(a))
    assert calls == []


@pytest.mark.parametrize("cell, safe", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+34 600 111 222", "'+34 600 111 222"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("Ana", "Ana"),
    ("", ""),
    (None, ""),
])
def test_export_neutralises_cells_that_spreadsheets_would_run_as_formulas(cell, safe):
    assert csv_export.neutralise(cell) == safe


def test_export_writes_every_field_formula_safe_without_the_users(common):
    service.add_contact(common, ContactInput("=cmd|'/c calc'!A1", company="@evil", note="-1+1",
                                             numbers=(("work", "+34 911 234 567"), ("work", "917654321"),
                                                      ("home", "600111222"))))
    rows = list(csv.reader(io.StringIO(csv_export.export_contacts(common))))
    assert rows == [["name", "company", "work", "mobile", "home", "other", "email", "note"],
                    ["'=cmd|'/c calc'!A1", "'@evil", "'+34 911 234 567, 917654321", "", "600111222", "", "", "'-1+1"]]


def test_export_then_import_round_trips(common, personal):
    service.add_contact(common, ContactInput("+Plus Name", company="Co; Ltd", email="a@b.es", note="two\nlines",
                                             numbers=(("work", "+34 911 234 567"), ("mobile", "600111222"))))
    text = csv_export.export_contacts(common, delimiter=";")
    report = import_contacts(personal, ("\ufeff" + text).encode("utf-8"))
    assert report.errors == [] and report.added == 1
    view = service.list_contacts(personal)[0]
    assert (view.name, view.company, view.email, view.note) == ("+Plus Name", "Co; Ltd", "a@b.es", "two\nlines")
    assert [(n.kind, n.number) for n in view.numbers] == [("work", "+34 911 234 567"), ("mobile", "600111222")]


def test_header_keys_ignore_case_accents_and_punctuation():
    assert csv_import.header_key("  Teléfono  Móvil ") == "telefono movil"
    assert csv_import.header_key("\ufeffE-Mail") == "e mail"
    assert codecs.BOM_UTF8.decode("utf-8") == "\ufeff"


def test_unicode_line_separators_inside_a_cell_do_not_split_the_row(common):
    report = import_contacts(common, "name,mobile,note\nAna,600111222,a\u2028b\nBea,600111333,x\x1cy\n".encode())
    assert report.errors == [BadLine(3, "note", "contains control characters")]
    report = import_contacts(common, "name,mobile,note\nAna,600111222,a\u2028b\n".encode())
    assert report.errors == [] and service.search(common, "Ana")[0].note == "a\u2028b"


def test_crlf_and_bare_cr_line_endings_are_read(common):
    report = import_contacts(common, b"name,mobile\r\nAna,600111222\rBea,600111333\r\n")
    assert report.errors == [] and [n for n, _ in stored(common)] == ["Ana", "Bea"]
