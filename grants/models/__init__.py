"""Models of the grants app, one module per part of DESIGN.md §4.2 (incubation, funding) and later §4.3
(procurement), re-exported here so that ``from grants.models import FundingCall`` works everywhere."""

from .funding import (
    ApplicationDocument,
    ApplicationStatus,
    ApplicationStatusChange,
    Award,
    BudgetLine,
    CallStatusChange,
    ConflictDeclaration,
    Criterion,
    Disbursement,
    FundingCall,
    GrantApplication,
    GrantReport,
    ReportDocument,
    ReportStatusChange,
    RequiredDocument,
    Review,
    ReviewScore,
    ReviewStatusChange,
    Tranche,
    TrancheStatusChange,
)
from .incubation import IncubationBase, Residency, ResidencyService

__all__ = [
    "ApplicationDocument", "ApplicationStatus", "ApplicationStatusChange", "Award", "BudgetLine", "CallStatusChange",
    "ConflictDeclaration", "Criterion", "Disbursement", "FundingCall", "GrantApplication", "GrantReport",
    "IncubationBase", "ReportDocument", "ReportStatusChange", "RequiredDocument", "Residency", "ResidencyService", "Review", "ReviewScore", "ReviewStatusChange",
    "Tranche", "TrancheStatusChange",
]
