"""Domain errors of incubation and grants; each message is Chinese and names the rule that refused."""

from core.exceptions import DomainError, InvalidTransition, PermissionDenied

__all__ = [
    "ApplicationIncomplete", "BudgetExceeded", "CallInvalid", "CapacityExceeded", "DomainError", "GrantsError",
    "InvalidTransition", "NotEligible", "PaymentRefused", "PermissionDenied", "ReportRefused", "ReviewRefused",
    "BidClosed", "ProcurementRefused",
]


class GrantsError(DomainError):
    """Base of the errors below."""


class CapacityExceeded(GrantsError):
    """The incubation base has no free place."""


class CallInvalid(GrantsError):
    """A call cannot be published as it stands (rubric weights, window, tranche percentages); ``errors`` maps
    each form field to its message."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class NotEligible(GrantsError):
    """The organization does not meet the call's eligibility rules; ``failures`` lists (rule, message)."""

    def __init__(self, message: str, failures: list[tuple[str, str]]):
        super().__init__(message)
        self.failures = failures


class ApplicationIncomplete(GrantsError):
    """The application cannot be submitted yet; ``errors`` maps each field to what is missing."""

    def __init__(self, message: str, errors: dict[str, str]):
        super().__init__(message)
        self.errors = errors


class ReviewRefused(GrantsError):
    """A reviewer may not declare or score as asked."""


class BudgetExceeded(GrantsError):
    """An award would take the call's awards above its budget."""


class PaymentRefused(GrantsError):
    """A tranche, clawback or agreement step is not allowed now."""


class ReportRefused(GrantsError):
    """A report cannot be saved, submitted or assessed as asked; ``field`` names the part of the form it concerns
    (``outcomes``, ``evidence``) when there is one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class ProcurementRefused(GrantsError):
    """A procurement step (announce, bid, open, score, award, contract, delivery, payment, evaluation) is not
    allowed as asked; ``field`` names the form field it concerns when there is one, ``errors`` several of them."""

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or ({field: message} if field else {})


class BidClosed(ProcurementRefused):
    """The bid window is closed (or not yet open) at the moment the bid reached the server."""
