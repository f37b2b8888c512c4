"""The tenant the real FreeSWITCH recordings were made with (tests/fixtures/freeswitch/
json_cdr_centralita/README.md), set up with Centralita's own CLI, and calls placed through
`centralita simulate` (dialplan → emulator → CDR posts → call log)."""
from __future__ import annotations

import json
import shlex
from pathlib import Path

from fs_plugins import db as dbmod
from fs_plugins.cli import main
from fs_plugins.commands.simulate import post_cdr, run_simulation
from fs_plugins.config import Config
from fs_plugins.sim.dialplan import Caller
from fs_plugins.sim.script import CallerScript

DOMAIN = "acme.example"
RECORDED = Path(__file__).parent / "fixtures" / "freeswitch" / "json_cdr_centralita"
SETUP = f"""
tenant add {DOMAIN} --name "Acme S.L." --timezone Europe/Madrid --country ES --region MD
user add --tenant {DOMAIN} 1001 --name "Acme 1001"
user add --tenant {DOMAIN} 1002 --name "Acme 1002"
user add --tenant {DOMAIN} 1003 --name "Acme 1003"
user add --tenant {DOMAIN} 1004 --name "Acme 1004"
user add --tenant {DOMAIN} 1005 --name "Acme 1005"
user add --tenant {DOMAIN} 1006 --name "Acme 1006"
user add --tenant {DOMAIN} 1007 --name "Acme 1007"
user add --tenant {DOMAIN} 1010 --name "No answer forwarder"
user add --tenant {DOMAIN} 1011 --name "Busy forwarder"
user add --tenant {DOMAIN} 1012 --name "Always forwarder"
user add --tenant {DOMAIN} 1013 --name "Unregistered forwarder"
user add --tenant {DOMAIN} 1014 --name "DND forward-busy"
user add --tenant {DOMAIN} 1015 --name "DND busy"
forward set --tenant {DOMAIN} --user 1010 --when no-answer --to user:1003 --seconds 5
forward set --tenant {DOMAIN} --user 1011 --when busy --to user:1003
forward set --tenant {DOMAIN} --user 1012 --when always --to user:1003
forward set --tenant {DOMAIN} --user 1013 --when not-registered --to user:1003
forward set --tenant {DOMAIN} --user 1014 --when busy --to user:1003
dnd on --tenant {DOMAIN} --user 1014 --mode forward-busy
dnd on --tenant {DOMAIN} --user 1015 --mode busy
dnd on --tenant {DOMAIN} --user 1004 --mode voicemail
simring add --tenant {DOMAIN} --user 1005 --to user:1006
simring add --tenant {DOMAIN} --user 1007 --to number:600123456 --confirm
restrict set --tenant {DOMAIN} --allow national,mobile
group add --tenant {DOMAIN} --name Ventas --type simple --ring-mode simultaneous --timeout 20 --short-number 600
group member add --tenant {DOMAIN} --group Ventas --user 1003
group member add --tenant {DOMAIN} --group Ventas --user 1006
group add --tenant {DOMAIN} --name Cola --type advanced --ring-mode simultaneous --max-wait 30 --overflow user:1002 --queue-size 5 --short-number 602
group member add --tenant {DOMAIN} --group Cola --user 1003
group member add --tenant {DOMAIN} --group Cola --user 1006
group add --tenant {DOMAIN} --name Turnos --type advanced --ring-mode consecutive --member-seconds 5 --max-wait 60 --short-number 603
group member add --tenant {DOMAIN} --group Turnos --user 1003
group member add --tenant {DOMAIN} --group Turnos --user 1006
ivr add Principal --tenant {DOMAIN} --short-number 5000 --option 1=user:1001 --option 2=user:1003 --timeout 5
number add --tenant {DOMAIN} "+34 910 000 001" --to ivr:Principal
number add --tenant {DOMAIN} "+34 910 000 004" --to group:Cola
number add --tenant {DOMAIN} "+34 910 000 002" --to user:1002
"""


class World:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.config = Config(data_dir=str(data_dir))

    def cli(self, line: str) -> None:
        code = main(["--data-dir", str(self.data_dir), *shlex.split(line)])
        assert code == 0, line

    def setup(self) -> "World":
        for line in SETUP.strip().splitlines():
            self.cli(line)
        return self

    def database(self):
        return dbmod.connect(self.config.effective_database_url)

    def entries(self, call_id: str) -> dict:
        """{extension or None (the tenant): (status code, cause, callee)} of one call in the log."""
        db = self.database()
        rows = db.execute_sql(
            'SELECT u.extension, e.status, e.cause, e.callee FROM call_entry e LEFT JOIN "user" u ON u.id = e.user_id'
            " WHERE e.call_id = ?", (call_id,)).fetchall()
        return {row[0]: tuple(row[1:]) for row in rows}

    def call(self, caller: str, to: str, script: CallerScript, post: bool = True):
        """One emulated call; its CDRs are posted to the call log like mod_json_cdr posts them."""
        from fs_plugins.commands.simulate import caller_from_args

        db = self.database()
        who = caller_from_args(caller, db) if "@" in caller else Caller(caller)
        simulation = run_simulation(self.config, db, who, to, script)
        if post:
            assert set(post_cdr(self.config, simulation).split(", ")) == {"200 OK"}
        return simulation


def recorded(name: str) -> list[dict]:
    """The legs of a recorded call, as FreeSWITCH posted them."""
    return json.loads((RECORDED / name).read_text())["legs"]


def a_leg(legs: list[dict]) -> dict:
    return next(leg for leg in legs if leg["variables"]["direction"] == "inbound")


def b_legs(legs: list[dict]) -> list[dict]:
    return [leg for leg in legs if leg["variables"]["direction"] == "outbound"]
