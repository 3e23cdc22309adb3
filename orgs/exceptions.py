"""Domain errors of registration and filing."""

from core.exceptions import DomainError, InvalidTransition, PermissionDenied

__all__ = ["ApplicationIncomplete", "DomainError", "InvalidTransition", "PermissionDenied", "CreditCodeError"]


class ApplicationIncomplete(DomainError):
    """Submission refused: documents missing or conditions not met. ``errors`` maps field → message."""

    def __init__(self, message: str, errors: dict[str, str]):
        super().__init__(message)
        self.errors = errors


class CreditCodeError(DomainError):
    """The credit code given at approval is malformed, of another kind, or already in use."""
