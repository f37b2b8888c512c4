"""A FreeSWITCH emulator for tests and `centralita simulate` (see fs_plugins.sim.emulator)."""
