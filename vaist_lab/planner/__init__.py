"""The planner: negotiate a plan with Gemini, Claude or OpenAI (each in its native structured-output mode), or
offline with no key.

The service and the CLI call `Planner(settings).turn(message, current=..., history=..., model=..., api_keys=...)`
and get a `PlanResult`: the new plan, or an error with the previous plan untouched. `negotiation` holds the
pure helpers around turns: `Turn`, `diff_plans`, `revert`, `approve`. Every new plan is measured against the one
before it and the request (`measured`, with `requests` the table from words to measurements): the reply says what
moved, `PlanResult.check` holds it, and the AI's next request is told what its last plan did not do.
"""

from vaist_lab.planner.negotiation import (
    Approval,
    Change,
    NegotiationError,
    PlanDiff,
    Turn,
    approve,
    diff_plans,
    latest_plan,
    revert,
)
from vaist_lab.planner.planner import Backend, Planner, PlanResult, parse_model, resolve_backend
from vaist_lab.planner.settings import PROVIDERS, PlannerConfigError, PlannerSettings

__all__ = [
    "PROVIDERS",
    "Approval",
    "Backend",
    "Change",
    "NegotiationError",
    "PlanDiff",
    "PlanResult",
    "Planner",
    "PlannerConfigError",
    "PlannerSettings",
    "Turn",
    "approve",
    "diff_plans",
    "latest_plan",
    "parse_model",
    "resolve_backend",
    "revert",
]
