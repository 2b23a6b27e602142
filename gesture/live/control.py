"""`gesture status`, `gesture pause` and `gesture resume`: a running `gesture run`, asked from
another terminal (or a desktop shortcut) over a local socket only its user can open.

The socket is a Unix domain socket in $XDG_RUNTIME_DIR/gesture/ (else ~/.local/state/gesture/),
in a folder of mode 0700, itself 0600. One JSON line in, one JSON line out:

    {"cmd": "status"}   -> {"running": true, "pid": ..., "model": ..., "keys": ..., "paused": false,
                            "presses_today": 12, "since": "..."}
    {"cmd": "pause"}    -> the same, paused; {"cmd": "resume"} likewise

A pause or resume is queued and applied by the loop between two frames, as the preview's p
key is, so a held key is released on the loop's own thread. The server thread only reads
what the loop last published. Where the platform has no Unix sockets (Windows), there is no
control and `gesture status` says so.
"""
from __future__ import annotations

import datetime
import json
import os
import socket
import threading
from pathlib import Path

from ..errors import GestureError
from .commands import Commands

COMMANDS = ("status", "pause", "resume")


def folder() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR")
    return (Path(base) if base else Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")) \
        / "gesture"


def socket_path() -> Path:
    return folder() / "control.sock"


def supported() -> bool:
    return hasattr(socket, "AF_UNIX")


def ask(cmd: str, timeout: float = 5.0) -> dict:
    """Send one command to the running `gesture run`; its answer. GestureError where none runs."""
    if not supported():
        raise GestureError("gesture status, pause and resume need Unix sockets, which this platform lacks")
    path = socket_path()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall((json.dumps({"cmd": cmd}) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except (FileNotFoundError, ConnectionRefusedError):
        raise GestureError("no gesture run is running (start one with `gesture run`, or at login with "
                           "`gesture autostart on`)") from None
    except OSError as e:
        raise GestureError(f"cannot reach the running gesture run at {path}: {e.strerror or e}") from None
    try:
        return json.loads(data)
    except ValueError:
        raise GestureError(f"the running gesture run gave no answer at {path}; restart it") from None


def alive() -> bool:
    """A `gesture run` answers on the socket."""
    try:
        ask("status", timeout=1.0)
        return True
    except GestureError:
        return False


class Control:
    """The server side, in `gesture run`: a thread answering on the socket, and the queue the
    loop drains between frames."""

    def __init__(self, model: str, keys: str | None, log=print):
        self.pending = Commands()  # (cmd, done): the loop drains it between frames, as the preview's keys
        self.state = {"running": True, "pid": os.getpid(), "model": model, "keys": keys, "paused": False,
                      "presses_today": 0, "since": datetime.datetime.now().isoformat(timespec="seconds")}
        self.day = datetime.date.today()
        self.sock = None
        self.path = socket_path()
        if not supported():
            return
        if alive():
            log(f"another gesture run answers at {self.path}: this one takes no status or pause commands")
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.path.parent, 0o700)
            if self.path.exists() or self.path.is_symlink():
                self.path.unlink()  # a stale socket: nothing answered on it
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old = os.umask(0o177)  # the socket is created 0600: only this user connects
            try:
                sock.bind(str(self.path))
            finally:
                os.umask(old)
            sock.listen(4)
        except OSError as e:
            log(f"no status or pause commands for this run: cannot open {self.path}: {e.strerror or e}")
            return
        self.sock = sock
        threading.Thread(target=self._serve, name="gesture-control", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            with conn:
                try:
                    conn.settimeout(2.0)
                    line = conn.makefile("rb").readline(4096)
                    cmd = json.loads(line).get("cmd") if line else None
                except (OSError, ValueError, AttributeError):
                    continue
                if cmd in ("pause", "resume"):
                    done = threading.Event()
                    self.pending.put(cmd, done)
                    done.wait(2.0)  # applied by the loop at its next frame
                reply = dict(self.state) if cmd in COMMANDS else {"error": f"unknown command {cmd!r}"}
                try:
                    conn.sendall((json.dumps(reply) + "\n").encode())
                except OSError:
                    pass

    def publish(self, paused: bool, fired: int) -> None:
        """The loop's state after a frame: whether it is paused, and how many presses it fired."""
        today = datetime.date.today()
        if today != self.day:
            self.day, self.state["presses_today"] = today, 0
        self.state["paused"] = paused
        self.state["presses_today"] += fired

    def close(self) -> None:
        if self.sock is None:
            return
        self.state["running"] = False
        for step in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close, self.path.unlink):
            try:
                step()  # shutdown wakes the thread blocked in accept()
            except OSError:
                pass
        self.sock = None
