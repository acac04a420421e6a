"""The workbench: ipywidgets and anywidget panels over the service interface (vaist_lab.service.api).

`Workbench` is the whole app (the Voila app shows one); the panels also stand alone in notebooks, and
`Prototype` plays, plots and tweaks a plan with no database at all.
"""

from vaist_lab.ui.editor import ParameterEditor
from vaist_lab.ui.listen import ListenPanel
from vaist_lab.ui.prototype import Prototype
from vaist_lab.ui.responses import ResponseView
from vaist_lab.ui.workbench import Workbench

__all__ = ["ListenPanel", "ParameterEditor", "Prototype", "ResponseView", "Workbench"]
