"""Verification of a built plugin in a real host against its plan and the NumPy model."""

from vaist_lab.verify.checks import FULL, LEVELS, WORKBENCH, CheckResult, VerifyLevel, VerifyReport, verify_plugin
from vaist_lab.verify.host import HostedPlugin, HostError

__all__ = [
    "FULL",
    "LEVELS",
    "WORKBENCH",
    "CheckResult",
    "HostError",
    "HostedPlugin",
    "VerifyLevel",
    "VerifyReport",
    "verify_plugin",
]
