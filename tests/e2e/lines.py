"""Reading a child process's output line by line while it runs, without losing its last lines."""

import queue
import socket
import subprocess
import threading
import time
from collections.abc import Callable


class LineReader:
    """Collects a text-mode child's stdout on a thread; `wait_for` blocks until a line matches. Only this
    reader touches the pipe (a second reader, e.g. `communicate()`, would take lines from it)."""

    def __init__(self, process: "subprocess.Popen[str]") -> None:
        assert process.stdout is not None
        self._process = process
        self._lines: queue.Queue[str] = queue.Queue()
        self._seen: list[str] = []
        stream = process.stdout
        self._thread = threading.Thread(
            target=lambda: [self._lines.put(line) for line in stream], daemon=True
        )
        self._thread.start()

    def wait_for(self, matches: Callable[[str], bool], timeout_seconds: float) -> bool:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.5)
            except queue.Empty:
                if self._process.poll() is not None and not self._thread.is_alive():
                    return False
                continue
            self._seen.append(line)
            if matches(line):
                return True
        return False

    def finish(self, timeout_seconds: float = 10.0) -> None:
        """After the child exited: wait for the pipe's end and keep every remaining line."""
        self._thread.join(timeout_seconds)
        while not self._lines.empty():
            self._seen.append(self._lines.get())
        if not self._thread.is_alive() and self._process.stdout is not None:
            self._process.stdout.close()

    def text(self) -> str:
        return "".join(self._seen)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
