"""The workbench's own widgets (anywidget): canvas plots, an A/B audio player, a streaming log, file downloads.
Each one's browser side is a plain ES module in vaist_lab/ui/static; they share components.css."""

from .download import Download
from .logview import LogView
from .player import AudioPlayer
from .plot import Axis, Panel, ResponsePlot, Series

__all__ = ["AudioPlayer", "Axis", "Download", "LogView", "Panel", "ResponsePlot", "Series"]
