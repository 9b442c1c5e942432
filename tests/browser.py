"""Render a local HTML file in Debian's headless Chromium: DOM, screenshot, console messages.

`render(page, screenshot=...)` runs `chromium --headless` twice on `file://<page>` (once with
--dump-dom, once with --screenshot: one run cannot do both) and reads what the page wrote to
the console from Chromium's log on stderr (--enable-logging=stderr --v=0), where each console
message is a line like

    [5691:5691:1203/064026.440610:INFO:CONSOLE:2] "deliberate error 42", source: file:///t.html (2)
    [5691:5691:1203/064026.442692:INFO:CONSOLE:3] "Uncaught Error: boom", source: file:///t.html (3)

Chromium 156 (Debian 12) logs console.log, console.warn and console.error alike, all at INFO:
the log does not say which method wrote a message. So every console message counts as an
error here (a report page has no reason to write to the console at all); an uncaught
exception is a message starting with "Uncaught". Older builds wrote `CONSOLE(2)`; both parse.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

WINDOW = (1280, 2400)
CONSOLE = re.compile(r":(?P<level>[A-Z]+):CONSOLE(?::\d+|\(\d+\))\] (?P<message>.*)$")
# Lines Chromium logs on a machine without a desktop session: not the page's doing.
NOISE = (
    "dbus",
    "vaapi",
    "sandbox_linux",
    "idle_linux",
    "bluez",
    "property.cc",
    "unexpected operator",
)


class BrowserMissing(RuntimeError):
    pass


class BrowserFailed(RuntimeError):
    pass


@dataclass
class Rendered:
    dom: str
    console: list[str] = field(default_factory=list)  # every console message of both runs
    screenshot: Path | None = None

    @property
    def errors(self) -> list[str]:
        """Console messages (this Chromium logs no level for them: all count) and exceptions."""
        return list(self.console)

    @property
    def exceptions(self) -> list[str]:
        return [m for m in self.console if m.startswith('"Uncaught')]


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        raise BrowserMissing(
            "headless Chromium is not installed (no `chromium` on PATH): "
            "apt-get install -y chromium  (.ci/run installs it)"
        )
    return found


def console_messages(stderr: str) -> list[str]:
    return [m.group("message") for line in stderr.splitlines() if (m := CONSOLE.search(line))]


def _run(page: Path, mode: str, timeout: float) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                "--enable-logging=stderr",
                "--v=0",
                mode,
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    if proc.returncode != 0:
        lines = [
            line
            for line in proc.stderr.splitlines()
            if line.strip() and not any(n in line for n in NOISE)
        ]
        tail = "\n".join(lines[-15:])
        raise BrowserFailed(f"chromium {mode} exited with {proc.returncode}:\n{tail}")
    return proc


def render(page: Path, screenshot: Path | None = None, timeout: float = 120) -> Rendered:
    """The page's rendered DOM and console messages; a PNG of it at `screenshot` if given."""
    if not page.is_file():
        raise FileNotFoundError(page)
    dumped = _run(page, "--dump-dom", timeout)
    rendered = Rendered(dom=dumped.stdout, console=console_messages(dumped.stderr))
    if screenshot is not None:
        screenshot.unlink(missing_ok=True)
        shot = _run(page, f"--screenshot={screenshot.resolve()}", timeout)
        rendered.console += console_messages(shot.stderr)
        if not screenshot.is_file():
            raise BrowserFailed(f"chromium wrote no screenshot to {screenshot}")
        rendered.screenshot = screenshot
    return rendered


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header."""
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def png_distinct_bytes(path: Path) -> int:
    """Distinct byte values of the decompressed image data (filter bytes included): a page of
    one colour has a handful whatever the filters, text and charts have hundreds."""
    data = path.read_bytes()
    pos, idat = 8, bytearray()
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(bytes(idat))))
