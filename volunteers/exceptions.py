"""Domain errors of 爱心银行. Each message is Chinese and says why, so views and the API show it as it is."""

from core.exceptions import DomainError, InvalidTransition, PermissionDenied
from core.ratelimit import RateLimited

__all__ = [
    "DomainError", "InvalidTransition", "PermissionDenied", "RateLimited",
    "VolunteerError", "SignUpRefused", "AttendanceError", "InsufficientPoints", "RedemptionRefused",
    "IdempotencyConflict", "LedgerError",
]


class VolunteerError(DomainError):
    """A volunteer's registration or record cannot be changed this way. ``field`` names the form field."""

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.field = field


class SignUpRefused(VolunteerError):
    """A sign-up or cancellation is not possible: the shift started, the cutoff passed, already signed up …"""


class AttendanceError(VolunteerError):
    """A check-in, check-out, approval or correction cannot be made: wrong code, not signed up, not pending …"""


class LedgerError(DomainError):
    """A transfer the ledger refuses: a non-positive amount, one account on both sides, a source moved twice."""


class InsufficientPoints(LedgerError):
    """The volunteer's balance does not cover the spend."""


class RedemptionRefused(VolunteerError):
    """A reward cannot be redeemed or a voucher completed: out of stock, over the limit, expired, not yours …"""


class IdempotencyConflict(DomainError):
    """An idempotency key was used before for a different request (the API answers 409)."""
