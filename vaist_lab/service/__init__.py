"""The use cases of vAIst lab (projects, plan turns, approval, builds, downloads, limits, cleanup), each
for an explicit current user; see `Lab`, and `UserLab` for one user's as the workbench speaks to them
(vaist_lab.service.api). The storage underneath is vaist_lab.store.

The names below are imported on first use (PEP 562): importing `vaist_lab.service.api`, `.views` or
`.errors` loads no database library, so that a client of the hub service (vaist_lab.hub.client) runs where
SQLAlchemy, the store and the builders are not wanted; `from vaist_lab.service import Lab` works as ever."""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = {
    "builds": (
        "BuildExecutor",
        "BuildJob",
        "BuildRunner",
        "DetachedBuildExecutor",
        "QueuedBuildExecutor",
        "ThreadBuildExecutor",
        "host_platform",
    ),
    "errors": (
        "BuilderUnavailable",
        "InvalidInput",
        "InvalidTransition",
        "NotFound",
        "ProjectNotFound",
        "RateLimited",
        "ServiceError",
        "TooLarge",
    ),
    "lab": ("LOCAL_USER_EMAIL", "Lab"),
    "settings": ("LabSettings", "parse_age"),
    "status": ("TRANSITIONS", "check_transition"),
    "user_lab": ("UserLab",),
    "views": (
        "ApiKeyInfo",
        "ArtifactView",
        "BuildHandle",
        "CleanupReport",
        "CurrentUser",
        "LogLine",
        "MessageView",
        "PlanVersionView",
        "PlatformBuildStatus",
        "PlatformBuildView",
        "ProjectDetail",
        "ProjectView",
        "RecoveredBuild",
        "RotationReport",
        "TemplateView",
    ),
}
_MODULE_OF = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


__all__ = sorted(_MODULE_OF)  # the names __getattr__ provides
