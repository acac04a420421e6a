"""The Python side of the anywidget components: what they send to the browser and how they take its messages.

Messages travel through a recording comm (ipywidgets' `comm.create_comm` is the documented place to plug one
in); browser messages are fed through `comm.handle_msg` exactly as the kernel delivers them.
"""

from __future__ import annotations

import json
import math
from typing import Any

import comm
import numpy as np
import pytest
from comm.base_comm import BaseComm

from vaist_lab.errors import VaistError
from vaist_lab.ui.components import AudioPlayer, Axis, Download, LogView, Panel, ResponsePlot, Series
from vaist_lab.ui.components._common import CHUNK_BYTES, human_size
from vaist_lab.ui.components.plot import MAX_POINTS, clean_points, decimate

Message = tuple[dict[str, Any], list[bytes]]


class RecordingComm(BaseComm):
    """A comm that keeps what the widget publishes instead of sending it to a frontend."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.published: list[tuple[str, dict[str, Any], list[bytes]]] = []
        super().__init__(*args, **kwargs)

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        self.published.append((msg_type, data or {}, [bytes(buffer) for buffer in buffers or []]))


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comm, "create_comm", RecordingComm)


def sent(widget: Any) -> list[Message]:
    """The custom messages the widget sent so far, and clear the record."""
    messages = [
        (data["content"], buffers)
        for kind, data, buffers in widget.comm.published
        if kind == "comm_msg" and data.get("method") == "custom"
    ]
    widget.comm.published.clear()
    return messages


def from_browser(widget: Any, content: dict[str, Any], buffers: list[bytes] = ()) -> None:
    """Deliver a custom message as the browser's `model.send(content, undefined, buffers)` arrives."""
    widget.comm.handle_msg(
        {
            "content": {"data": {"method": "custom", "content": content}},
            "buffers": [memoryview(buffer) for buffer in buffers],
        }
    )


# ------------------------------------------------------------------------------------------------ ResponsePlot


def test_decimate_keeps_the_extremes_and_the_ends_in_at_most_max_points() -> None:
    frequency = np.linspace(1.0, 24000.0, 100_001)
    level = np.random.default_rng(0).normal(size=frequency.size)
    level[77_777] = 40.0  # a one-bin resonance must survive
    level[12_345] = -50.0
    x, y = decimate(frequency, level, log_x=True)
    assert x.size <= MAX_POINTS
    assert y.max() == 40.0 and y.min() == -50.0
    assert x[0] == frequency[0] and x[-1] == frequency[-1]
    assert np.all(np.diff(x) > 0)
    assert set(zip(x.tolist(), y.tolist(), strict=True)) <= set(zip(frequency.tolist(), level.tolist(), strict=True))


def test_decimate_spreads_points_over_the_log_axis() -> None:
    frequency = np.linspace(20.0, 20000.0, 50_000)  # FFT bins: dense at the top on a log axis
    x, _ = decimate(frequency, np.zeros_like(frequency), log_x=True)
    decades = np.histogram(np.log10(x), bins=[np.log10(20), 2, 3, np.log10(20000)])[0]
    assert decades.min() > 50  # each decade gets its share, not only the top one


def test_decimate_leaves_short_series_alone() -> None:
    x = np.arange(10.0)
    assert decimate(x, x * 2, log_x=False)[1].tolist() == (x * 2).tolist()


def test_clean_points_drops_nan_pins_infinities_and_sorts() -> None:
    x = np.array([3.0, 0.0, 1.0, 2.0, 4.0, 5.0])
    y = np.array([1.0, 2.0, -np.inf, np.nan, np.inf, 5.0])
    bounded = Axis("Level", "linear", -60.0, None, "dB")
    cx, cy = clean_points(x, y, Axis("f", "log", None, None, "Hz"), bounded)
    assert cx.tolist() == [1.0, 3.0, 5.0]  # 0 Hz has no place on a log axis; +inf has no upper bound to go to
    assert cy.tolist() == [-60.0, 1.0, 5.0]


def test_show_sends_plain_rounded_json_and_a_new_revision() -> None:
    plot = ResponsePlot(columns=3, height_px=180)
    frequency = np.geomspace(20.0, 20000.0, 5000)
    frequency_axis = Axis("Frequency", "log", 20.0, 20000.0, "Hz")
    panel = Panel(
        "Magnitude",
        frequency_axis,
        Axis("Magnitude", "linear", None, None, "dB"),
        [
            Series("peaks", frequency, -20.0 * np.log10(frequency / 1000.0 + 1.0 / 3.0), color="#123456"),
            Series("dips", frequency, np.full(frequency.size, np.nan), dash=True),
        ],
        "a note",
    )
    plot.show([panel])
    plot.show([panel])
    assert plot.revision == 2
    [figure] = json.loads(json.dumps(plot.panels, allow_nan=False))
    assert figure["title"] == "Magnitude" and figure["note"] == "a note"
    assert figure["x"] == {"label": "Frequency", "scale": "log", "min": 20.0, "max": 20000.0, "unit": "Hz"}
    assert figure["y"]["min"] is None
    peaks, dips = figure["series"]
    assert (peaks["name"], peaks["color"], peaks["dash"]) == ("peaks", "#123456", False)
    assert len(peaks["x"]) == len(peaks["y"]) <= MAX_POINTS
    assert all(len(repr(value)) <= 12 for value in peaks["x"] + peaks["y"])  # a few significant digits
    assert dips == {"name": "dips", "color": None, "dash": True, "x": [], "y": []}
    assert (plot.columns, plot.height_px) == (3, 180)


