"""A throwaway PostgreSQL for the tests, and an empty namespace of its own for each test.

    BAZAAR_TEST_POSTGRES=<dsn> | private cluster (initdb, pg_ctl) | skip (or fail in CI)
        -> one server for the session -> per test: CREATE SCHEMA -> test -> DROP SCHEMA CASCADE

The server is the one `BAZAAR_TEST_POSTGRES` names (a `postgresql://` DSN, e.g.
`postgresql://bazaar@/bazaar?host=/tmp/pg/socket`); else, where PostgreSQL's binaries are
installed (`/usr/lib/postgresql/*/bin`, or `initdb` on PATH), a private cluster in a temporary
directory that listens only on a unix socket in that directory, runs without fsync and is
stopped at the end; as root, its commands run as the `postgres` system user (initdb refuses
root). Without either, the tests that need PostgreSQL are skipped, or fail when
`BAZAAR_REQUIRE_POSTGRES=1` (CI sets it).

Each test gets a schema of its own, not a database: measured on the private cluster,
`CREATE SCHEMA` and `DROP SCHEMA ... CASCADE` cost about 2 ms a test (the fixture's whole
setup and teardown, with its own connection, about 20 ms), `CREATE DATABASE ... TEMPLATE
template0` and `DROP DATABASE` about 90 ms (`STRATEGY FILE_COPY`: 115 ms). The schema is
named in the test's URL as libpq does it, `...&options=-csearch_path%3D<schema>`, which both
`asyncpg.connect` and `asyncpg.create_pool` accept (asyncpg sends unknown URL parameters as
server settings, so `options` reaches the server at start-up; `psql` takes the same URL).
The search path holds only that schema, so unqualified names are the test's own and other
tests' tables are not seen; a pool's reset on release (`RESET ALL`) keeps it, as it is a
start-up setting. A schema does not isolate what belongs to the whole database (extensions,
roles): code under test must not create those, and must find its own tables by
`current_schema()`, never by the name `public`.
The private cluster uses the C.UTF-8 locale, so `lower()` and full-text search fold the case
of every letter, as on a production server's UTF-8 locale (the C locale folds only ASCII).

`.ci/run` starts one server for the whole run with this file's command line, then points
`BAZAAR_TEST_POSTGRES` at it (this file needs only the standard library for that):

    python3 tests/postgres_server.py start DIR    # prints the DSN
    python3 tests/postgres_server.py stop DIR     # stops it and removes DIR
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

DSN_ENV = "BAZAAR_TEST_POSTGRES"
REQUIRE_ENV = "BAZAAR_REQUIRE_POSTGRES"
NOT_INSTALLED = f"PostgreSQL not installed: apt-get install postgresql, or set {DSN_ENV}"

SUPERUSER = "bazaar"
DATABASE = "bazaar"
PORT = 5432  # only names the socket file: the cluster listens on no TCP port
SYSTEM_USER = "postgres"  # who runs the cluster when the tests run as root
# A socket's path must fit in sockaddr_un (108 bytes with its terminating NUL).
MAX_SOCKET_PATH = 107
# Settings of a server that may lose everything in a crash: it is thrown away anyway.
SERVER_SETTINGS = {
    "listen_addresses": "",
    "port": str(PORT),
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class PostgresNotInstalled(Exception):
    """Neither `BAZAAR_TEST_POSTGRES` nor PostgreSQL's binaries: the message says what to do."""


class PostgresStartFailed(Exception):
    """initdb or the server failed; the message carries their output and the server's log."""


