"""Real-thread concurrency for the tests: each thread has its own database connection, all start at a barrier,
and each closes its connection when done. Used on the file SQLite test database and on PostgreSQL."""

import queue
import threading

from django.db import close_old_connections, connection

POSTGRES_WORKERS = 40  # PostgreSQL allows 100 connections in all, shared with whatever else runs


def run_in_threads(*jobs):
    """Start every job on its own thread at once; return what each returned or raised, in order."""
    return run_with_workers(list(jobs), workers=len(jobs))


def run_with_workers(jobs, workers: int | None = None):
    """Run the jobs on ``workers`` threads that start together and each take the next job as they finish one;
    by default one thread per job on SQLite and at most 40 on PostgreSQL. Returns what each job returned or
    raised, in the order given."""
    if workers is None:
        workers = len(jobs) if connection.vendor != "postgresql" else min(len(jobs), POSTGRES_WORKERS)
    pending = queue.Queue()
    for index, job in enumerate(jobs):
        pending.put((index, job))
    results = [None] * len(jobs)
    barrier = threading.Barrier(workers)

    def worker():
        try:
            barrier.wait()
            while True:
                try:
                    index, job = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = job()
                except Exception as exc:  # noqa: BLE001 - the test inspects what each job raised
                    results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return results


def unexpected(results, *allowed):
    """What the jobs raised that they may not: any exception but the given domain errors."""
    return [r for r in results if isinstance(r, Exception) and not isinstance(r, allowed)]
