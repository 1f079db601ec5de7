"""SQLite's writer: one write transaction at a time per process, shared by the writes that
queue up together (group commit), behind a lock between processes.

Two ways in. `SqliteWriter.write()` is a block that runs in its caller's task (any write).
`SqliteWriter.run()` hands a short write (a pull, a sellback, a quote: a few indexed
statements run on the event loop's thread) to the process's queue runner, which runs every
write queued at that moment back to back, each in its own savepoint, then commits them with
one fsync. Run in their own tasks, such writes took turns through the event loop, and the
lock between processes stayed held while the loop served everything else in between.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from clawvault.db.sqlite_conn import SqliteConnection
from clawvault.db.sqlite_pool import SqliteEngine

T = TypeVar("T")
Work = Callable[[SqliteConnection], Awaitable[Any]]


def _interrupted() -> RuntimeError:
    return RuntimeError("write interrupted")


class FileLock:
    """An exclusive lock between processes (flock on a file beside the database). SQLite's own
    busy handler polls, sleeping up to 100 ms between tries, so a process that commits again
    and again starves the others; the kernel hands a flock over as soon as it is released.

    Every acquire opens the file anew: flock belongs to an open file, so a cancelled acquire
    whose thread still waits holds (and later gives back) only its own, never a lock that a
    later acquire of this process took."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None

    async def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:  # free (the usual case between two processes' batches): no hand-over to a thread
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass
        except BaseException:
            os.close(fd)
            raise
        else:
            self.fd = fd
            return
        taking = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            await asyncio.shield(taking)
        except asyncio.CancelledError:
            # The thread may still get the lock: closing its file gives it back.
            taking.add_done_callback(lambda _done: os.close(fd))
            raise
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def release(self) -> None:
        """Gives the lock back (closing the file releases its flock)."""
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def close(self) -> None:
        self.release()


def _execute_each(raw: sqlite3.Connection, statements: tuple[str, ...]) -> None:
    for statement in statements:  # not executescript: it COMMITs an open transaction first
        raw.execute(statement)


async def _on_thread(conn: SqliteConnection, *statements: str) -> None:
    """Runs `statements` on `conn`'s sqlite3 connection, on its own thread."""
    raw = conn.raw
    await conn.run(lambda: _execute_each(raw, statements))


