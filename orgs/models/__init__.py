"""The orgs app's tables, one module per concern, re-exported here."""

from .annual import AnnualReport, AnnualReportStatusChange
from .applications import Application, ApplicationDocument, Certificate, StatusChange
from .organizations import CreditListing, Membership, Organization, ServiceField

__all__ = [
    "AnnualReport",
    "AnnualReportStatusChange",
    "Application",
    "ApplicationDocument",
    "Certificate",
    "CreditListing",
    "Membership",
    "Organization",
    "ServiceField",
    "StatusChange",
]
