"""Class 5 (docs/executor.md): jobs and the host are not separated — unless each job gets a
world of its own. Hostile programs written against our source: each case asserts the honest
verdict (or the observation the program returns) and that nothing of the job is left on the
host or visible to the next job (SysV objects, keys, files in /tmp and /dev/shm, processes).
"""

import hashlib
import os
import pathlib
import platform
import secrets
import tempfile
import textwrap
import threading
import time

import pytest

from recode_rl.execution import Executor, Limits, Verdict, world
from recode_rl.execution.harness import from_wire
from recode_rl.execution.types import TestSuite
from tests.execution.conftest import NAME_PROCESS, processes_named, sandbox_processes

FAST = Limits(timeout=3, memory_mb=512)


def prog(src: str) -> str:
    return textwrap.dedent(src).strip() + "\n"


def call(executor, program: str, fn: str, *args, limits: Limits = FAST) -> dict:
    """Run `fn(*args)` once in the sandbox; the raw record of that unit, its value decoded."""
    raw = executor.raw(program, TestSuite(kind="functional", inputs=(list(args),), outputs=(None,), fn_name=fn), limits)
    assert raw.get("clean") is True, raw
    rec = raw["units"]["0"]
    if rec.get("status") == "ok":
        rec["value"] = from_wire(rec["value"])
    return rec


def needs(executor, *layers: str) -> None:
    off = {layer: executor.isolation[layer] for layer in layers if not executor.isolation[layer].startswith("on")}
    if off:
        pytest.skip(f"isolation layers off here: {off}")


# --------------------------------------------------------------------------------- SysV IPC

SYSV = prog("""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    IPC_CREAT = 0o1000

    class Msg(ctypes.Structure):
        _fields_ = [("mtype", ctypes.c_long), ("text", ctypes.c_char * 64)]

    def leave(key, secret):
        shm = libc.shmget(key, 4096, IPC_CREAT | 0o666)
        addr = libc.shmat(shm, None, 0)
        ctypes.memmove(addr, secret.encode(), len(secret))
        libc.shmdt(ctypes.c_void_p(addr))
        msq = libc.msgget(key + 1, IPC_CREAT | 0o666)
        ok = libc.msgsnd(msq, ctypes.byref(Msg(1, secret.encode())), 64, 0)
        sem = libc.semget(key + 2, 1, IPC_CREAT | 0o666)
        return [shm >= 0, msq >= 0 and ok == 0, sem >= 0]

    def find(key):
        return [libc.shmget(key, 0, 0) >= 0, libc.msgget(key + 1, 0) >= 0, libc.semget(key + 2, 0, 0) >= 0]
    """)


def _host_sysv_keys() -> set[int]:
    keys = set()
    for kind in ("shm", "msg", "sem"):
        with open(f"/proc/sysvipc/{kind}") as f:
            next(f)
            keys |= {int(line.split()[0]) for line in f if line.strip()}
    return keys


def test_sysv_ipc_objects_die_with_the_job(executor):
    needs(executor, "ipc")
    key = 0x5EC00000 + secrets.randbelow(1 << 16) * 4
    assert call(executor, SYSV, "leave", key, "the answer is 42")["value"] == [True, True, True]
    # The next job cannot find them, and the host never had them.
    assert call(executor, SYSV, "find", key)["value"] == [False, False, False]
    assert not {key, key + 1, key + 2} & _host_sysv_keys()


# --------------------------------------------------------------------------------- keyrings

_SYS_ADD_KEY = {"x86_64": 248, "aarch64": 217}.get(platform.machine())
KEYS = prog(f"""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    def add(desc, secret):
        serial = libc.syscall({_SYS_ADD_KEY}, b"user", desc.encode(), secret.encode(), len(secret), -4)
        return [serial, ctypes.get_errno()]  # -4: KEY_SPEC_USER_KEYRING, which outlives every process
    """)


def _key_users() -> set[int]:
    with open("/proc/key-users") as f:
        return {int(line.split(":")[0]) for line in f}


def test_kernel_keyrings_are_refused_and_nothing_is_left(executor):
    needs(executor, "keyring")
    if _SYS_ADD_KEY is None:
        pytest.skip(f"no add_key syscall number for {platform.machine()}")
    if not os.access("/proc/key-users", os.R_OK):
        pytest.skip("/proc/key-users is not readable: cannot check for left keys")
    assert call(executor, KEYS, "add", f"recode-{secrets.token_hex(4)}", "the answer is 42")["value"] == [-1, 1]  # EPERM
    ours = {u for r in executor.uids() for u in r}
    assert not ours & _key_users()


# ----------------------------------------------------------------------- files between jobs

