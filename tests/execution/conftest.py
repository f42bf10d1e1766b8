import os

import pytest

from recode_rl.execution import Executor
from recode_rl.execution.executor import UID_BASE, UID_BLOCK, UID_BLOCKS


@pytest.fixture(scope="session")
def executor():
    with Executor(max_workers=2) as ex:
        yield ex


def sandbox_processes(executor=None) -> list[int]:
    """PIDs of live processes owned by sandbox uids (should be none between jobs).

    With an executor, only its own uid block counts (other executors may be running on the
    machine at the same time)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        uid = int(line.split()[1])
                        lo = executor._uid_base if executor is not None else UID_BASE
                        hi = lo + UID_BLOCK if executor is not None else UID_BASE + UID_BLOCK * UID_BLOCKS
                        if lo <= uid < hi:
                            pids.append(int(name))
                        break
        except OSError:
            continue
    return pids
