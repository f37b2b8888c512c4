"""The entry point's preparation of `serve`: how the process is made cooperative."""
from __future__ import annotations

import os
import subprocess
import sys

SPAWN = ("from fs_plugins.launcher import make_cooperative; make_cooperative(); import gevent; "
         "g = gevent.spawn(lambda: None); g.join(); print(g.spawning_stack is None, g.spawning_greenlet is None)")


def test_serve_spawns_greenlets_without_recording_their_stack_or_parent():
    done = subprocess.run([sys.executable, "-c", SPAWN], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["True", "True"]


def test_an_operator_who_asks_gevent_to_track_greenlets_keeps_it():
    env = {**os.environ, "GEVENT_TRACK_GREENLET_TREE": "1"}
    done = subprocess.run([sys.executable, "-c", SPAWN], capture_output=True, text=True, timeout=60, check=True,
                          env=env)
    assert done.stdout.split() == ["False", "False"]
