"""The statuses a project goes through, in a module that imports nothing: the database stores them
(vaist_lab.store), the service moves them (vaist_lab.service.status) and the views carry them, and a client
of the hub service needs them without a database library."""

from __future__ import annotations

from enum import StrEnum


class ProjectStatus(StrEnum):
    DRAFT = "DRAFT"  # created, no plan yet
    PLANNING = "PLANNING"  # has a plan under discussion
    APPROVED = "APPROVED"  # the user approved the current plan; ready to build
    BUILDING = "BUILDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


__all__ = ["ProjectStatus"]
