"""An A/B player: every clip plays at once in WebAudio and only the selected one is heard, so switching is
instant, click-free and keeps the position. The user can also send their own audio file to Python."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anywidget
import numpy as np
import traitlets

from vaist_lab.errors import VaistError

from ._common import CHUNK_BYTES, STATIC_DIR, STYLESHEET, human_size

MAX_UPLOAD_BYTES = 50_000_000  # 50 MB: minutes of audio, and what a browser tab reads into memory without fuss

UploadCallback = Callable[[str, bytes], None]


@dataclass
class _Upload:
    """An upload being received: its chunks in order, None where one has not arrived yet."""

    name: str
    size: int
    chunks: list[bytes | None]

    def complete(self) -> bool:
        return all(chunk is not None for chunk in self.chunks)

    def received(self) -> int:
        return sum(chunk is not None for chunk in self.chunks)


class AudioPlayer(anywidget.AnyWidget):
    """Clips from `set_clips`, one heard at a time (`selected`), looped by default. With `level_match` each clip
    plays at its gain from `set_clips(gains=...)` (linear factors), so a louder version does not win by level.
    `message` is shown as a notice, `status` as a quiet state such as "rendering…". Files the user picks reach
    the callbacks given to `on_upload`."""

    _esm = STATIC_DIR / "player.js"
    _css = STYLESHEET

    selected = traitlets.Unicode("").tag(sync=True)
    loop = traitlets.Bool(True).tag(sync=True)
    level_match = traitlets.Bool(False).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    upload_limit_bytes = traitlets.Int(MAX_UPLOAD_BYTES, read_only=True).tag(sync=True)
    chunk_bytes = traitlets.Int(CHUNK_BYTES, read_only=True).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._clips: tuple[dict[str, Any], list[bytes]] | None = None
        self._version = 0
        self._uploads: dict[str, _Upload] = {}
        self._upload_callbacks: list[UploadCallback] = []
        self.on_msg(self._handle_message)

    def set_clips(
        self,
        sample_rate: int,
        clips: Mapping[str, np.ndarray],
        labels: Mapping[str, str] | None = None,
        gains: Mapping[str, float] | None = None,
    ) -> None:
        """Replace the clips, each (channels, samples) with 1 or 2 channels. Shorter clips are padded with
        silence to the longest, so that they loop together. A playing browser swaps them in without stopping."""
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, not {sample_rate}")
        if not clips:
            raise ValueError("set_clips needs at least one clip")
        arrays = {name: np.atleast_2d(np.asarray(audio, dtype=np.float32)) for name, audio in clips.items()}
        for name, audio in arrays.items():
            if audio.ndim != 2 or audio.shape[0] not in (1, 2):
                raise ValueError(f"clip {name!r}: expected (channels, samples) with 1 or 2 channels, not {audio.shape}")
        frames = max(audio.shape[1] for audio in arrays.values())
        if frames == 0:
            raise ValueError("every clip is empty")
        labels = labels or {}
        gains = gains or {}
        self._version += 1
        content: dict[str, Any] = {
            "type": "clips",
            "version": self._version,
            "sample_rate": int(sample_rate),
            "frames": frames,
            "clips": [
                {
                    "name": name,
                    "label": labels.get(name, name),
                    "gain": float(gains.get(name, 1.0)),
                    "channels": audio.shape[0],
                }
                for name, audio in arrays.items()
            ],
        }
        # planar float32, one buffer a clip; non-finite samples would make WebAudio output silence or noise
        buffers = [
            np.nan_to_num(np.pad(audio, ((0, 0), (0, frames - audio.shape[1]))), posinf=0.0, neginf=0.0).tobytes()
            for audio in arrays.values()
        ]
        self._clips = (content, buffers)
        self.send(content, buffers)

    def on_upload(self, callback: UploadCallback) -> None:
        """Call `callback(filename, data)` with each file the user sends."""
        self._upload_callbacks.append(callback)

    def _handle_message(self, _widget: AudioPlayer, content: dict[str, Any], buffers: list[memoryview]) -> None:
        kind = content.get("type")
        if kind == "ready" and self._clips is not None:  # a view rendered (or re-rendered): it has no clips yet
            self.send(*self._clips)
        elif kind == "upload":
            self._receive_chunk(content, buffers)

    def _receive_chunk(self, content: dict[str, Any], buffers: list[memoryview]) -> None:
        transfer, size, count, index = content["id"], int(content["size"]), int(content["count"]), int(content["index"])
        if size > self.upload_limit_bytes:
            limit = human_size(self.upload_limit_bytes)
            self.message = f"{content['name']} is {human_size(size)}; files up to {limit} can be used."
            return
        upload = self._uploads.setdefault(transfer, _Upload(content["name"], size, [None] * count))
        if len(upload.chunks) != count or not 0 <= index < count or len(buffers) != 1:
            del self._uploads[transfer]
            raise ValueError(f"upload {upload.name!r}: malformed chunk {index} of {count}")
        upload.chunks[index] = bytes(buffers[0])
        self.send({"type": "upload-progress", "id": transfer, "received": upload.received(), "count": count})
        if not upload.complete():
            return
        del self._uploads[transfer]
        data = b"".join(chunk for chunk in upload.chunks if chunk is not None)
        if len(data) != upload.size:
            self.message = f"{upload.name}: received {human_size(len(data))} of {human_size(upload.size)}; try again"
            return
        for callback in self._upload_callbacks:
            try:
                callback(upload.name, data)
            except VaistError as error:
                self.message = str(error)


__all__ = ["MAX_UPLOAD_BYTES", "AudioPlayer"]
