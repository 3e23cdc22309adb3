"""Domain errors of evaluations. Each message is Chinese and says why, so views show it as it is."""

from core.exceptions import DomainError, InvalidTransition, PermissionDenied
from core.ratelimit import RateLimited

__all__ = [
    "DomainError", "InvalidTransition", "PermissionDenied", "RateLimited",
    "CampaignError", "RatingRefused", "NotEligible", "ScoringRefused", "ReviewRefused",
]


class CampaignError(DomainError):
    """A campaign or its review queue cannot do this now: no dimensions, not yet closed, not yet computed,
    still in its posting period, a decision without its reason …"""


class RatingRefused(DomainError):
    """A public rating cannot be taken: window, scope, account or values. ``field`` names the form field."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotEligible(DomainError):
    """An organization does not meet the 等级评估 conditions (民政部令第39号); ``reasons`` lists each one."""

    def __init__(self, reasons: list[str]):
        super().__init__("不符合参加等级评估的条件：" + "；".join(reasons) + "。")
        self.reasons = reasons


class ScoringRefused(DomainError):
    """An officer's or expert's score cannot be taken (no declaration, a conflict, out of range …)."""


class ReviewRefused(DomainError):
    """A review request (复核) is outside the posting period or otherwise not allowed."""
