"""The use cases of vAIst lab (projects, plan turns, approval, builds, downloads, limits, cleanup), each
for an explicit current user; see `Lab`, and `UserLab` for one user's as the workbench speaks to them
(vaist_lab.service.api). The storage underneath is vaist_lab.store."""

from vaist_lab.service.builds import (
    BuildExecutor,
    BuildJob,
    BuildRunner,
    DetachedBuildExecutor,
    QueuedBuildExecutor,
    ThreadBuildExecutor,
    host_platform,
)
from vaist_lab.service.errors import (
    BuilderUnavailable,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ProjectNotFound,
    RateLimited,
    ServiceError,
    TooLarge,
)
from vaist_lab.service.lab import LOCAL_USER_EMAIL, Lab
from vaist_lab.service.settings import LabSettings, parse_age
from vaist_lab.service.status import TRANSITIONS, check_transition
from vaist_lab.service.user_lab import UserLab
from vaist_lab.service.views import (
    ApiKeyInfo,
    ArtifactView,
    BuildHandle,
    CleanupReport,
    CurrentUser,
    LogLine,
    MessageView,
    PlanVersionView,
    ProjectDetail,
    ProjectView,
    RecoveredBuild,
    RotationReport,
    TemplateView,
)

__all__ = [
    "LOCAL_USER_EMAIL",
    "TRANSITIONS",
    "ApiKeyInfo",
    "ArtifactView",
    "BuildExecutor",
    "BuildHandle",
    "BuildJob",
    "BuildRunner",
    "BuilderUnavailable",
    "CleanupReport",
    "CurrentUser",
    "DetachedBuildExecutor",
    "InvalidInput",
    "InvalidTransition",
    "Lab",
    "LabSettings",
    "LogLine",
    "MessageView",
    "NotFound",
    "PlanVersionView",
    "ProjectDetail",
    "ProjectNotFound",
    "ProjectView",
    "QueuedBuildExecutor",
    "RateLimited",
    "RecoveredBuild",
    "RotationReport",
    "ServiceError",
    "TemplateView",
    "ThreadBuildExecutor",
    "TooLarge",
    "UserLab",
    "check_transition",
    "host_platform",
    "parse_age",
]
