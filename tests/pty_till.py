"""The real till in a pseudo-terminal, as an SSH login would run it: keys in, bytes out."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path


class PtyTill:
    def __init__(self, db_path: Path | str, till: str = "T1", size: tuple[int, int] = (80, 24),
                 env: dict[str, str] | None = None) -> None:
        self.master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows),
                       **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pos_tui", "--db", str(db_path), "--till", till],
            stdin=slave, stdout=slave, stderr=slave, env=environment, start_new_session=True, close_fds=True)
        os.close(slave)
        self.output = bytearray()

    def read(self, seconds: float = 0.1) -> None:
        """Take what the till printed (so it never blocks on a full terminal)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.output += chunk

    def start(self, timeout: float = 15) -> bool:
        """Wait for the login screen. A real terminal answers the queries Textual sends as it
        starts; this pty does not, so give the till a moment before typing, or the first keys
        may be read as the end of an answer."""
        ready = self.wait_for("PIN", timeout)
        self.read(1.0)
        return ready

    def wait_for(self, text: str, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.1)
            if text.encode() in self.output:
                return True
        return False

    def send(self, keys: str, pause: float = 0.15) -> None:
        os.write(self.master, keys.encode())
        self.read(pause)

    ENTER = "\r"
    DOWN = "\x1b[B"

    def stop(self, sig: int = signal.SIGKILL) -> int | None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
        try:
            return self.process.wait(timeout=10)
        finally:
            try:
                os.close(self.master)
            except OSError:
                pass