FILES = prog("""
    import os
    PLACES = ("/tmp", "/dev/shm", "/var/tmp", ".")
    def leave(name):
        out = []
        for d in PLACES:
            try:
                with open(os.path.join(d, name), "w") as f:
                    f.write("the answer is 42")
                out.append(True)
            except OSError:
                out.append(False)
        return out
    def find(name):
        return [os.path.exists(os.path.join(d, name)) for d in PLACES] + [sorted(os.listdir("/tmp"))]
    """)


def _fresh_tmp() -> list[str]:
    """A fresh job's /tmp: the scratch entries, and the top of every read-only path the sandbox
    binds again from under /tmp (a checkout or venv cloned under /tmp)."""
    from recode_rl.execution.sandbox import _readonly_paths

    tops = {p[len("/tmp/"):].split("/")[0] for p in _readonly_paths() if p.startswith("/tmp/")}
    return sorted({".shm", "job"} | tops)


def test_files_in_tmp_and_dev_shm_are_not_visible_to_the_next_job(executor):
    needs(executor, "tmpfs")
    name = f"recode-{secrets.token_hex(4)}"
    assert call(executor, FILES, "leave", name)["value"] == [True, True, True, True]
    assert call(executor, FILES, "find", name)["value"] == [False, False, False, False, _fresh_tmp()]


# ----------------------------------------------------------- abstract unix sockets, concurrently

SOCKETS = prog("""
    import socket, time
    def listen(name, seconds):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\\0" + name)
        s.listen(8)
        s.settimeout(0.02)
        start, got = time.monotonic(), False
        while time.monotonic() < start + seconds and not got:
            try:
                s.accept()
                got = True
            except OSError:
                pass
        return [got, start, time.monotonic()]
    def connect(name, seconds):
        own = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        own.bind("\\0" + name + "-own")
        own.listen(1)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect("\\0" + name + "-own")
        works = True  # abstract sockets work inside one job
        start, got = time.monotonic(), False
        while time.monotonic() < start + seconds and not got:
            try:
                socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect("\\0" + name)
                got = True
            except OSError:
                time.sleep(0.01)
        return [works, got, start, time.monotonic()]
    """)


def test_concurrent_jobs_cannot_connect_over_abstract_unix_sockets(executor):
    needs(executor, "network")
    if executor.max_workers < 2:
        pytest.skip("needs two concurrent jobs")
    name = f"recode-{secrets.token_hex(4)}"
    out: dict[str, dict] = {}
    t = threading.Thread(target=lambda: out.update(listen=call(executor, SOCKETS, "listen", name, 1.5)))
    t.start()
    out["connect"] = call(executor, SOCKETS, "connect", name, 1.0)
    t.join()
    got_listen, l_start, l_end = out["listen"]["value"]
    works, got_connect, c_start, c_end = out["connect"]["value"]
    assert works
    assert c_start < l_end and l_start < c_end, "the two jobs did not overlap: the test proves nothing"
    assert (got_listen, got_connect) == (False, False)


# ----------------------------------------------------------------- memory outside RLIMIT_AS

BOMBS = {
    # Each piece stays below RLIMIT_FSIZE (64 MB) and none is mapped: RLIMIT_AS never sees them.
    "memfd": """
        import os
        fds = []
        for _ in range(40):
            fd = os.memfd_create("x")
            os.write(fd, b"x" * (32 << 20))
            fds.append(fd)
        print(5)
        """,
    # 200 MB of files (within the 256 MB tmpfs) + 240 MB of memfds (within the limit alone):
    # over the limit only if the files count too.
    "dev_shm_files": """
        import os
        for i in range(5):
            with open(f"/dev/shm/f{i}", "wb") as f:
                f.write(b"x" * (40 << 20))
        fds = []
        for _ in range(6):
            fd = os.memfd_create("x")
            os.write(fd, b"x" * (40 << 20))
            fds.append(fd)
        print(5)
        """,
    "sysv_shm": """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shmat.restype = ctypes.c_void_p
        for i in range(40):
            shm = libc.shmget(0x5EC0F000 + i, 32 << 20, 0o1000 | 0o600)
            addr = libc.shmat(shm, None, 0)
            ctypes.memset(addr, 120, 32 << 20)
            libc.shmdt(ctypes.c_void_p(addr))  # detached: out of the address space, still in memory
        print(5)
        """,
}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_memory_outside_the_address_space_hits_the_memory_limit(executor, kind):
    needs(executor, "cgroup", *{"sysv_shm": ["ipc"], "dev_shm_files": ["tmpfs"]}.get(kind, []))  # else: left on the host
    suite = TestSuite(kind="stdio", inputs=("",), outputs=("5",))
    result = executor.run(prog(BOMBS[kind]), suite, Limits(timeout=20, memory_mb=256))
    assert result.verdict is Verdict.MEMORY_LIMIT, result.to_dict()
    assert result.tests[0].error_type == "MemoryLimitExceeded"
    assert sandbox_processes(executor) == []
    assert executor.run("print(5)\n", suite, FAST).verdict is Verdict.PASSED


