"""Refusals of the use cases: each says what was refused and what would be accepted."""

from __future__ import annotations

from datetime import timedelta

from vaist_lab.errors import VaistError


class ServiceError(VaistError):
    """A use case refused: not found, not allowed now, too large, too often."""


class NotFound(ServiceError):
    """No such thing for this user. Said the same way whether it does not exist or belongs to someone else."""


class ProjectNotFound(NotFound):
    def __init__(self, reference: object) -> None:
        super().__init__(f"no project {reference}")


class InvalidTransition(ServiceError):
    """The project's status does not allow this step now."""


class InvalidInput(ServiceError):
    """An argument breaks a rule (empty name, unknown parameter, malformed email...)."""


class TooLarge(InvalidInput):
    def __init__(self, what: str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"{what} is {size} characters long; the limit is {limit}")


class BuilderUnavailable(ServiceError):
    """The builder cannot build here (missing tools); the project was left as it was."""


class RateLimited(ServiceError):
    def __init__(self, message: str, retry_after: timedelta) -> None:
        self.retry_after = retry_after
        super().__init__(message)


__all__ = [
    "BuilderUnavailable",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "ProjectNotFound",
    "RateLimited",
    "ServiceError",
    "TooLarge",
]
