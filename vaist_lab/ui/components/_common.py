"""What the components share: where their browser code lives and how big one binary message may be."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STYLESHEET = STATIC_DIR / "components.css"

# The Jupyter server refuses websocket messages over 10 MiB (tornado's default), so large payloads travel in
# chunks of at most this many bytes in either direction.
CHUNK_BYTES = 4 * 1024 * 1024


def human_size(size: int) -> str:
    """12.3 MB, 512 kB, 20 B: decimal units, as file managers show them."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"