def test_each_job_gets_its_own_memory_limit():
    """Slots reuse their cgroup: the limit follows each job, raised and lowered (cgroup v1
    refuses a memory limit above memory+swap's: the order of the writes matters)."""
    fill = "import os\nfds = []\nfor _ in range(8):\n    fd = os.memfd_create('x')\n" \
           "    os.write(fd, b'x' * (50 << 20))\n    fds.append(fd)\nprint(5)\n"  # 400 MB: over 200 MB's limit
    suite = TestSuite(kind="stdio", inputs=("",), outputs=("5",))
    with Executor(max_workers=1) as ex:
        needs(ex, "cgroup")
        got = [ex.run(fill, suite, Limits(timeout=20, memory_mb=mb)).verdict for mb in (200, 700, 700, 200)]
    M, P = Verdict.MEMORY_LIMIT, Verdict.PASSED
    assert got == [M, P, P, M]


# ------------------------------------------------------------------- cleanup cannot be stopped

STOPPER = NAME_PROCESS + prog("""
    import os, signal, time
    def run(comm):
        child = os.fork()
        if child == 0:
            name_process(comm)
            os.kill(os.getpid(), signal.SIGSTOP)  # a stopped process, too
            os._exit(0)
        os.waitpid(child, os.WUNTRACED)  # named and stopped before the daemon can stop anyone
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                name_process(comm)
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCONT):
                    signal.signal(s, signal.SIG_IGN)
                end = time.monotonic() + 60
                while time.monotonic() < end:  # stop everything it can reach, cleanup helpers included
                    try:
                        os.kill(-1, signal.SIGSTOP)
                    except OSError:
                        pass
                    time.sleep(0.001)
            os._exit(0)
        time.sleep(1.0)  # stopped by its own daemon: this unit never answers
        return 5
    """)


def test_daemon_stopping_itself_and_everything_else_is_still_removed(executor):
    comm = f"rc-{secrets.token_hex(4)}"
    seen: set[int] = set()
    out: dict = {}
    t = threading.Thread(target=lambda: out.update(rec=call(executor, STOPPER, "run", comm, limits=Limits(timeout=3))))
    t.start()
    while t.is_alive() and len(seen) < 2:  # every pid ever seen: the cleanup may come between polls
        seen |= set(processes_named(comm))
    t.join()
    assert len(seen) >= 2, f"the daemon and the stopped process never showed up ({out}): the test proves nothing"
    assert out["rec"]["status"] == "timeout"  # the honest verdict: its own daemon stopped it
    assert processes_named(comm) == []         # and the cleanup (confirmed, see call) took them all
    assert sandbox_processes(executor) == []


# ------------------------------------------------------- memory of an earlier job

SCAN = prog("""
    import ctypes, gc, hashlib, os, re
    PATTERN = re.compile(rb"(?:IN|OUT)-[0-9a-f]{32}")
    def scan(hashes, own_input):
        # Reads every 64 KB around live objects through a pipe (EFAULT, not SIGSEGV, where
        # nothing is mapped) and reports which marked strings it found (by hash: the needles
        # themselves are never in this process).
        libc = ctypes.CDLL(None, use_errno=True)
        libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
        r, w = os.pipe()
        found, step = set(), 1 << 16
        for win in sorted({id(o) >> 22 for o in gc.get_objects()}):
            for addr in range((win - 1) << 22, (win + 2) << 22, step):
                n = libc.write(w, addr, step)
                if n > 0:
                    found |= {hashlib.sha256(m).hexdigest() for m in PATTERN.findall(os.read(r, n))}
        return sorted(found & set(hashes))
    """)


def _marks() -> tuple[str, str, str]:
    tok = secrets.token_hex(16)
    return f"IN-{tok}", f"OUT-{tok[::-1]}", f"IN-{secrets.token_hex(16)}"


def test_a_job_cannot_find_an_earlier_jobs_input_or_output_in_its_memory():
    """The earlier job's input and the output it printed were once in the memory every later
    child was forked from (a persistent supervisor). Now each job's supervisor is a fresh
    process that never held another job's data. Control: the scan finds its own input."""
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    with Executor(max_workers=1) as ex:  # one slot: the next job lands where the earlier one ran
        for _ in range(2):
            earlier_in, earlier_out, own = _marks()
            echo = TestSuite(kind="stdio", inputs=(earlier_in + "\n",), outputs=(earlier_out,))
            assert ex.run("s = input()\nprint('OUT-' + s[3:][::-1])\n", echo, FAST).all_passed
            found = call(ex, SCAN, "scan", [sha(earlier_in), sha(earlier_out), sha(own)], own,
                         limits=Limits(timeout=30))["value"]
            assert found == [sha(own)], "found the earlier job's data" if len(found) > 1 else "the scan found nothing"


