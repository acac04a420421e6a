"""Saves bytes as a file in the browser, with no server route: works the same in Voila and JupyterLab."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from vaist_lab.errors import VaistError

from ._common import CHUNK_BYTES, STATIC_DIR, STYLESHEET, human_size

RequestCallback = Callable[[], None]


class Download(anywidget.AnyWidget):
    """`deliver(filename, data)` makes the browser save `data` as `filename`. With a `label` it also shows a
    button; a click calls the callbacks given to `on_request`, which prepare the file and call `deliver`.
    `status` says what is happening ("saving NAME (12.3 MB)", "saved …"), `error` what went wrong; `busy` is
    true from a click until the browser saved the file (or nothing was delivered)."""

    _esm = STATIC_DIR / "download.js"
    _css = STYLESHEET

    label = traitlets.Unicode("").tag(sync=True)
    enabled = traitlets.Bool(True).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)

    def __init__(self, label: str = "", **kwargs: Any) -> None:
        super().__init__(label=label, **kwargs)
        self._request_callbacks: list[RequestCallback] = []
        self._pending: dict[str, str] = {}  # transfer id -> what the status says once the browser saved it
        self.on_msg(self._handle_message)

    def on_request(self, callback: RequestCallback) -> None:
        """Call `callback()` when the user clicks the button; it should call `deliver`."""
        self._request_callbacks.append(callback)

    def reset(self) -> None:
        """Forget what the last download said (the button now stands for another file)."""
        if not self.busy:
            self.status = self.error = ""

    def deliver(self, filename: str, data: bytes, mime: str = "application/zip") -> None:
        transfer = uuid.uuid4().hex
        described = f"{filename} ({human_size(len(data))})"
        self._pending[transfer] = f"saved {described}"
        self.error = ""
        self.status = f"saving {described}"
        self.busy = True
        view = memoryview(data)
        count = max(1, math.ceil(len(data) / CHUNK_BYTES))
        for index in range(count):
            header = {
                "type": "file",
                "id": transfer,
                "name": filename,
                "mime": mime,
                "size": len(data),
                "index": index,
                "count": count,
            }
            self.send(header, [view[index * CHUNK_BYTES : (index + 1) * CHUNK_BYTES]])

    def _handle_message(self, _widget: Download, content: dict[str, Any], _buffers: list[memoryview]) -> None:
        kind = content.get("type")
        if kind == "request":
            self.error = ""
            self.status = "preparing…"
            self.busy = True
            for callback in self._request_callbacks:
                try:
                    callback()
                except VaistError as error:
                    self.status = ""
                    self.error = str(error)
            if not self._pending:  # nothing delivered: the button is free again
                self.busy = False
                if self.status == "preparing…":
                    self.status = ""
        elif kind == "saved" and content.get("id") in self._pending:
            self.status = self._pending.pop(content["id"])
            self.busy = bool(self._pending)


__all__ = ["Download"]