def test_series_and_axes_are_checked() -> None:
    with pytest.raises(ValueError, match="scale"):
        Axis("f", "logarithmic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        Axis("f", "log", 0.0, 100.0)
    with pytest.raises(ValueError, match="3 x values but 2 y values"):
        ResponsePlot().show([Panel("p", Axis("x"), Axis("y"), [Series("s", [1, 2, 3], [1, 2])])])


# ------------------------------------------------------------------------------------------------ AudioPlayer


def test_set_clips_sends_one_message_with_float32_planar_buffers_padded_to_the_longest() -> None:
    player = AudioPlayer()
    stereo = np.vstack([np.linspace(-1, 1, 6), np.linspace(1, -1, 6)])
    mono = np.array([[0.5, 0.25, 0.125, np.nan]])
    player.set_clips(44100, {"dry": stereo, "wet": mono}, labels={"dry": "Dry"}, gains={"wet": 0.5})
    [(content, buffers)] = sent(player)
    assert content["type"] == "clips" and content["sample_rate"] == 44100 and content["frames"] == 6
    assert content["clips"] == [
        {"name": "dry", "label": "Dry", "gain": 1.0, "channels": 2},
        {"name": "wet", "label": "wet", "gain": 0.5, "channels": 1},
    ]
    dry = np.frombuffer(buffers[0], dtype=np.float32).reshape(2, 6)
    np.testing.assert_allclose(dry, stereo, rtol=1e-6)
    assert np.frombuffer(buffers[1], dtype=np.float32).tolist() == [0.5, 0.25, 0.125, 0.0, 0.0, 0.0]


def test_a_view_that_says_ready_gets_the_current_clips_again() -> None:
    player = AudioPlayer()
    from_browser(player, {"type": "ready"})
    assert sent(player) == []  # nothing to send yet
    player.set_clips(48000, {"a": np.zeros((1, 4))})
    first = sent(player)
    player.set_clips(48000, {"a": np.ones((1, 4))})
    second = sent(player)
    from_browser(player, {"type": "ready"})
    assert sent(player) == second != first
    assert second[0][0]["version"] == first[0][0]["version"] + 1


def test_set_clips_rejects_what_cannot_be_played() -> None:
    player = AudioPlayer()
    with pytest.raises(ValueError, match="1 or 2 channels"):
        player.set_clips(48000, {"surround": np.zeros((6, 100))})
    with pytest.raises(ValueError, match="at least one clip"):
        player.set_clips(48000, {})


def upload_messages(name: str, data: bytes, transfer: str = "t1") -> list[tuple[dict[str, Any], list[bytes]]]:
    """The messages player.js sends for a file: chunks of at most chunk_bytes, each with its header."""
    count = max(1, math.ceil(len(data) / CHUNK_BYTES))
    return [
        (
            {"type": "upload", "id": transfer, "name": name, "size": len(data), "index": index, "count": count},
            [data[index * CHUNK_BYTES : (index + 1) * CHUNK_BYTES]],
        )
        for index in range(count)
    ]


def test_an_upload_in_chunks_is_reassembled_and_handed_to_the_callback() -> None:
    player = AudioPlayer()
    received: list[tuple[str, bytes]] = []
    player.on_upload(lambda name, data: received.append((name, data)))
    data = np.random.default_rng(1).integers(0, 256, 2 * CHUNK_BYTES + 12345, dtype=np.uint8).tobytes()
    messages = upload_messages("take 1.wav", data)
    assert len(messages) == 3
    for content, buffers in [messages[2], messages[0], messages[1]]:  # whatever order they arrive in
        from_browser(player, content, buffers)
    assert received == [("take 1.wav", data)]
    acknowledgements = [content for content, _ in sent(player)]  # player.js sends the next chunk on each
    assert acknowledgements == [
        {"type": "upload-progress", "id": "t1", "received": received, "count": 3} for received in (1, 2, 3)
    ]
    assert player._uploads == {}


def test_an_upload_over_the_limit_is_refused_with_its_size() -> None:
    player = AudioPlayer()
    received: list[str] = []
    player.on_upload(lambda name, _data: received.append(name))
    header, _ = upload_messages("long.flac", b"x")[0]
    from_browser(player, {**header, "size": 60_000_000}, [b"x"])
    assert received == []
    assert player.message == "long.flac is 60.0 MB; files up to 50.0 MB can be used."


def test_a_user_error_in_the_upload_callback_becomes_the_message() -> None:
    player = AudioPlayer()

    def refuse(name: str, _data: bytes) -> None:
        raise VaistError(f"{name}: not a WAV, FLAC or Ogg file")

    player.on_upload(refuse)
    for content, buffers in upload_messages("notes.txt", b"hello"):
        from_browser(player, content, buffers)
    assert player.message == "notes.txt: not a WAV, FLAC or Ogg file"


# ------------------------------------------------------------------------------------------------ LogView


def log_line(number: int, level: str = "info", **fields: Any) -> dict[str, Any]:
    return {
        "id": number,
        "level": level,
        "source": "cmake",
        "platform": "linux",
        "message": f"line {number}",
        "time": 1700000000.0 + number,
        **fields,
    }


def test_append_sends_only_the_new_lines_and_keeps_at_most_max_lines() -> None:
    log = LogView(max_lines=5)
    log.append([log_line(number) for number in range(3)])
    log.append([log_line(number) for number in range(3, 11)])
    first, second = sent(log)
    assert [line["id"] for line in first[0]["lines"]] == ["0", "1", "2"]
    assert [line["id"] for line in second[0]["lines"]] == ["6", "7", "8", "9", "10"]  # the batch's newest
    assert second[0]["total"] == 11
    assert [line["id"] for line in log.lines] == ["6", "7", "8", "9", "10"]
    assert log.max_lines == 5


def test_a_view_that_says_ready_gets_the_whole_snapshot_of_the_current_generation() -> None:
    log = LogView(max_lines=3)
    log.append([log_line(number) for number in range(4)])
    sent(log)
    from_browser(log, {"type": "ready"})
    [(snapshot, _)] = sent(log)
    assert snapshot["type"] == "snapshot" and snapshot["total"] == 4
    assert [line["id"] for line in snapshot["lines"]] == ["1", "2", "3"]
    log.clear()
    [(cleared, _)] = sent(log)
    assert cleared["type"] == "clear" and cleared["generation"] == snapshot["generation"] + 1
    from_browser(log, {"type": "ready"})
    assert sent(log)[0][0]["lines"] == []


def test_lines_are_completed_and_given_ids() -> None:
    log = LogView()
    log.append([{"message": "configuring"}, {"message": "done", "level": "debug"}])
    first, second = log.lines
    assert first == {
        "id": first["id"],
        "level": "info",
        "source": "system",
        "platform": "",
        "message": "configuring",
        "file": "",
        "line": None,
        "column": None,
        "time": None,
    }
    assert first["id"] != second["id"]
    with pytest.raises(ValueError, match="log level"):
        log.append([{"message": "x", "level": "fatal"}])
    with pytest.raises(ValueError, match="unknown fields"):
        log.append([{"message": "x", "severity": "error"}])


def test_first_error_prefers_a_located_compiler_or_linker_error() -> None:
    log = LogView()
    log.append([log_line(1, "warning")])
    assert log.first_error is None
    log.append([log_line(2, "error", source="cmake")])
    assert log.first_error["id"] == "2"
    located = log_line(3, "error", source="compiler", file="Source/PluginProcessor.cpp", line=42, column=7)
    log.append([located, log_line(4, "error", source="linker", file="Plugin.a")])
    assert log.first_error["id"] == "3" and log.first_error["line"] == 42
    log.clear()
    assert log.first_error is None


# ------------------------------------------------------------------------------------------------ Download


def test_deliver_sends_the_bytes_in_chunks_the_browser_reassembles() -> None:
    download = Download()
    data = np.random.default_rng(2).integers(0, 256, CHUNK_BYTES + 1000, dtype=np.uint8).tobytes()
    download.deliver("Echo.zip", data)
    chunks = sent(download)
    assert [content["index"] for content, _ in chunks] == [0, 1]
    assert {
        (content["id"], content["count"], content["name"], content["mime"], content["size"]) for content, _ in chunks
    } == {(chunks[0][0]["id"], 2, "Echo.zip", "application/zip", len(data))}
    assert all(len(buffer) <= CHUNK_BYTES for _, [buffer] in chunks)
    assert b"".join(buffer for _, [buffer] in chunks) == data
    assert (download.status, download.busy) == ("saving Echo.zip (4.2 MB)", True)
    from_browser(download, {"type": "saved", "id": chunks[0][0]["id"]})
    assert (download.status, download.busy) == ("saved Echo.zip (4.2 MB)", False)


def test_a_click_asks_python_for_the_file() -> None:
    download = Download(label="Download project")
    download.on_request(lambda: download.deliver("p.zip", b"PK"))
    from_browser(download, {"type": "request"})
    [(content, [buffer])] = sent(download)
    assert (content["name"], buffer, download.busy) == ("p.zip", b"PK", True)


def test_a_click_that_delivers_nothing_frees_the_button_and_shows_a_user_error() -> None:
    download = Download(label="Download project")

    def fail() -> None:
        raise VaistError("nothing built yet: build the plugin first")

    download.on_request(fail)
    from_browser(download, {"type": "request"})
    assert (download.status, download.error, download.busy) == ("", "nothing built yet: build the plugin first", False)
    assert sent(download) == []


def test_human_size() -> None:
    sizes = (20, 1500, 12_300_000, 3_000_000_000)
    assert [human_size(size) for size in sizes] == ["20 B", "1.5 kB", "12.3 MB", "3.0 GB"]
