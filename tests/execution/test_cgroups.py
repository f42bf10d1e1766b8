"""The cgroup layer's file protocol, on a directory tree standing in for cgroupfs.

This machine may offer one cgroup version only (cgroup v1 memory, say): these tests pin what
the other version reads and writes. The real kernel interface is exercised by the hostile
tests (tests/execution/test_hostile_world.py) wherever the layer is on.
"""

import os
import time

import pytest

from recode_rl.execution import cgroups
from recode_rl.execution.cgroups import KERNEL_SHARE_MB, CgroupTree


def fake_hierarchy(monkeypatch, tmp_path, version: int):
    mount = tmp_path / "cgroup"
    own = mount / "service"
    own.mkdir(parents=True)
    if version == 2:
        (own / "cgroup.subtree_control").write_text("cpu memory pids\n")  # delegated to children
        mounts = [(str(mount), "/", "cgroup2", "rw")]
        paths = {"": "/service"}
    else:
        mounts = [(str(mount), "/", "cgroup", "rw,memory")]
        paths = {"memory": "/service"}
    monkeypatch.setattr(cgroups, "_mounts", lambda: mounts)
    monkeypatch.setattr(cgroups, "_own_paths", lambda: paths)
    return own


def job_files(job_dir, files: dict[str, str]) -> None:
    """What the kernel creates in a new cgroup directory."""
    for name, text in files.items():
        (job_dir / name).write_text(text)


def test_v2_delegated_memory_is_used(monkeypatch, tmp_path):
    own = fake_hierarchy(monkeypatch, tmp_path, 2)
    (own / f"recode-exec-{os.getpid()}").mkdir()  # as the kernel makes it: with its control files
    (own / f"recode-exec-{os.getpid()}" / "cgroup.subtree_control").write_text("")
    tree, state = CgroupTree.setup()
    assert tree is not None and tree.version == 2 and state.startswith("on (cgroup v2")
    base = own / f"recode-exec-{os.getpid()}"
    # Only the controllers it uses, enabled for its job cgroups (the caller's cgroup untouched).
    assert (base / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (own / "cgroup.subtree_control").read_text() == "cpu memory pids\n"
    job = tree.new_job("job-1")
    job_files(base / "job-1", {"memory.max": "max", "memory.swap.max": "max", "pids.max": "max",
                               "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n",
                               "cgroup.procs": "", "cgroup.kill": ""})
    job.set_limits(256, 32)
    assert (base / "job-1" / "memory.max").read_text() == str((256 + KERNEL_SHARE_MB) << 20)
    assert (base / "job-1" / "memory.swap.max").read_text() == "0"
    assert (base / "job-1" / "pids.max").read_text() == "32"
    assert not job.oom_killed(wait=0)
    (base / "job-1" / "memory.events").write_text("low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n")
    assert job.oom_killed(wait=0) and not job.oom_killed(wait=0)  # each kill counted once
    assert job.kill_all(time.monotonic() + 1)  # cgroup.procs empty: nothing to kill
    assert [os.path.basename(p) for p in map(os.readlink, (f"/proc/self/fd/{fd}" for fd in job.open_procs()))] \
        == ["cgroup.procs"]


def test_v2_without_the_memory_controller_says_why(monkeypatch, tmp_path):
    own = fake_hierarchy(monkeypatch, tmp_path, 2)
    (own / "cgroup.subtree_control").write_text("cpu pids\n")
    tree, state = CgroupTree.setup()
    assert tree is None
    assert "not delegated" in state and state.startswith("off: ")
    assert not (own / f"recode-exec-{os.getpid()}").exists()  # nothing left behind


def test_v1_memory_limit_and_swap(monkeypatch, tmp_path):
    own = fake_hierarchy(monkeypatch, tmp_path, 1)
    tree, state = CgroupTree.setup()
    assert tree is not None and tree.version == 1 and state == "on (cgroup v1: memory)"
    job = tree.new_job("job-1")
    job_dir = own / f"recode-exec-{os.getpid()}" / "job-1"
    unlimited = "9223372036854771712"
    job_files(job_dir, {"memory.limit_in_bytes": unlimited, "memory.memsw.limit_in_bytes": unlimited,
                        "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", "cgroup.procs": ""})
    job.set_limits(512, 32)
    want = str((512 + KERNEL_SHARE_MB) << 20)
    assert (job_dir / "memory.limit_in_bytes").read_text() == want
    assert (job_dir / "memory.memsw.limit_in_bytes").read_text() == want
    assert job.oom_killed(wait=0)  # kills from before this supervisor saw the cgroup count too


def test_stale_bases_of_dead_servers_are_swept(monkeypatch, tmp_path):
    own = fake_hierarchy(monkeypatch, tmp_path, 1)
    dead = 2 ** 22 + 1  # above pid_max's default ceiling: no such process
    (own / f"recode-exec-{dead}" / "job-7").mkdir(parents=True)
    (own / f"recode-exec-{os.getpid()}-not-ours").mkdir()
    CgroupTree.setup()
    assert not (own / f"recode-exec-{dead}").exists()
    assert (own / f"recode-exec-{os.getpid()}-not-ours").exists()


@pytest.mark.parametrize("version", [1, 2])
def test_setup_fails_softly_without_a_writable_hierarchy(monkeypatch, tmp_path, version):
    own = fake_hierarchy(monkeypatch, tmp_path, version)
    own.chmod(0o555)
    try:
        if os.geteuid() == 0:
            pytest.skip("root writes through directory permissions")
        tree, state = CgroupTree.setup()
        assert tree is None and state.startswith("off: ")
    finally:
        own.chmod(0o755)
