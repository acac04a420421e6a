"""Twenty signed-in users at once against the vaist service behind the real hub's proxy, each with their own
hub token through HubLab (tests/hub/hub_load.py): every one creates a project, negotiates, edits from two tabs
at once, saves by hand and approves; the first five also build (the service's four build slots, so some wait),
follow the log and download, all of them while the others negotiate. Afterwards every write each user made is
where it belongs: no call refused, no version lost or out of order, nothing of one user's seen by another.
No figure is asserted (benchmarks/bench_hub_load.py measures them; every user builds there)."""

from __future__ import annotations

from hub_harness import Hub
from hub_load import Workload, check, run_load, signed_in_users

USERS = 20
BUILDERS = 5
WORKLOAD = Workload(chat_turns=2, edits_per_tab=2, saves=1, builders=BUILDERS)


def test_twenty_users_at_once_lose_no_write_and_see_only_their_own(hub: Hub) -> None:
    emails = [f"crowd{index:02d}@example.com" for index in range(USERS)]
    run = run_load(hub.service_url, emails, signed_in_users(hub, emails), WORKLOAD)
    assert run.recorder.errors == []
    assert check(hub.service_url, run, WORKLOAD) == []
    writes = [write for session in run.sessions for write in session.writes]
    assert len(writes) == USERS * (2 + 2 * 2 + 1)
    assert {write.call for write in writes} == {"chat", "edit_parameters", "save_plan"}
    assert len(run.recorder.seconds["edit_parameters"]) == USERS * 2 * 2
    assert all(len(session.tab_versions[1]) == 2 for session in run.sessions)  # the second tabs edited too
    assert len(run.build_seconds()) == len(run.recorder.seconds["download"]) == BUILDERS
