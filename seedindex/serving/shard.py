"""A shard server: Xapian's ``xapian-tcpsrv`` (Debian's package ``xapian-tools``)
serving one shard's database, started as a shard of seedindex needs it and stopped
cleanly: ``seedindex shard serve DIR --port N``.

The server runs in a session of its own, because its SIGTERM handler signals its whole
process group; it is stopped by its process number. Its idle timeout is long, so
readers that search now and then keep their connections.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from ..errors import ConfigError, IndexDirError

__all__ = ["ShardServer", "server_program"]

SERVER = "xapian-tcpsrv"
# Milliseconds a connection may stay idle, and wait in the middle of an exchange.
_IDLE_MS, _ACTIVE_MS = 24 * 3600 * 1000, 120_000
# How long a server may take to accept connections once started, and to stop.
_START_SECONDS, _STOP_SECONDS = 30.0, 10.0


def server_program() -> str | None:
    """Where ``xapian-tcpsrv`` is, or None."""
    return shutil.which(SERVER)


class ShardServer:
    """``xapian-tcpsrv`` serving the shard database in ``folder`` on ``host:port``;
    ``writable`` lets one writer change it (a database is made when there is none)."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        port: int,
        *,
        host: str = "127.0.0.1",
        writable: bool = False,
    ) -> None:
        self.folder = Path(folder)
        self.host, self.port, self.writable = host, port, writable
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        program = server_program()
        if program is None:
            raise ConfigError(
                f"{SERVER} is not installed: it is in Debian's and Ubuntu's package xapian-tools"
            )
        if not self.writable and not (self.folder / "iamglass").is_file():
            raise IndexDirError(f"no shard database in {self.folder} (serve it --writable first)")
        if self._taken():
            raise IndexDirError(f"the shard server cannot listen on {self.address}: it is in use")
        command = [program, "--interface", self.host, "--port", str(self.port), "--quiet"]
        command += ["--idle-timeout", str(_IDLE_MS), "--active-timeout", str(_ACTIVE_MS)]
        if self.writable:
            command.append("--writable")
        command.append(str(self.folder))
        self._process = subprocess.Popen(
            command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_until_accepting()

    def _taken(self) -> bool:
        """Whether another program listens on the port already."""
        with socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host.strip("[]"), self.port))
            except OSError:
                return True
        return False

    def _wait_until_accepting(self) -> None:
        assert self._process is not None
        until = time.monotonic() + _START_SECONDS
        while self._process.poll() is None:
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0):
                    return
            except OSError:
                if time.monotonic() > until:
                    break
                time.sleep(0.02)
        said = self._said()
        self.stop()
        raise IndexDirError(f"the shard server on {self.address} did not start: {said}")

    def _said(self) -> str:
        process = self._process
        if process is None or process.poll() is None or process.stderr is None:
            return "it did not accept connections"
        lines = process.stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"it ended with exit code {process.returncode}"

    def wait(self) -> int:
        """Wait until the server ends; its exit code."""
        assert self._process is not None
        return self._process.wait()

    def stop(self) -> None:
        """Stop the server (and the connections it serves)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def __enter__(self) -> ShardServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
