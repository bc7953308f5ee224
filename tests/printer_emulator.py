"""A network ESC/POS printer on 127.0.0.1, for tests and for trying the till by hand.

It listens on raw TCP (port 0: any free port), keeps every byte it receives, and answers the
real-time status requests (DLE EOT n) as a printer does. Modes:

- ``ok``: a printer with paper;
- ``no-paper``: answers that the paper has run out;
- ``stall``: takes the connection, then never reads nor answers (a printer that hangs).

`closed_port()` gives a port where nothing listens (the connection is refused).

By hand, in the background while the till runs::

    .venv/bin/python -m tests.printer_emulator --port 9100 --out /tmp/printed.bin
"""

from __future__ import annotations

import argparse
import socket
import threading
from collections.abc import Callable
from pathlib import Path

OK, NO_PAPER, STALL = "ok", "no-paper", "stall"
DLE_EOT = b"\x10\x04"
# Real-time status answers: bits 1 and 4 are always set; for n=4, bits 5 and 6 say "paper end".
STATUS = {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}
PAPER_END = 0x72


class PrinterEmulator:
    """A printer listening on 127.0.0.1. Use as a context manager, or `start()` / `stop()`."""

    def __init__(self, mode: str = OK, port: int = 0, out: str | Path | None = None, host: str = "127.0.0.1"):
        self.mode = mode
        self.host = host
        self.requested_port = port
        self.out = Path(out) if out else None
        self.jobs: list[bytes] = []  # one per connection, once it closed
        self.connections = 0
        self._current: dict[int, bytearray] = {}
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._clients: list[socket.socket] = []
        self.port = 0

    # Life -------------------------------------------------------------------------------------

    def start(self) -> PrinterEmulator:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.requested_port))
        server.listen(8)
        server.settimeout(0.1)
        self._server = server
        self.port = server.getsockname()[1]
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(5)
        for client in self._clients:
            client.close()
        if self._server is not None:
            self._server.close()

    def __enter__(self) -> PrinterEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # What it received -----------------------------------------------------------------------

    @property
    def received(self) -> bytes:
        """Every byte received so far, connections in order (open ones included)."""
        with self._lock:
            return b"".join(self.jobs) + b"".join(bytes(data) for data in self._current.values())

    def wait_for(self, predicate: Callable[[PrinterEmulator], bool], timeout: float = 10.0) -> bool:
        """Wait until `predicate(self)` holds (checked at each change), at most `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> bool:
        return self.wait_for(lambda emulator: len(emulator.jobs) >= count, timeout)

    # The server -----------------------------------------------------------------------------

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="printer-emulator")
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _addr = self._server.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self._clients.append(client)
            with self._changed:
                self.connections += 1
                self._changed.notify_all()
            if self.mode == STALL:
                continue  # never read, never answer: the sender's timeouts must do their work
            self._spawn(self._serve, client, self.connections)

    def _serve(self, client: socket.socket, number: int) -> None:
        client.settimeout(0.1)
        with self._lock:
            self._current[number] = bytearray()
        tail = b""
        try:
            while not self._stopping.is_set():
                try:
                    chunk = client.recv(65536)
                except (TimeoutError, socket.timeout):
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                self._answer(client, tail + chunk)
                tail = chunk[-2:]
                with self._changed:
                    self._current[number] += chunk
                    self._changed.notify_all()
                if self.out is not None:
                    with open(self.out, "ab") as out:
                        out.write(chunk)
        finally:
            client.close()
            with self._changed:
                self.jobs.append(bytes(self._current.pop(number, b"")))
                self._changed.notify_all()

    def _answer(self, client: socket.socket, data: bytes) -> None:
        start = 0
        while (found := data.find(DLE_EOT, start)) != -1 and found + 2 < len(data):
            n = data[found + 2]
            if n in STATUS:
                status = PAPER_END if (self.mode == NO_PAPER and n == 4) else STATUS[n]
                try:
                    client.sendall(bytes([status]))
                except OSError:
                    return
            start = found + 3


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting is refused at once."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A network ESC/POS printer on 127.0.0.1 that keeps what it gets.")
    parser.add_argument("--port", type=int, default=9100, help="TCP port (0: any free one). Default 9100.")
    parser.add_argument("--out", help="Append every byte received to this file.")
    parser.add_argument("--mode", choices=(OK, NO_PAPER, STALL), default=OK)
    args = parser.parse_args(argv)
    emulator = PrinterEmulator(args.mode, args.port, args.out).start()
    print(f"Printer emulator ({args.mode}) listening on {emulator.address}"
          + (f", writing to {args.out}" if args.out else ""), flush=True)
    try:
        while True:
            before = len(emulator.jobs)
            emulator.wait_for(lambda e: len(e.jobs) > before, timeout=3600)
            for job in emulator.jobs[before:]:
                print(f"received {len(job)} bytes", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
