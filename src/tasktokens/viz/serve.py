"""`tasktokens view`: serve the web viewer for recorded rollouts on a local port."""

from __future__ import annotations

import json
import threading
import time
import webbrowser
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import tyro
from rich.console import Console

from tasktokens.viz.recording import load_recording

VIEWER_DIR = Path(__file__).parent / "viewer"
console = Console(stderr=True)


def find_recordings(paths) -> list[Path]:
    """Recording files among the paths; a folder contributes its *.json recordings (recursively)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.json") if _is_recording(q))
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such recording or folder")
    if not found:
        raise FileNotFoundError(f"no recordings in {[str(p) for p in paths]}; make one with `tasktokens play ... --record FILE.json`")
    return found


def _is_recording(path: Path) -> bool:
    try:
        with open(path) as f:
            return f.read(40).startswith('{"version":1')
    except OSError:
        return False


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, recordings: list[Path], **kwargs):
        self.recordings = recordings
        super().__init__(*args, directory=str(VIEWER_DIR), **kwargs)

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.split("?")[0] == "/recordings.json":
            listing = [{"url": f"rec/{i}.json", "label": p.stem} for i, p in enumerate(self.recordings)]
            return self._send(json.dumps(listing).encode())
        if self.path.startswith("/rec/"):
            i = int(self.path[5:].split(".")[0])
            return self._send(self.recordings[i].read_bytes())
        return super().do_GET()

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class View:
    """Serve recorded rollouts in the web viewer (play/pause, scrub, speed, follow camera)."""

    paths: tyro.conf.Positional[tuple[Path, ...]]
    """Recordings (--record files) or folders holding them; several play side by side."""
    port: int = 8765
    host: str = "127.0.0.1"
    open: bool = False
    """Open the page in the default browser."""
    seconds: float = 0.0
    """Stop serving after this many seconds (0: until interrupted)."""

    def run(self) -> str:
        recordings = find_recordings(self.paths)
        for r in recordings:
            load_recording(r)  # fail now, with the file's name, rather than in the browser
        server = ThreadingHTTPServer((self.host, self.port), partial(_Handler, recordings=recordings))
        url = f"http://{self.host}:{server.server_address[1]}/index.html"
        console.print(f"viewer at {url} ({len(recordings)} recording(s)); Ctrl-C to stop")
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        if self.open:
            webbrowser.open(url)
        try:
            deadline = time.time() + self.seconds if self.seconds > 0 else None
            while deadline is None or time.time() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
        return url
