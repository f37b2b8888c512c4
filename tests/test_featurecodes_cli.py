"""`centralita featurecode list|set|off|reset` through fs_plugins.cli.main: what each prints and
stores, and that a bad code names its option, exits non-zero and stores nothing."""
import pytest

from fs_plugins.models.featurecodes import FeatureCode
from tests import provision
from tests.cli_runs import cli_runner

T = ("--tenant", "acme.example")


@pytest.fixture
def run(db_url, capsys):
    with cli_runner(db_url, capsys) as run:
        provision.tenant("Acme", "acme.example", country="ES")
        yield run


def line_of(out: str, feature: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(feature + " "))


def test_list_shows_every_feature_with_its_code_and_what_follows_it(run):
    code, out, _ = run("featurecode", "list", *T)
    assert code == 0
    assert "*78" in line_of(out, "dnd_on") and "*72<number>" in line_of(out, "forward_always_on")
    assert "*80<extension>" in line_of(out, "intercom")


def test_set_off_and_reset_change_the_tenants_table(run):
    code, out, _ = run("featurecode", "set", *T, "dnd_on", "*4")
    assert code == 0 and line_of(out, "dnd_on").split()[1:3] == ["*4", "*78"]
    code, out, _ = run("featurecode", "off", *T, "dnd_off")
    assert code == 0 and "(off)" in line_of(out, "dnd_off")
    code, out, _ = run("featurecode", "reset", *T, "dnd_on")
    assert code == 0 and line_of(out, "dnd_on").split()[1:3] == ["*78", "yes"]
    assert [(row.feature, row.code) for row in FeatureCode.select()] == [("dnd_off", "")]


@pytest.mark.parametrize("argv", [("dnd_on", "*79"), ("dnd_on", "78"), ("dnd_on", "*7${x}")])
def test_a_bad_code_is_refused_naming_the_code_and_nothing_is_stored(run, argv):
    code, _, err = run("featurecode", "set", *T, *argv)
    assert code != 0 and "code" in err
    assert FeatureCode.select().count() == 0
