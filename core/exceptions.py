"""Domain errors raised by core services. Views turn them into Chinese messages next to the form."""


class DomainError(Exception):
    """Base of every domain error in the portal; its message is shown to the user as it is."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.__class__.__name__


class PermissionDenied(DomainError):
    """The actor may not do this to this object."""


class InvalidTransition(DomainError):
    """A workflow was asked to make a move its transition map does not allow."""


class AuditImmutable(DomainError):
    """Somebody tried to change or delete an audit row."""