class SqliteWriter:
    """Group commit for SQLite. Writes of one process run one at a time, each in its own
    SAVEPOINT of a shared transaction. The first write of a batch queues a closer behind the
    writes already waiting; when the closer's turn comes it commits the batch. A write's block
    returns only after that commit, so what a request acknowledges is durable, and a failed
    write rolls back to its savepoint alone. With synchronous=FULL a commit is an fsync
    (milliseconds): writes that arrive together share it instead of paying one each.

    The short writes of the hot requests (a pull, a sellback, a quote) are handed to `run`:
    one runner task per process runs all that are queued, back to back, their statements on
    the event loop's thread (`SqliteConnection.inline`), then commits. Holding the write lock
    they never wait, and nothing else of the process runs between them: the lock between
    processes is held for the statements and the commit, not for the loop's other work, and
    the next write begins without a trip through the loop. Other writes (`write`: imports,
    price moves, statements that may take long) hand their statements to the connection's thread,
    so the loop serves reads meanwhile.
    BEGIN IMMEDIATE (which may wait for another process) and COMMIT (an fsync) always do."""

    def __init__(self, engine: SqliteEngine, path: str | None) -> None:
        self.engine = engine
        self.lock = asyncio.Lock()
        self.file_lock = FileLock(path + ".writer-lock") if path else None
        self.conn: SqliteConnection | None = None
        # The connection batches run on, kept checked out between them; given back to the
        # pool after a failure.
        self.kept: SqliteConnection | None = None
        self.committed: asyncio.Future[None] | None = None
        self._closers: set[asyncio.Task[None]] = set()
        # Writes handed to `run`, waiting for the runner's next batch, and the runner.
        self.queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self.runner: asyncio.Task[None] | None = None

    async def run(self, work: Work) -> Any:
        """Runs `work` in a savepoint of the next batch, in the queue runner's task, and returns
        what it returned (or raises what it raised) once that batch has committed (rolled back:
        its savepoint alone). `work` is a short write whose statements run on the event loop's
        thread; it sees the runner's context, not its caller's.

        A caller cancelled before its write began takes it out of the batch; once begun, the
        write goes on and commits with its batch (as a client gone after the commit)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        self.queue.append((work, done))
        if self.runner is None:
            self.runner = loop.create_task(self._run_queue())
        return await done

    async def _run_queue(self) -> None:
        try:
            while self.queue:
                await self._run_batch()
        except BaseException as exc:
            # No batch could begin (BEGIN IMMEDIATE failed: each write raises that), or the
            # runner itself was stopped (shutdown).
            for _work, done in self.queue:
                if not done.done():
                    done.set_exception(exc if isinstance(exc, Exception) else _interrupted())
            self.queue = []
            if not isinstance(exc, Exception):
                raise
        finally:
            self.runner = None

    async def _run_batch(self) -> None:
        outcomes: dict[asyncio.Future[Any], tuple[Any, BaseException | None]] = {}
        batch: list[tuple[Work, asyncio.Future[Any]]] = []
        lost_batch: BaseException | None = _interrupted()
        failure: BaseException | None = None
        try:
            async with self.lock:
                if self.conn is None:
                    await self._open()
                assert self.committed is not None
                # What queued while the lock between processes was awaited joins this batch.
                batch, self.queue = self.queue, []
                committed = self.committed
                failure = await self._run_writes(batch, outcomes)
                await self._finish(committed, failure)
            lost_batch = committed.exception()
        finally:
            for _work, done in batch:
                if done.done() or done not in outcomes:
                    if not done.done() and all(done is not d for _w, d in self.queue):
                        done.set_exception(_interrupted())
                    continue
                result, error = outcomes[done]
                if error is not None:
                    done.set_exception(error if isinstance(error, Exception) else _interrupted())
                elif lost_batch is not None:
                    done.set_exception(lost_batch)
                else:
                    done.set_result(result)
        if failure is not None and not isinstance(failure, Exception):
            raise failure

    async def _run_writes(
        self,
        batch: list[tuple[Work, asyncio.Future[Any]]],
        outcomes: dict[asyncio.Future[Any], tuple[Any, BaseException | None]],
    ) -> BaseException | None:
        """Runs the batch's writes on the loop's thread, each in its savepoint, and records how
        each ended. Returns what lost the whole batch (a savepoint gone), if anything: the
        writes not run yet then go back to the queue, for the next batch."""
        conn = self.conn
        assert conn is not None
        if not conn.worker.idle():
            await conn.run(lambda: None)  # what its thread still runs ends first
        raw: sqlite3.Connection = conn.raw
        conn.inline = True
        try:
            for position, (work, done) in enumerate(batch):
                if done.done():
                    continue  # its caller was cancelled before it began
                failure: BaseException | None = None
                try:
                    raw.execute("SAVEPOINT write")
                    result = await work(conn)
                except Exception as exc:
                    outcomes[done] = (None, exc)
                    try:
                        _execute_each(raw, ("ROLLBACK TO write", "RELEASE write"))
                    except BaseException as lost:
                        failure = lost
                except BaseException as exc:
                    outcomes[done] = (None, exc)
                    failure = exc
                else:
                    outcomes[done] = (result, None)
                    try:
                        raw.execute("RELEASE write")
                    except BaseException as lost:
                        failure = lost
                if failure is not None:
                    self.queue[:0] = batch[position + 1 :]
                    return failure
            return None
        finally:
            conn.inline = False

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteConnection]:
        async with self.lock:
            if self.conn is None:
                await self._open()
            assert self.conn is not None and self.committed is not None
            conn, committed = self.conn, self.committed
            # The savepoint on the sqlite3 connection itself (SQLAlchemy's begin_nested cost
            # more than the statements of a pull), on the connection's thread: a write may be
            # cancelled while its statement still runs there, and its ROLLBACK TO must queue
            # behind it, never run beside it.
            try:
                await _on_thread(conn, "SAVEPOINT write")
            except BaseException as exc:
                await self._finish(committed, exc)
                raise
            try:
                yield conn
            except BaseException:
                try:
                    await _on_thread(conn, "ROLLBACK TO write", "RELEASE write")
                except BaseException as exc:
                    # The savepoint is gone (a statement ended the transaction, or this wait
                    # was cancelled too): the batch rolls back. The write still raises what
                    # stopped it, never this: a cancellation must stay a cancellation.
                    await self._finish(committed, exc)
                raise
            try:
                await _on_thread(conn, "RELEASE write")
            except BaseException as exc:
                await self._finish(committed, exc)
                raise
        await asyncio.shield(committed)

    async def _open(self) -> None:
        if self.file_lock is not None:
            await self.file_lock.acquire()
        try:
            conn, self.kept = self.kept or await self.engine.acquire(), None
            try:
                # BEGIN IMMEDIATE (the engine's "begin"), which may wait for another process.
                await conn.run(conn.sync_connection.begin)
            except BaseException:
                self.engine.release_after_rollback(conn)
                raise
        except BaseException:
            if self.file_lock is not None:
                self.file_lock.release()
            raise
        self.conn = conn
        self.committed = asyncio.get_running_loop().create_future()
        closer = asyncio.get_running_loop().create_task(self._close(self.committed))
        self._closers.add(closer)
        closer.add_done_callback(self._closers.discard)

    async def _close(self, committed: asyncio.Future[None]) -> None:
        async with self.lock:  # after every write that was waiting when the batch began
            await self._finish(committed, None)

    async def _finish(self, committed: asyncio.Future[None], failure: BaseException | None) -> None:
        """Commits the batch (or, after `failure`, rolls it back) and tells its writes."""
        if self.committed is not committed:
            return  # that batch has ended already
        conn = self.conn
        self.conn = self.committed = None
        assert conn is not None
        try:
            # On the connection's thread (COMMIT is an fsync), behind any statement a
            # cancelled write left running there.
            await self.engine.finish(conn, commit=failure is None)
        except BaseException as exc:
            failure = exc
        finally:
            if failure is None:
                self.kept = conn
            else:
                self.engine.release_after_rollback(conn)
            if self.file_lock is not None:
                self.file_lock.release()
        if failure is None:
            committed.set_result(None)
        else:
            committed.set_exception(failure if isinstance(failure, Exception) else _interrupted())
            committed.exception()  # a write that has left already need not hear of it

    async def close(self) -> None:
        """After the batch in progress has ended (a write that failed left without waiting
        for its batch's commit), closes the kept connection."""
        await asyncio.gather(*self._closers, return_exceptions=True)
        if self.runner is not None:
            await asyncio.gather(self.runner, return_exceptions=True)
        if self.kept is not None:
            conn, self.kept = self.kept, None
            self.engine.release_after_rollback(conn)
        if self.file_lock is not None:
            self.file_lock.close()
