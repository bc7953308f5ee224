"""The real till in a pseudo-terminal, as an SSH login would run it: keys in, bytes out."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTER, F2 = "\r", "\x1bOQ"


class PtyTill:
    """`python -m pos_tui` in a pseudo-terminal (80×24 by default), its output read all the time."""

    def __init__(self, path: Path | str, till: str = "T1", size: tuple[int, int] = (80, 24),
                 env: dict[str, str] | None = None):
        cols, rows = size
        environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows),
                       **(env or {})}
        environment.pop("TEXTUAL_ALLOW_SIGNALS", None)
        argv = [sys.executable, "-m", "pos_tui", "--db", str(path), "--till", till]
        window = struct.pack("HHHH", rows, cols, 0, 0)
        pid, fd = pty.fork()
        if pid == 0:  # the child: nothing but exec
            try:
                # An SSH login's till has SIGHUP's default action, whatever ignored it here (nohup).
                signal.signal(signal.SIGHUP, signal.SIG_DFL)
                fcntl.ioctl(0, termios.TIOCSWINSZ, window)
                os.chdir(ROOT)
                os.execve(sys.executable, argv, environment)
            finally:
                os._exit(127)
        self.pid, self.fd, self.output, self.status = pid, fd, bytearray(), None
        fcntl.ioctl(fd, termios.TIOCSWINSZ, window)

    def start(self, timeout: float = 20) -> None:
        """Wait for the login screen. A real terminal answers the queries Textual sends as it
        starts; this pty does not, so give the till a moment before typing, or the first keys
        may be read as the end of an answer."""
        self.wait_for_text("PIN", timeout=timeout)
        self.pump(1.0)

    def pump(self, seconds: float = 0.0) -> None:
        """Read what the till wrote (for `seconds`, or what is there now)."""
        end = time.monotonic() + seconds
        while True:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, min(0.05, end - time.monotonic())))
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # EIO: the child is gone
                    data = b""
                if not data:
                    self.reap(block=True)
                    return
                self.output += data
            elif time.monotonic() >= end:
                return

    def text(self, since: int = 0) -> str:
        """The output (from byte `since`) without escape sequences: enough to see what is up."""
        raw = self.output[since:].decode("utf-8", "replace")
        return re.sub(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78MDEc])",
                      "", raw)

    def wait_for(self, condition, what: str, timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if not self.alive():
                assert condition(), f"the till exited ({self.status}) while waiting for {what}:\n{self.tail()}"
                return
            assert time.monotonic() < end, f"timed out waiting for {what}; the screen said:\n{self.tail()}"
            self.pump(0.05)

    def tail(self) -> str:
        return self.text()[-3000:]

    def wait_for_text(self, text: str, since: int = 0, timeout: float = 20) -> None:
        self.wait_for(lambda: text in self.text(since), f"“{text}” on the screen", timeout)

    def wait_exit(self, timeout: float = 10) -> None:
        self.wait_for(lambda: not self.alive(), "the till to exit", timeout)

    def type(self, keys: str, pause: float = 0.3) -> None:
        os.write(self.fd, keys.encode())
        self.pump(pause)

    def reap(self, block: bool = False) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def alive(self) -> bool:
        return not self.reap()

    def close(self) -> None:
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.reap(block=True)
        os.close(self.fd)
