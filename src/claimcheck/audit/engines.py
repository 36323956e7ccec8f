"""Where the page function runs: a local process pool, or a Dask cluster.

Both engines take partitions of :class:`~claimcheck.audit.work.Task` and return a
``concurrent.futures.Future`` of their outcomes, so the audit loop is the same for both.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import sys
import threading
import time

from ..checker import default_checker
from ..errors import ClaimcheckError, InputError
from ..options import Options
from .work import Outcome, Task, check_tasks


def _warm(options: Options, parent: int) -> None:
    """Set a worker up: leave Ctrl-C and SIGTERM to the audit, exit with it, and load the checker before the first page."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _exit_with_parent(parent)
    try:
        default_checker(options).load()
    except ClaimcheckError:
        pass  # the first page reports it, with its exit code


def _exit_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` is gone (killed with SIGKILL, say), so no worker outlives its audit.

    On Linux the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG); everywhere, a watchdog
    thread checks twice a second that the process still has the same parent.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="claimcheck-parent-watchdog", daemon=True).start()


class LocalEngine:
    """``jobs`` worker processes on this machine (spawned, so the fetch threads are never forked)."""

    name = "local"

    def __init__(self, jobs: int, options: Options) -> None:
        self.jobs = jobs
        self.options = options
        self._pool = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return cf.ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_warm, initargs=(self.options, os.getpid()))

    @property
    def slots(self) -> int:
        return self.jobs

    def submit(self, tasks: list[Task]) -> cf.Future[list[Outcome]]:
        return self._pool.submit(check_tasks, tasks, self.options)

    def restart(self) -> None:
        """Replace a pool whose worker died."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._start()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """The same page function on a Dask cluster: the one at ``scheduler``, or a LocalCluster of ``jobs`` workers."""

    name = "dask"

    def __init__(self, jobs: int, options: Options, scheduler: str | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InputError("the dask engine needs the dask extra: pip install 'claimcheck[dask]'", "--engine dask") from None
        self.options = options
        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="30s")
            else:
                self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler ({exc})", scheduler or "LocalCluster") from None
        self._pending: set = set()  # Dask cancels a future nobody holds, so hold each until it is done
        self._lock = threading.Lock()

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, tasks: list[Task]) -> cf.Future[list[Outcome]]:
        result: cf.Future[list[Outcome]] = cf.Future()
        future = self.client.submit(check_tasks, tasks, self.options, pure=False)
        with self._lock:
            self._pending.add(future)

        def done(f) -> None:
            with self._lock:
                self._pending.discard(f)
            try:
                result.set_result(f.result())
            except BaseException as exc:  # noqa: BLE001 - handed to the audit loop
                result.set_exception(exc)

        future.add_done_callback(done)
        return result

    def restart(self) -> None:
        pass  # Dask reschedules the tasks of a lost worker itself

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
