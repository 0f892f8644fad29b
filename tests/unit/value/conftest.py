"""Shared CDNOW fixtures: the project's own copies in data/cdnow."""

from pathlib import Path

import numpy as np
import pytest

from optimizer.value import RFMSummary, read_summary_csv

DATA = Path(__file__).resolve().parents[3] / "data" / "cdnow"


@pytest.fixture(scope="session")
def sample() -> RFMSummary:
    """The 2,357-customer sample as distributed (t_x, T rounded to two decimals)."""
    return read_summary_csv(DATA / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def sample_days(sample: RFMSummary) -> RFMSummary:
    """The same sample with the day counts the published fits used: the file writes d / 7 with
    two decimals and 1/7 >> 0.01, so round(7 t) / 7 recovers d / 7 exactly."""
    return RFMSummary(
        customer_id=sample.customer_id,
        x=sample.x,
        t_x=np.rint(sample.t_x * 7) / 7,
        T=np.rint(sample.T * 7) / 7,
        monetary_value=sample.monetary_value,
    )
