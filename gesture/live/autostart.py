"""`gesture autostart on|off`: `gesture run` in the background from login on, and off again.

On Linux `on` writes an XDG autostart entry, $XDG_CONFIG_HOME/autostart/gesture.desktop
(what every desktop session starts), and, where systemd's user instance answers, a user unit
$XDG_CONFIG_HOME/systemd/user/gesture.service, enabled for the graphical session. Both run

    python -m gesture run --background --keys KEYS [--checkpoint CKPT]

with the interpreter and the absolute paths of today, so a login finds them wherever it
starts. `--background` means no window, output appended to $XDG_STATE_HOME/gesture/run.log,
and one instance: a second start (the entry and the unit both) finds the first answering on
the control socket (control.py) and leaves. `off` removes exactly what `on` wrote. On
macOS and Windows it says what to do instead.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import GestureError
from ..util import atomic_write

NAME = "gesture"


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")


def desktop_path() -> Path:
    return config_home() / "autostart" / f"{NAME}.desktop"


def unit_path() -> Path:
    return config_home() / "systemd" / "user" / f"{NAME}.service"


def log_path() -> Path:
    return state_home() / "gesture" / "run.log"


def command(keys: Path, checkpoint: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "gesture", "run", "--background", "--keys", str(keys.resolve())]
    if checkpoint:
        cmd += ["--checkpoint", checkpoint if checkpoint == "starter" else str(Path(checkpoint).resolve())]
    return cmd


def desktop_quote(arg: str) -> str:
    """One Exec argument, as the Desktop Entry spec quotes it: in double quotes with ", `, $ and \\
    escaped, then every backslash doubled as string values escape it; % doubled (no field code)."""
    arg = arg.replace("%", "%%")
    if not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return arg
    quoted = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return quoted.replace("\\", "\\\\")  # the string escape comes on top of the quoting (the spec's four \\)


def desktop_entry(cmd: list[str]) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=gesture",
        "Comment=Hand gestures to key presses, in the background (gesture run)",
        "Exec=" + " ".join(desktop_quote(a) for a in cmd),
        "Terminal=false",
        "NoDisplay=true",
        "X-GNOME-Autostart-enabled=true",
        "",
    ])


def systemd_quote(arg: str) -> str:
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def unit(cmd: list[str]) -> str:
    return "\n".join([
        "[Unit]",
        "Description=gesture: hand gestures to key presses (gesture run --background)",
        "PartOf=graphical-session.target",
        "After=graphical-session.target",
        "",
        "[Service]",
        "ExecStart=" + " ".join(systemd_quote(a) for a in cmd),
        "Restart=on-failure",
        "",
        "[Install]",
        "WantedBy=graphical-session.target",
        "",
    ])


def systemd_user() -> bool:
    """systemd's user instance is there to take a unit."""
    if shutil.which("systemctl") is None:
        return False
    try:
        return subprocess.run(["systemctl", "--user", "show-environment"],
                              capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def systemctl(*args: str) -> None:
    subprocess.run(["systemctl", "--user", *args], capture_output=True, timeout=30)


def elsewhere() -> str | None:
    """What to do instead where this is not Linux, or None."""
    if sys.platform == "darwin":
        return ("gesture autostart is Linux only for now: on macOS, add a login item (System Settings > General > "
                "Login Items) that runs `gesture run --background --keys KEYS`")
    if sys.platform.startswith("win"):
        return ("gesture autostart is Linux only for now: on Windows, put a shortcut to `gesture run --background "
                "--keys KEYS` in shell:startup (Win+R, shell:startup)")
    return None


def on(keys: Path, checkpoint: str | None, log=print) -> None:
    cmd = command(keys, checkpoint)
    written = [desktop_path()]
    _write(desktop_path(), desktop_entry(cmd))
    if systemd_user():
        _write(unit_path(), unit(cmd))
        systemctl("daemon-reload")
        systemctl("enable", f"{NAME}.service")
        written.append(unit_path())
    log(f"gesture run starts at login: {' and '.join(map(str, written))}")
    log(f"  runs: {' '.join(cmd)}")
    log(f"  logs to {log_path()}; `gesture status` answers while it runs; `gesture autostart off` undoes this")


def off(log=print) -> None:
    removed = []
    if unit_path().exists():
        if systemd_user():
            systemctl("disable", f"{NAME}.service")
        unit_path().unlink()
        removed.append(unit_path())
        if systemd_user():
            systemctl("daemon-reload")
    if desktop_path().exists():
        desktop_path().unlink()
        removed.append(desktop_path())
    for folder in (unit_path().parent, unit_path().parent.parent, desktop_path().parent, config_home()):
        try:
            folder.rmdir()  # only if empty: a folder this made, or one nothing else uses
        except OSError:
            pass
    log("removed " + " and ".join(map(str, removed)) if removed else "gesture autostart was not on: nothing to remove")
    if log_path().exists():  # the background runs' output: the user's to read or delete, not ours to drop
        log(f"left the background runs' log at {log_path()}: delete it when you no longer need it")


def show(log=print) -> None:
    found = [p for p in (desktop_path(), unit_path()) if p.exists()]
    if not found:
        log("gesture autostart is off (turn it on with `gesture autostart on`)")
        return
    for p in found:
        line = next((x for x in p.read_text(encoding="utf-8", errors="replace").splitlines()
                     if x.startswith(("Exec=", "ExecStart="))), "")
        log(f"on: {p}\n  {line}")
    log(f"  log: {log_path()}")


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    except OSError as e:
        raise GestureError(f"cannot write {path}: {e.strerror or e}") from None