def find_bin_dir() -> Path | None:
    """The directory of PostgreSQL's server binaries: Debian's newest, else initdb's on PATH."""
    versions = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if path.parent.parent.name.isdigit()
    ]
    if versions:
        return max(versions, key=lambda bin_dir: int(bin_dir.parent.name))
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@dataclass(frozen=True)
class PrivateCluster:
    """A PostgreSQL cluster that owns `directory`: data, log and socket are all in it."""

    directory: Path
    bin_dir: Path
    run_as: str | None  # a system user to run the commands as, or None: this process's

    @classmethod
    def in_directory(cls, directory: Path, bin_dir: Path) -> PrivateCluster:
        run_as = SYSTEM_USER if os.geteuid() == 0 else None
        return cls(directory.resolve(), bin_dir, run_as)

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def socket_dir(self) -> Path:
        return self.directory / "socket"

    @property
    def log_file(self) -> Path:
        return self.directory / "server.log"

    @property
    def dsn(self) -> str:
        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql://{SUPERUSER}@/{DATABASE}?host={host}&port={PORT}"

    def start(self) -> None:
        """Creates the cluster and its `bazaar` database, and starts the server.

        `directory` must be empty or absent; its parent must let the system user through.
        """
        socket_path = self.socket_dir / f".s.PGSQL.{PORT}"
        if len(str(socket_path)) > MAX_SOCKET_PATH:
            raise PostgresStartFailed(
                f"the socket path {socket_path} is longer than {MAX_SOCKET_PATH} bytes:"
                " use a shorter directory (set TMPDIR=/tmp)"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        if any(self.directory.iterdir()):
            raise PostgresStartFailed(f"{self.directory} is not empty: give an empty directory")
        self.socket_dir.mkdir()
        if self.run_as is not None:
            user = _system_user(self.run_as)
            for path in (self.directory, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run(
            "initdb",
            f"--pgdata={self.data_dir}",
            f"--username={SUPERUSER}",
            "--auth=trust",  # only this socket, in a directory only we can enter
            "--encoding=UTF8",
            # C.UTF-8: the C library's case folding for every letter, codepoint order.
            "--locale=C.UTF-8",
            "--text-search-config=english",
            "--no-sync",
        )
        settings = {**SERVER_SETTINGS, "unix_socket_directories": str(self.socket_dir)}
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tests/postgres_server.py: a private, throwaway server\n")
            for name, value in settings.items():
                conf.write(f"{name} = '{value.replace(chr(39), chr(39) * 2)}'\n")
        self._run(
            "pg_ctl",
            "start",
            f"--pgdata={self.data_dir}",
            f"--log={self.log_file}",
            "--wait",
            "--timeout=30",
            "--silent",
        )
        self._run(
            "createdb",
            f"--host={self.socket_dir}",
            f"--port={PORT}",
            f"--username={SUPERUSER}",
            DATABASE,
        )

    def stop(self) -> None:
        """Stops the server if it runs, removes what `start` made, then `directory` if empty."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", f"--pgdata={self.data_dir}", "--mode=fast", "--silent")
        # Only what start made: a mistyped `stop DIR` must not empty someone's directory.
        for path in (self.data_dir, self.socket_dir):
            shutil.rmtree(path, ignore_errors=True)
        self.log_file.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.directory.rmdir()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        # The system user may not enter the caller's working directory.
        done = subprocess.run(
            command, cwd=self.directory, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise PostgresStartFailed(
                f"{' '.join(command)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}{log}".rstrip()
            )


def _system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise PostgresStartFailed(
            f"running as root, but there is no {name!r} user to run PostgreSQL as"
            " (initdb refuses root): install PostgreSQL's package, or run as another user"
        ) from None


@contextlib.contextmanager
def throwaway_server(environ: Mapping[str, str]) -> Iterator[str]:
    """The DSN of a server for the tests, for as long as the context lasts.

    `BAZAAR_TEST_POSTGRES`'s server if set (left running), else a private cluster that is
    stopped and removed at the end. Raises `PostgresNotInstalled` before yielding when there
    is neither.
    """
    external = environ.get(DSN_ENV, "").strip()
    if external:
        yield external
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresNotInstalled(NOT_INSTALLED)
    # Not under pytest's tmp_path: its directories are private to this user, and as root the
    # cluster runs as another; /tmp also keeps the socket's path short.
    cluster = PrivateCluster.in_directory(
        Path(tempfile.mkdtemp(prefix="bazaar-pg-", dir="/tmp")), bin_dir
    )
    try:
        cluster.start()
        yield cluster.dsn
    finally:
        cluster.stop()


def with_search_path(dsn: str, schema: str) -> str:
    """`dsn` with its sessions' search path set to `schema` alone, the libpq way (`options`)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ValueError(f"{schema!r} is not a plain lower-case schema name")
    parts = urlsplit(dsn)
    query = parse_qsl(parts.query, keep_blank_values=True)
    others = [value for key, value in query if key == "options"]
    options = " ".join([f"-csearch_path={schema}", *others])
    query = [(key, value) for key, value in query if key != "options"] + [("options", options)]
    # quote, not urlencode's default quote_plus: libpq reads "+" as a plus, not a space.
    return urlunsplit(parts._replace(query=urlencode(query, safe="/", quote_via=quote)))


@contextlib.asynccontextmanager
async def throwaway_schema(dsn: str) -> AsyncIterator[str]:
    """A URL whose sessions see only a new, empty schema on `dsn`'s server; dropped at the end.

    Everything the sessions create without a schema name goes into it. The drop waits at most
    10 s for locks: a connection the test left open in a transaction makes it fail, not hang.
    """
    # Imported here: `.ci/run` runs this file with the system python3, which has no asyncpg.
    import asyncpg

    schema = f"test_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield with_search_path(dsn, schema)
        finally:
            await admin.execute("SET lock_timeout = '10s'")
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"start", "stop"}:
        print(f"usage: python3 {sys.argv[0]} start|stop DIR", file=sys.stderr)
        return 2
    command, directory = argv
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print(NOT_INSTALLED, file=sys.stderr)
        return 1
    cluster = PrivateCluster.in_directory(Path(directory), bin_dir)
    try:
        if command == "start":
            cluster.start()
            print(cluster.dsn)
        else:
            cluster.stop()
    except PostgresStartFailed as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
