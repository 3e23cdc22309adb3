"""The one rule every scoring rubric of the grants app shares (a call's criteria, a project's technical criteria,
an evaluation's indicators): it is not empty and its points add up to 100."""


def total_problem(weights, *, empty: str, label: str) -> str | None:
    """None when ``weights`` add up to 100; else the message: ``empty`` when there are none, or "<label>合计须为
    100 分，目前合计 N 分。"."""
    weights = [weight or 0 for weight in weights]
    if not weights:
        return empty
    total = sum(weights)
    return None if total == 100 else f"{label}合计须为 100 分，目前合计 {total} 分。"
