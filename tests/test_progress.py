"""Long jobs show a progress bar on a terminal and nothing otherwise; the results keep their order."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

from boundlab.simulate.files import progress_map


def _square(x, delay=0.0):
    import time
    time.sleep(delay)
    return x * x


def test_results_in_order_and_silent_when_not_a_terminal(capsys):
    for jobs in (1, 2):
        assert progress_map(_square, [(i, 0.01 * (5 - i)) for i in range(5)], jobs, "t") == [0, 1, 4, 9, 16]
    assert capsys.readouterr().err == ""


def test_a_bar_on_a_terminal_after_two_seconds():
    code = ("from boundlab.simulate.files import progress_map\n"
            "import time\n"
            "def f(i):\n    time.sleep(0.6)\n    return i\n"
            "print(progress_map(f, [(i,) for i in range(5)], 1, 'demo'))\n")
    main, child = pty.openpty()                  # stderr is a terminal for the child, 100 columns wide
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=child, close_fds=True)
    os.close(child)
    out, _ = proc.communicate(timeout=60)
    seen = b""
    try:
        while True:
            chunk = os.read(main, 4096)
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    os.close(main)
    assert out.strip() == b"[0, 1, 2, 3, 4]"
    assert b"demo" in seen and b"job" in seen     # the bar, drawn on the terminal


def _pid_and_square(x):
    import os

    from boundlab.simulate.files import _shared
    return os.getpid(), x * x, _shared() is None


def test_maps_from_several_threads_share_one_pool():
    """Inside shared_pool, every progress_map (from any thread, whatever its jobs) runs in the pool's workers, and
    a worker (a fork of this process) does not see the parent's pool."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from boundlab.simulate.files import progress_map, shared_pool
    with shared_pool(2):
        with ThreadPoolExecutor(3) as threads:
            maps = [threads.submit(progress_map, _pid_and_square, [(i + 10 * t,) for i in range(6)], 1)
                    for t in range(3)]
            results = [m.result() for m in maps]
    for t, res in enumerate(results):
        assert [sq for _, sq, _ in res] == [(i + 10 * t) ** 2 for i in range(6)]    # in the order of the inputs
        assert os.getpid() not in {pid for pid, _, _ in res} and all(unseen for _, _, unseen in res)
    assert len({pid for res in results for pid, _, _ in res}) <= 2                    # the pool's two workers
    # closed: a map runs here again
    assert progress_map(_pid_and_square, [(3,)], 1)[0][:2] == (os.getpid(), 9)


def _sleep(x):
    import time
    time.sleep(0.2)
    return x


def test_an_error_leaving_the_shared_pool_does_not_leave_other_maps_waiting():
    """One figure fails (or Ctrl-C) while another's map waits for jobs of the shared pool: leaving the pool cancels
    the jobs not started, and the waiting map raises CancelledError instead of waiting for ever (it did: the pool's
    own cancellation does not wake as_completed)."""
    import threading
    from concurrent.futures import CancelledError

    import pytest

    from boundlab.simulate.files import progress_map, shared_pool
    outcome = {}

    def other_map():
        try:
            outcome["result"] = progress_map(_sleep, [(i,) for i in range(20)], 1)
        except CancelledError:
            outcome["cancelled"] = True
    with pytest.raises(RuntimeError):
        with shared_pool(1):
            thread = threading.Thread(target=other_map)
            thread.start()
            import time
            time.sleep(0.5)
            raise RuntimeError("another figure failed")
    thread.join(timeout=20)
    assert not thread.is_alive(), "a map still waits for jobs the pool will never run"
    assert outcome == {"cancelled": True}
