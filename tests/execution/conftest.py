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

    With an executor, only its own uid blocks count (other executors may be running on the
    machine at the same time), once the cleanups of its finished jobs are confirmed (`run`
    returns before: `Executor.settle`)."""
    if executor is not None:
        assert executor.settle(), "a job's cleanup was never confirmed"
    ranges = executor.uids() if executor is not None else [range(UID_BASE, UID_BASE + UID_BLOCK * UID_BLOCKS)]
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        uid = int(line.split()[1])
                        if any(uid in r for r in ranges):
                            pids.append(int(name))
                        break
        except OSError:
            continue
    return pids


def processes_named(comm: str) -> list[int]:
    """Host PIDs of live (non-zombie) processes whose name (/proc/<pid>/comm) is `comm`. A job's
    processes live in its own PID namespace, so the pids a program sees mean nothing on the
    host: programs under test name their processes instead (prctl PR_SET_NAME)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/comm") as f:
                if f.read().strip() != comm:
                    continue
            with open(f"/proc/{name}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        pids.append(int(name))
    return pids


# Python source a program under test includes to name itself: name_process("rc-1234abcd").
NAME_PROCESS = (
    "import ctypes as _ct\n"
    "def name_process(comm):\n"
    "    _ct.CDLL(None).prctl(15, _ct.c_char_p(comm.encode()), 0, 0, 0)\n"
)