INIT = prog("""
    import ctypes, os, signal
    libc = ctypes.CDLL(None, use_errno=True)
    def attack():
        attached = libc.ptrace(16, 1, None, None)  # PTRACE_ATTACH to pid 1: the slot's init
        errno = ctypes.get_errno()
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(1, sig)
            except OSError:
                pass
        return [attached, errno]
    """)


def test_the_slots_init_cannot_be_traced_stopped_or_killed(executor):
    needs(executor, "pid")
    assert call(executor, INIT, "attack")["value"] == [-1, 1]  # EPERM
    for _ in range(3):  # every slot still serves jobs
        assert executor.run("print(5)\n", TestSuite(kind="stdio", inputs=("",), outputs=("5",)), FAST).all_passed


# ------------------------------------------------------------------ deep trees, in and out

DEEP = prog("""
    import os
    def build(depth):
        for root in ("/tmp", "."):
            fd = os.open(root, os.O_RDONLY)
            for _ in range(depth):
                os.mkdir("d", dir_fd=fd)
                nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd = nxt
            with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as f:
                f.write("x")
            os.chmod(fd, 0)  # and unreadable at the bottom
            os.close(fd)
        return sorted(os.listdir("."))
    def look():
        return [sorted(os.listdir(".")), sorted(os.listdir("/tmp"))]
    """)


def test_a_deep_directory_tree_does_not_break_cleanup(executor):
    assert call(executor, DEEP, "build", 2000)["value"] == ["d"]  # call() asserts the cleanup was confirmed
    if executor.isolation["tmpfs"].startswith("on"):
        assert call(executor, DEEP, "look")["value"] == [[], _fresh_tmp()]


@pytest.fixture
def scratch(tmp_path):
    """A directory on tmpfs when there is one (as the sandbox's /tmp; rmdir on a journaling
    disk filesystem can cost milliseconds), else tmp_path."""
    if not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    path = tempfile.mkdtemp(dir="/dev/shm", prefix="recode-test-")
    try:
        yield pathlib.Path(path)
    finally:
        world.remove_tree(path, time.monotonic() + 60)


def test_remove_tree_takes_deep_unreadable_trees_and_never_follows_links(scratch):
    tmp_path = scratch
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    root = tmp_path / "tree"
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    for _ in range(3000):  # 6,000 characters: beyond PATH_MAX
        os.mkdir("d", dir_fd=fd)
        os.symlink(str(outside), "link", dir_fd=fd)
        with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as f:
            f.write("x")
        nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    os.chmod(fd, 0)
    os.close(fd)
    assert world.remove_tree(str(root), time.monotonic() + 60)
    assert not root.exists()
    assert (outside / "keep").read_text() == "x"


# ----------------------------------------------------------------------------- uids

def test_uids_of_unconfirmed_cleanups_are_never_handed_out_again():
    with Executor(max_workers=1) as ex:
        if ex.isolation["uid"] != "on":
            pytest.skip("uid layer off")
        uids = [ex._new_uid() for _ in range(600)]  # 600 retirements: three blocks of 256
        assert len(set(uids)) == 600
        assert all(any(u in r for r in ex.uids()) for u in uids) and len(ex.uids()) == 3


def test_a_slot_keeps_its_uid_only_after_a_confirmed_cleanup(monkeypatch):
    from recode_rl.execution import executor as executor_mod
    whoami = "import os\ndef uid():\n    return os.getuid()\n"
    suite = TestSuite(kind="functional", inputs=([],), outputs=(None,), fn_name="uid")
    with Executor(max_workers=1) as ex:
        if ex.isolation["uid"] != "on":
            pytest.skip("uid layer off")
        pool = {call(ex, whoami, "uid")["value"] for _ in range(6)}
        assert len(pool) <= 2  # confirmed clean: the same uids (one per slot) serve again
        real = executor_mod.recv_msg
        monkeypatch.setattr(executor_mod, "recv_msg", lambda sock: {**real(sock), "clean": False})
        retired = {from_wire(ex.raw(whoami, suite, FAST)["units"]["0"]["value"])}
        monkeypatch.setattr(executor_mod, "recv_msg", real)
        if ex.isolation["pid"].startswith("on") and ex.isolation["tmpfs"].startswith("on"):
            # run() returns before the confirmation (clean: None); an unconfirmed one retires
            # the uid all the same
            monkeypatch.setattr(executor_mod, "_confirmation", lambda sock: False)
            raw = ex.raw(whoami, suite, FAST, settle=False)
            assert raw["clean"] is None
            assert ex.settle()
            retired.add(from_wire(raw["units"]["0"]["value"]))
            monkeypatch.undo()
        later = {call(ex, whoami, "uid")["value"] for _ in range(8)}
        assert not retired & later and len(later) <= 2
